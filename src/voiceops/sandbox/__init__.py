"""Local stand-ins of the vendor APIs, for trying voiceops and for tests.

    from voiceops.sandbox import Sandbox, SandboxOptions, Faults

    sb = Sandbox(SandboxOptions(seed=0))
    with sb.serve(port=0) as base_url:
        ...  # sb.base_urls, sb.credentials, sb.requests(), sb.set_faults(...)

The stand-ins follow the vendors' public documentation, not voiceops's own
adapters or schemas; where the documentation is silent, each vendor module's
docstring states what the stand-in assumes. The stand-ins are listed in `standins.py`.
"""

from voiceops.sandbox.app import Sandbox, SandboxOptions
from voiceops.sandbox.faults import Faults
from voiceops.sandbox.gate import ConnectionDropped
from voiceops.sandbox.log import RecordedRequest

__all__ = ["ConnectionDropped", "Faults", "RecordedRequest", "Sandbox", "SandboxOptions"]

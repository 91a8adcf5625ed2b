"""The defaults of `voiceops.yaml`'s settings, in one place (the config schema's `default`s
say the same; a test keeps them equal)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ConfigDefaults:
    assistants: str = "assistants/"
    lenient: bool = False
    concurrency: int = 16
    max_update_share: float = 0.3
    min_managed: int = 10
    # warn | refuse: apply over edits made in a vendor's dashboard since the last apply.
    dashboard_edits: str = "warn"
    write_only_record: str = ".voiceops/write-only.json"
    # Seconds per request; a connection may set its own `timeout_s`.
    timeout_s: float = 30.0


DEFAULTS = ConfigDefaults()

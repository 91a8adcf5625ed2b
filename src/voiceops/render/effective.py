"""`voiceops render`: the effective documents of one environment, as YAML.

Each document is written as the chosen environment sees it: its envelope, the environment's
id, `ensure` where the assistant is to be deleted, and the base spec with the environment's
patch merged over it. `${env:…}` references stay as written: nothing is resolved, so the
output holds no value read from the process environment."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from voiceops.paths import lookup
from voiceops.spec.documents import AssistantSpec, Ensure
from voiceops.spec.environments import id_path
from voiceops.spec.yamledit import Quoted, dump_yaml

_ENVELOPE = ("apiVersion", "kind", "metadata", "provider")


def render(specs: Iterable[AssistantSpec]) -> str:
    """The documents of `specs`, in their order, separated by `---`."""
    return "---\n".join(dump_yaml(effective_data(spec)) for spec in specs)


def effective_data(spec: AssistantSpec) -> dict[str, Any]:
    """One document as its environment sees it; without environments, as written."""
    data = spec.doc.data
    if spec.environment is None:
        return dict(data)
    document = {key: data[key] for key in _ENVELOPE if key in data}
    raw_id = lookup(data, id_path(spec.environment))
    if raw_id is not None:
        document["id"] = Quoted(str(raw_id))
    if spec.ensure is Ensure.ABSENT:
        document["ensure"] = str(Ensure.ABSENT)
    if spec.spec or "spec" in data:
        document["spec"] = spec.spec
    return document

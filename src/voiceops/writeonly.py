"""The record of write-only fields voiceops has applied.

A write-only field is accepted by the vendor but never returned, so live state cannot show
whether it matches git. After applying one, voiceops stores a hash of the applied value
(never the value) in a small JSON file next to voiceops.yaml; a later plan applies the field
again only when its desired value hashes differently.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from voiceops.errors import VoiceopsError

FORMAT_VERSION = 1


def value_hash(connection: str, assistant_id: str, field_name: str, value: Any) -> str:
    canonical = json.dumps(
        [connection, assistant_id, field_name, _semantic(value)],
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def _semantic(value: Any) -> Any:
    """`value` with whole floats as ints, so that 1 and 1.0 hash alike (they are equal)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _semantic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


@dataclass
class WriteOnlyRecord:
    path: Path | None  # None: kept in memory only (sandbox runs)
    hashes: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None) -> WriteOnlyRecord:
        if path is None or not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            hashes = {str(k): dict(v) for k, v in data.get("assistants", {}).items()}
        except (ValueError, TypeError, AttributeError) as exc:
            raise VoiceopsError(
                f"{path} is not a record of applied write-only fields ({exc}); "
                "fix or delete it (deleting it makes the next apply send write-only fields again)"
            ) from None
        return cls(path, hashes)

    @staticmethod
    def key(connection: str, assistant_id: str) -> str:
        return f"{connection}/{assistant_id}"

    def matches(self, connection: str, assistant_id: str, field_name: str, value: Any) -> bool:
        stored = self.hashes.get(self.key(connection, assistant_id), {}).get(field_name)
        return stored == value_hash(connection, assistant_id, field_name, value)

    def remember(self, connection: str, assistant_id: str, field_name: str, value: Any) -> None:
        entry = self.hashes.setdefault(self.key(connection, assistant_id), {})
        entry[field_name] = value_hash(connection, assistant_id, field_name, value)

    def save(self) -> None:
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        document = {
            "format_version": FORMAT_VERSION,
            "about": "hashes of write-only fields applied by voiceops; no values",
            "assistants": {k: dict(sorted(v.items())) for k, v in sorted(self.hashes.items())},
        }
        temporary = self.path.with_suffix(".tmp")
        temporary.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
        os.replace(temporary, self.path)

"""The record of write-only fields voiceops has applied.

A write-only field is accepted by the vendor but never returned, so live state cannot show
whether it matches git. After applying one, voiceops stores a hash of the applied value
(never the value) in a small JSON file next to voiceops.yaml; a later plan applies the field
again only when its desired value hashes differently.

The same file keeps, under `applied`, one digest per managed field of the values each
assistant was last converged to (`origins`): plan and drift tell with it a change made in
git from an edit made in the vendor's dashboard. Keys are sorted, so that the file, which
is committed to git, diffs and merges line by line.
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from voiceops.atomicfile import read_record, replace_file
from voiceops.errors import VoiceopsError, display_path

FORMAT_VERSION = 1
# The longest file name most file systems take (bytes); checked before anything is sent.
_NAME_MAX = 255


def value_hash(connection: str, assistant_id: str, field_name: str, value: Any) -> str:
    canonical = json.dumps(
        [connection, assistant_id, field_name, _semantic(value)],
        sort_keys=True,
        separators=(",", ":"),
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _semantic(value: Any) -> Any:
    """`value` with whole floats as ints, so that 1 and 1.0 hash alike (they are equal)."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _semantic(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_semantic(item) for item in value]
    return value


# How long a save waits for another voiceops run that holds the record's lock.
LOCK_TIMEOUT_S = 120.0


@dataclass
class WriteOnlyRecord:
    """The hashes read at the start of a run, plus those this run applied (`applied`).

    Saving merges only `applied` into the file as it is then, under a lock, so that runs
    that overlap (e.g. `--target` on different assistants) keep each other's entries."""

    path: Path | None  # None: kept in memory only (sandbox runs)
    hashes: dict[str, dict[str, str]] = field(default_factory=dict)
    applied: dict[str, dict[str, str]] = field(default_factory=dict)
    # Assistants this run deleted: their entries leave the file when it is saved.
    forgotten: set[str] = field(default_factory=set)
    lock_timeout_s: float = LOCK_TIMEOUT_S
    # Per assistant, the digests of every managed field as last converged (read, and
    # replaced whole by this run's `converged`).
    last_applied: dict[str, dict[str, str]] = field(default_factory=dict)
    converged: dict[str, dict[str, str]] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path | None, lock_timeout_s: float = LOCK_TIMEOUT_S) -> WriteOnlyRecord:
        if path is None:
            return cls(path, lock_timeout_s=lock_timeout_s)
        _check_place(path)
        hashes, last_applied = _read(path)
        return cls(path, hashes, lock_timeout_s=lock_timeout_s, last_applied=last_applied)

    @staticmethod
    def key(connection: str, assistant_id: str) -> str:
        return f"{connection}/{assistant_id}"

    def matches(self, connection: str, assistant_id: str, field_name: str, value: Any) -> bool:
        stored = self.hashes.get(self.key(connection, assistant_id), {}).get(field_name)
        return stored == value_hash(connection, assistant_id, field_name, value)

    def remember(self, connection: str, assistant_id: str, field_name: str, value: Any) -> None:
        digest = value_hash(connection, assistant_id, field_name, value)
        key = self.key(connection, assistant_id)
        self.hashes.setdefault(key, {})[field_name] = digest
        self.applied.setdefault(key, {})[field_name] = digest

    def withdraw(self, connection: str, assistant_id: str) -> None:
        """Take back what this run recorded as applied for an assistant (it did not converge):
        the next plan sends those values again."""
        key = self.key(connection, assistant_id)
        for field_name in self.applied.pop(key, {}):
            self.hashes.get(key, {}).pop(field_name, None)

    def last_applied_to(self, connection: str, assistant_id: str) -> dict[str, str] | None:
        """The digests of the assistant's managed fields as last converged, if recorded."""
        return self.last_applied.get(self.key(connection, assistant_id))

    def remember_converged(
        self, connection: str, assistant_id: str, digests: dict[str, str]
    ) -> None:
        key = self.key(connection, assistant_id)
        self.last_applied[key] = self.converged[key] = dict(digests)

    def forget(self, connection: str, assistant_id: str) -> None:
        """Drop a deleted assistant's entries, write-only hashes and converged digests alike
        (from the file, at the next save): its id may never come back."""
        key = self.key(connection, assistant_id)
        for entries in (self.hashes, self.applied, self.last_applied, self.converged):
            entries.pop(key, None)
        self.forgotten.add(key)

    def save(self) -> None:
        """Merge what this run applied into the file, and drop the entries of the assistants
        it deleted: lock, re-read, write aside, rename."""
        if self.path is None or not (self.applied or self.converged or self.forgotten):
            return
        path = self.path
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(_lock_path(path), timeout=self.lock_timeout_s):
                merged, last_applied = _read(path)
                for key, fields in self.applied.items():
                    merged.setdefault(key, {}).update(fields)
                last_applied.update(self.converged)
                for key in self.forgotten:
                    merged.pop(key, None)
                    last_applied.pop(key, None)
                text = _document(merged, last_applied)
                replace_file(path, text.encode(), _mode_of(path))
        except Timeout:
            reason = f"it stayed locked by another voiceops run for {self.lock_timeout_s:g} s"
            raise VoiceopsError(_unsaved(path, reason)) from None
        except OSError as exc:
            raise VoiceopsError(_unsaved(path, str(exc.strerror or exc))) from None
        self.hashes, self.last_applied = merged, last_applied


def _unsaved(path: Path, reason: str) -> str:
    return (
        f"cannot save the write-only record {display_path(path)}: {reason}; what this run "
        "applied is not recorded, so the next apply sends those write-only fields again"
    )


def _check_place(path: Path) -> None:
    """Refuse, before anything is sent, a record that could not be saved after the writes."""
    too_long = [part for part in path.parts if len(os.fsencode(part)) > _NAME_MAX]
    if too_long:
        raise VoiceopsError(
            f"the write-only record {display_path(path)} cannot be created: a part of its "
            f"path is longer than {_NAME_MAX} bytes"
        )
    if path.exists() and not path.is_file():
        raise VoiceopsError(
            f"the write-only record {display_path(path)} is not a regular file; point "
            "write_only_record "
            "in voiceops.yaml at a file"
        )
    for parent in path.parents:
        if parent.exists():
            if not parent.is_dir():
                raise VoiceopsError(
                    f"the write-only record {path} cannot be created: {parent} is not a directory"
                )
            if not os.access(parent, os.W_OK | os.X_OK):
                raise VoiceopsError(
                    f"the write-only record {display_path(path)} cannot be created: "
                    f"{display_path(parent)} is not writable"
                )
            break


Digests = dict[str, dict[str, str]]


def _read(path: Path) -> tuple[Digests, Digests]:
    """The write-only hashes and the digests of the last converged values."""
    text = read_record(path, "the write-only record")
    return ({}, {}) if text is None else record_in(text, path)


def record_in(text: str, path: Path) -> tuple[Digests, Digests]:
    """A record's write-only hashes and converged digests (`path` names it in an error)."""
    try:
        data = json.loads(text)
        return _section(data, "assistants"), _section(data, "applied")
    except (ValueError, TypeError, AttributeError, RecursionError) as exc:
        raise VoiceopsError(
            f"{path} is not a record of applied write-only fields ({exc}); "
            "fix or delete it (deleting it makes the next apply send write-only fields again)"
        ) from None


def _section(data: dict[str, Any], name: str) -> Digests:
    return {str(k): {str(f): str(h) for f, h in v.items()} for k, v in data.get(name, {}).items()}


def _document(hashes: Digests, last_applied: Digests) -> str:
    document: dict[str, Any] = {
        "format_version": FORMAT_VERSION,
        "about": (
            "hashes of write-only fields applied by voiceops, and (applied) of each managed "
            "field's value as last applied; no values"
        ),
        "assistants": _sorted(hashes),
    }
    if last_applied:
        document["applied"] = _sorted(last_applied)
    return json.dumps(document, indent=2) + "\n"


def _sorted(digests: Digests) -> Digests:
    return {k: dict(sorted(v.items())) for k, v in sorted(digests.items())}


def _lock_path(path: Path) -> str:
    return str(path.with_name(path.name + ".lock"))


def _mode_of(path: Path) -> int:
    """The record's mode as it is, or the usual 0644 for a new one."""
    try:
        return stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return 0o644

"""The record of creates whose outcome voiceops does not know.

On a vendor that documents no list of assistants (Edmo), a create that timed out, failed
with a 5xx, or whose run was killed before the id reached the document cannot be checked
afterwards: sending it again could make a second assistant. So before each create on such a
vendor, voiceops notes it in a small JSON file next to the write-only record, and removes
the note once the id is written into the document (or the vendor said no). A document with
a note is refused until the user checks the dashboard and either writes the id into the
document or removes the note.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout

from voiceops.atomicfile import read_record, replace_file
from voiceops.errors import VoiceopsError, display_path

FORMAT_VERSION = 1
FILE_NAME = "pending-creates.json"
LOCK_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class PendingCreate:
    connection: str
    name: str
    source: str
    sent_at: str
    # Known when the vendor answered but the id could not be written into the document.
    id: str | None = None
    # The name the vendor shows it under (its spec's name), when the spec has one.
    shown: str = ""
    # Why voiceops did not trust the create's answer (secrets masked), when it did not.
    doubt: str = ""


def pending_path(write_only_record: Path | None) -> Path | None:
    """Where the record lives: beside the write-only record (None: memory only)."""
    return None if write_only_record is None else write_only_record.with_name(FILE_NAME)


@dataclass
class PendingCreates:
    """Notes read at the start of a run; `note`/`forget` save at once (a kill may follow)."""

    path: Path | None
    entries: dict[str, PendingCreate] = field(default_factory=dict)
    lock_timeout_s: float = LOCK_TIMEOUT_S

    @classmethod
    def load(cls, path: Path | None, lock_timeout_s: float = LOCK_TIMEOUT_S) -> PendingCreates:
        if path is None:
            return cls(None, lock_timeout_s=lock_timeout_s)
        return cls(path, _read(path), lock_timeout_s)

    @staticmethod
    def key(connection: str, name: str) -> str:
        return f"{connection}/{name}"

    def get(self, connection: str, name: str) -> PendingCreate | None:
        return self.entries.get(self.key(connection, name))

    def note(
        self,
        connection: str,
        name: str,
        source: str,
        *,
        new_id: str | None = None,
        shown: str = "",
        doubt: str = "",
    ) -> None:
        """Record a create about to be sent (or, with `new_id`, one whose id is unwritten;
        with `doubt`, one whose answer was not trusted)."""
        sent_at = datetime.now(UTC).isoformat(timespec="seconds")
        entry = PendingCreate(connection, name, source, sent_at, new_id, shown, doubt)
        self._save({self.key(connection, name): entry}, [])

    def forget(self, connection: str, name: str) -> None:
        self._save({}, [self.key(connection, name)])

    def merge(self, added: dict[str, PendingCreate], removed: list[str]) -> None:
        """Add and remove entries by key, merged into the file as it is now."""
        self._save(added, removed)

    def forget_all(self, assistants: Iterable[tuple[str, str]]) -> None:
        """`forget` each (connection, name), with one save for all of them."""
        keys = [self.key(connection, name) for connection, name in assistants]
        if keys:
            self._save({}, keys)

    def refusal(self, entry: PendingCreate, vendor: str, id_at: str = "id") -> str:
        """The sentence that refuses a document with a note, saying what to check; `id_at`
        is where the document keeps its id (`environments.<env>.id` in an environment)."""
        where = display_path(self.path) if self.path else "this run's memory"
        if entry.doubt:
            return (
                f"a create of this assistant was sent at {entry.sent_at}, but voiceops did not "
                f"trust its answer ({entry.doubt}): check the {vendor} dashboard for an "
                f"assistant named {entry.shown or entry.name!r}, write its id into the document "
                f"if it was created, then remove its entry from {where}"
            )
        if entry.id is not None:
            return (
                f"this assistant was created at {entry.sent_at} as id {entry.id!r}, but the "
                f"id could not be written into {entry.source}: add {id_at}: {json.dumps(entry.id)} "
                f"to the document, then remove its entry from {where}"
            )
        return (
            f"a create of this assistant was sent at {entry.sent_at} and its outcome is "
            f"unknown; {vendor} lists no assistants, so voiceops cannot look: check the "
            f"{vendor} dashboard for an assistant named {entry.shown or entry.name!r}, then "
            f"write its id into the document if it was created, or remove its entry from "
            f"{where} if it was not"
        )

    def _save(self, added: dict[str, PendingCreate], removed: list[str]) -> None:
        self.entries.update(added)
        for key in removed:
            self.entries.pop(key, None)
        path = self.path
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(path.with_name(path.name + ".lock")), timeout=self.lock_timeout_s):
                merged = {**_read(path), **added}
                for key in removed:
                    merged.pop(key, None)
                if merged:
                    replace_file(path, _document(merged).encode(), 0o644)
                else:  # nothing pending: no file to commit
                    path.unlink(missing_ok=True)
        except Timeout:
            raise VoiceopsError(_unsaved(path, "another voiceops run holds its lock")) from None
        except OSError as exc:
            raise VoiceopsError(_unsaved(path, str(exc.strerror or exc))) from None
        self.entries = merged


def _unsaved(path: Path, reason: str) -> str:
    return f"cannot save the record of pending creates {display_path(path)}: {reason}"


def _read(path: Path) -> dict[str, PendingCreate]:
    text = read_record(path, "the record of pending creates")
    return {} if text is None else entries_in(text, path)


def entries_in(text: str, path: Path) -> dict[str, PendingCreate]:
    """The entries of a record's text, by key (`path` names it in the error)."""
    try:
        data = json.loads(text)
        # Keyed by what each entry says, so that an edited key cannot hide it.
        entries = [_entry(v) for v in data["pending"].values()]
        return {PendingCreates.key(e.connection, e.name): e for e in entries}
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError):
        raise VoiceopsError(
            f"{display_path(path)} is not a voiceops record of pending creates; fix it, or "
            "delete it once no create it noted can have landed unnoticed"
        ) from None


def _entry(value: Any) -> PendingCreate:
    fields = ("connection", "name", "source", "sent_at")
    if not isinstance(value, dict) or not all(isinstance(value.get(f), str) for f in fields):
        raise ValueError("malformed entry")
    new_id = value.get("id")
    if new_id is not None and not isinstance(new_id, str):
        raise ValueError("malformed id")
    shown, doubt = value.get("shown", ""), value.get("doubt", "")
    if not isinstance(shown, str) or not isinstance(doubt, str):
        raise ValueError("malformed name or doubt")
    return PendingCreate(
        value["connection"], value["name"], value["source"], value["sent_at"], new_id, shown, doubt
    )


def _document(entries: dict[str, PendingCreate]) -> str:
    document = {
        "format_version": FORMAT_VERSION,
        "about": "creates sent by voiceops whose new id is not in git yet; remove an entry "
        "once its id is in the document, or once the dashboard shows it was never created",
        "pending": {
            key: {
                "connection": e.connection,
                "name": e.name,
                "source": e.source,
                "sent_at": e.sent_at,
                "id": e.id,
                "shown": e.shown,
                **({"doubt": e.doubt} if e.doubt else {}),
            }
            for key, e in sorted(entries.items())
        },
    }
    return json.dumps(document, indent=2) + "\n"

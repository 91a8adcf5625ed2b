"""Publishing what apply wrote: the ids of the assistants it created (in their documents),
the write-only record and the record of pending creates, as one commit on the default
branch, pushed.

When the push is refused because the branch moved on (a merge, or another environment's
run), the commit is not rebased as text: the write-backs are taken as data (which id went
into which document, which record entries changed) and done again on the new tip, ids
through `spec.writeback`, record entries merged by key. Replaying is bounded. An id that
cannot be replayed (its document was deleted meanwhile, or got another id) is a conflict:
it is kept in the pending record, whose entry makes the next run refuse the document until
someone decides, and it is reported with what to do.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from voiceops.errors import VoiceopsError
from voiceops.reconcile.gitrepo import GitRepo, PushRejected
from voiceops.reconcile.pending import PendingCreate, PendingCreates, entries_in, pending_path
from voiceops.reconcile.writeonly import Digests, WriteOnlyRecord, record_in
from voiceops.spec.environments import document_id
from voiceops.spec.writeback import IdValue, write_environment_id, write_id
from voiceops.spec.yamlsource import YamlDocument, load_documents

ATTEMPTS = 5


@dataclass(frozen=True)
class IdWrite:
    """One id apply wrote: into the document called `name` in file `path` (relative)."""

    path: str
    name: str
    connection: str
    new_id: IdValue


@dataclass(frozen=True)
class Conflict:
    write: IdWrite
    reason: str

    def advice(self, environment: str | None) -> str:
        where = f"environments.{environment}.id" if environment else "id"
        return (
            f"{self.write.path}: the assistant {self.write.name!r} was created as id "
            f"{self.write.new_id!r}, but {self.reason}; the id is kept in the record of "
            f"pending creates. Decide which assistant to keep: write {where}: "
            f"{self.write.new_id!r} into its document (or delete the extra assistant in the "
            "vendor's dashboard), then remove the entry from the pending record"
        )


@dataclass
class WriteBacks:
    """What apply wrote, as data that can be done again on another commit."""

    environment: str | None
    ids: list[IdWrite] = field(default_factory=list)
    applied: dict[str, dict[str, str]] = field(default_factory=dict)
    # The digests of the values assistants converged to, and the entries deleted ones left.
    converged: dict[str, dict[str, str]] = field(default_factory=dict)
    forgotten: set[str] = field(default_factory=set)
    pending_added: dict[str, PendingCreate] = field(default_factory=dict)
    pending_removed: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        records = self.applied or self.converged or self.forgotten
        return bool(self.ids or records or self.pending_added or self.pending_removed)


@dataclass(frozen=True)
class Places:
    """Where apply writes, in one work tree."""

    repo: GitRepo
    record: Path
    assistants: Path
    environment: str | None

    @property
    def pending(self) -> Path:
        found = pending_path(self.record)
        assert found is not None
        return found

    def relative(self, path: Path) -> str:
        return path.resolve().relative_to(self.repo.root.resolve()).as_posix()


@dataclass
class Published:
    commit: str  # what the branch holds now (HEAD when nothing had to be pushed)
    pushed: bool
    attempts: int
    conflicts: list[Conflict]
    writebacks: WriteBacks


def capture(places: Places) -> WriteBacks:
    """The write-backs in the work tree, compared with HEAD."""
    repo, env = places.repo, places.environment
    found = WriteBacks(env)
    for relative in repo.changed_tracked(places.assistants):
        before, after = repo.show("HEAD", relative), _read(repo.root / relative)
        if before is not None and after is not None:
            found.ids += _new_ids(relative, before, after, env)
    record = places.relative(places.record)
    old, old_converged = _record(repo.show("HEAD", record), places.record)
    new, new_converged = _record(_read(places.record), places.record)
    for key, fields in new.items():
        changed = {f: h for f, h in fields.items() if old.get(key, {}).get(f) != h}
        if changed:
            found.applied[key] = changed
    found.converged = {k: v for k, v in new_converged.items() if old_converged.get(k) != v}
    found.forgotten = {*old, *old_converged} - {*new, *new_converged}
    pending = places.relative(places.pending)
    was = _pending(repo.show("HEAD", pending), places.pending)
    now = _pending(_read(places.pending), places.pending)
    found.pending_added = {k: v for k, v in now.items() if was.get(k) != v}
    found.pending_removed = [k for k in was if k not in now]
    return found


def replay(places: Places, writebacks: WriteBacks) -> list[Conflict]:
    """Do `writebacks` again in the work tree (at another commit); the ids that cannot be
    written are conflicts, kept in the pending record."""
    conflicts = [c for w in writebacks.ids if (c := _replay_id(places, w)) is not None]
    WriteOnlyRecord(
        places.record,
        applied=writebacks.applied,
        converged=writebacks.converged,
        forgotten=set(writebacks.forgotten),
    ).save()
    kept = {PendingCreates.key(c.write.connection, c.write.name): _kept(c.write) for c in conflicts}
    pending = PendingCreates(places.pending)
    removed = [k for k in writebacks.pending_removed if k not in kept]
    if writebacks.pending_added or removed or kept:
        pending.merge({**writebacks.pending_added, **kept}, removed)
    return conflicts


def publish(
    places: Places,
    branch: str,
    message: Callable[[WriteBacks], str],
    *,
    attempts: int = ATTEMPTS,
    on_retry: Callable[[int, str], None] = lambda _n, _why: None,
) -> Published:
    """Commit the write-backs in the work tree and push them to `branch`, replaying them on
    the branch's new tip after each refused push, `attempts` times at most."""
    writebacks = capture(places)
    repo = places.repo
    if not writebacks:
        return Published(repo.head(), False, 0, [], writebacks)
    paths = _paths(places, writebacks)
    conflicts: list[Conflict] = []
    for attempt in range(1, attempts + 1):
        if attempt > 1 or repo.head() != repo.fetch_tip(branch):
            repo.reset_to(repo.fetch_tip(branch))
            conflicts = replay(places, writebacks)
        if not repo.commit(paths, message(writebacks)):
            return Published(repo.head(), False, attempt, conflicts, writebacks)
        try:
            repo.push(branch)
        except PushRejected as exc:
            on_retry(attempt, exc.message)
            continue
        return Published(repo.head(), True, attempt, conflicts, writebacks)
    raise VoiceopsError(
        f"could not push to {branch} after {attempts} attempts (it kept moving, or pushing "
        "is not allowed); run the workflow again to record what this run applied"
    )


def catch_up(places: Places, branch: str) -> list[IdWrite]:
    """Bring this environment's own state from the tip of `branch` into the work tree (at an
    older commit, e.g. the one staging pushed): its records as the tip has them (only this
    environment's jobs write them, one at a time) and the ids its documents got there, so
    that nothing created meanwhile is created again. Returns the ids written."""
    repo = places.repo
    tip = repo.fetch_tip(branch)
    for path in (places.record, places.pending):
        text = repo.show(tip, places.relative(path))
        if text is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
    written = []
    for relative in repo.tracked(places.assistants):
        theirs, ours = repo.show(tip, relative), _read(repo.root / relative)
        if theirs is None or ours is None:
            continue
        for write in _new_ids(relative, ours, theirs, places.environment):
            if _replay_id(places, write) is None:
                written.append(write)
    return written


def _paths(places: Places, writebacks: WriteBacks) -> list[str]:
    documents = dict.fromkeys(w.path for w in writebacks.ids)
    records = [places.relative(places.record), places.relative(places.pending)]
    return [*documents, *records]


def _new_ids(relative: str, before: str, after: str, env: str | None) -> list[IdWrite]:
    old = {_name(d): d for d in load_documents(before, relative) if _name(d)}
    found = []
    for doc in load_documents(after, relative):
        name = _name(doc)
        new_id = document_id(doc.data, env)
        if name and new_id is not None and name in old and document_id(old[name].data, env) is None:
            found.append(IdWrite(relative, name, str(doc.data.get("provider", "")), new_id))
    return found


def _replay_id(places: Places, write: IdWrite) -> Conflict | None:
    path = places.repo.root / write.path
    text = _read(path)
    docs = [d for d in load_documents(text, write.path) if _name(d) == write.name] if text else []
    if not docs:
        return Conflict(write, "its document was deleted meanwhile")
    current = document_id(docs[0].data, places.environment)
    if current == write.new_id:
        return None
    if current is not None:
        return Conflict(write, f"its document got another id meanwhile ({current!r})")
    root = places.repo.root
    if places.environment is None:
        write_id(path, docs[0], write.new_id, root=root, source=write.path)
    else:
        env = places.environment
        write_environment_id(path, docs[0], env, write.new_id, root=root, source=write.path)
    return None


def _kept(write: IdWrite) -> PendingCreate:
    sent_at = datetime.now(UTC).isoformat(timespec="seconds")
    return PendingCreate(write.connection, write.name, write.path, sent_at, str(write.new_id))


def _name(doc: YamlDocument) -> str | None:
    data = doc.data
    metadata = data.get("metadata") if isinstance(data, dict) else None
    name = metadata.get("name") if isinstance(metadata, dict) else None
    return name if isinstance(name, str) else None


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise VoiceopsError(f"cannot read {path}: {exc}") from None


def _record(text: str | None, path: Path) -> tuple[Digests, Digests]:
    return ({}, {}) if text is None else record_in(text, path)


def _pending(text: str | None, path: Path) -> dict[str, PendingCreate]:
    return {} if text is None else entries_in(text, path)

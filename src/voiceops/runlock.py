"""The run lock: one writing run (apply, import) per repository and environment at a time.

Like Terraform's state lock, the lock is a file that says who holds it: created exclusively,
removed when the run ends. It outlives a run that was killed, so a run finding a lock whose
holder was a process of this host that no longer exists takes it over (and says so); a lock
held from another host can only be removed with `voiceops unlock`. A short `filelock` guard
makes reading, taking over and removing the holder one step among concurrent runs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import socket
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout

from voiceops.errors import VoiceopsError, display_path

LOCK_DIR = ".voiceops"
# The line `init` writes into .gitignore and `apply` adds when missing: lock files are
# about one machine's runs and never belong in git (the records' own, per environment, too).
IGNORE_LINE = ".voiceops/**/*.lock"
_GUARD = "run.guard.lock"
# How long to wait for the guard (held for a few file operations at a time).
_GUARD_TIMEOUT_S = 30.0
_POLL_S = 0.1
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


class LockHeld(VoiceopsError):
    """Another run holds the lock (and kept it as long as this one would wait)."""


@dataclass(frozen=True)
class Holder:
    """Who holds a lock: enough to find the run, and a token that only it knows."""

    host: str
    pid: int
    command: str
    started: str
    token: str = ""

    def sentence(self) -> str:
        return f"{self.command!r} (pid {self.pid} on host {self.host}, started {self.started})"


def lock_path(root: Path, environment: str | None) -> Path:
    """The lock file of the repository at `root` for `environment` (None: no environments)."""
    if environment is None:
        return root / LOCK_DIR / "run.lock"
    name = environment if _SAFE_NAME.fullmatch(environment) else f"env-{_digest(environment)}"
    return root / LOCK_DIR / f"run-{name}.lock"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def current_command() -> str:
    """This process's command line, as `voiceops <subcommand …>` (no option values that
    could carry a secret: only the words up to the first option)."""
    words = []
    for word in sys.argv[1:]:
        if word.startswith("-"):
            break
        words.append(word)
    return " ".join(["voiceops", *words[:2]])


def read_holder(path: Path) -> Holder | None:
    """The holder the lock file names; None without a lock file. A file that is not a
    lock voiceops wrote is reported, not overwritten."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return Holder(
            str(data["host"]),
            int(data["pid"]),
            str(data["command"]),
            str(data["started"]),
            str(data.get("token", "")),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        raise VoiceopsError(
            f"{display_path(path)} is not a voiceops run lock; remove it with "
            "voiceops unlock --force once no voiceops run is under way"
        ) from None


def process_gone(holder: Holder) -> bool:
    """Whether the holder was a process of this host that no longer runs."""
    if holder.host != socket.gethostname() or holder.pid <= 0:
        return False
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # it runs, as another user
        return False
    return False


@contextlib.contextmanager
def _guarded(path: Path) -> Iterator[None]:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with FileLock(str(path.with_name(_GUARD)), timeout=_GUARD_TIMEOUT_S):
            yield
    except Timeout:
        raise VoiceopsError(f"cannot take the run lock {display_path(path)}: busy") from None
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise VoiceopsError(f"cannot take the run lock {display_path(path)}: {reason}") from None


def _write_holder(path: Path, holder: Holder) -> None:
    text = json.dumps(asdict(holder), indent=2) + "\n"
    temporary = path.with_name(f".{path.name}.{holder.token}.tmp")
    temporary.write_text(text, encoding="utf-8")
    os.replace(temporary, path)


def _try_take(path: Path, mine: Holder) -> tuple[Holder | None, Holder | None]:
    """(the holder in the way, None when taken; a dead holder taken over, if any)."""
    with _guarded(path):
        holder = read_holder(path)
        if holder is not None and not process_gone(holder):
            return holder, None
        _write_holder(path, mine)
        return None, holder


@dataclass
class RunLock:
    """The lock of one run; `hold` takes it for the length of a `with` block."""

    path: Path
    environment: str | None
    # Where notes (a stale lock taken over) go; stderr in the CLI.
    note: Callable[[str], None]

    @contextlib.contextmanager
    def hold(self, timeout_s: float = 0.0, command: str | None = None) -> Iterator[Holder]:
        mine = Holder(
            socket.gethostname(),
            os.getpid(),
            command or current_command(),
            datetime.now(UTC).isoformat(timespec="seconds"),
            uuid.uuid4().hex,
        )
        self._take(mine, timeout_s)
        try:
            yield mine
        finally:
            self._release(mine)

    def _take(self, mine: Holder, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        while True:
            holder, stale = _try_take(self.path, mine)
            if holder is None:
                if stale is not None:
                    self.note(
                        f"note: took over the run lock {display_path(self.path)} left by "
                        f"{stale.sentence()}, which no longer runs"
                    )
                return
            if time.monotonic() >= deadline:
                raise LockHeld(self._refusal(holder, timeout_s))
            time.sleep(_POLL_S)

    def _refusal(self, holder: Holder, timeout_s: float) -> str:
        where = f" for environment {self.environment!r}" if self.environment else ""
        waited = f" (waited {timeout_s:g}s)" if timeout_s > 0 else ""
        return (
            f"another run holds the run lock{where}: {holder.sentence()}{waited}; wait for it "
            "to end, pass --lock-timeout to wait, or remove a lock it left with voiceops unlock"
        )

    def _release(self, mine: Holder) -> None:
        with contextlib.suppress(VoiceopsError, OSError), _guarded(self.path):
            holder = read_holder(self.path)
            if holder is not None and holder.token == mine.token:
                self.path.unlink()


def remove_lock(path: Path) -> None:
    """Remove the lock file (unlock)."""
    with _guarded(path):
        path.unlink(missing_ok=True)


def ensure_ignored(root: Path) -> bool:
    """Add the lock files' line to `root`'s .gitignore when it is missing; True if added."""
    path = root / ".gitignore"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        text = ""
    except (OSError, UnicodeDecodeError):
        return False  # not ours to repair; git status shows the lock then
    addition = ignore_line_for(text)
    if not addition:
        return False
    try:
        with path.open("a", encoding="utf-8") as file:
            file.write(addition)
    except OSError:
        return False
    return True


def ignore_line_for(gitignore: str) -> str:
    """What to append to a .gitignore holding `gitignore` so that it lists the lock files:
    nothing when a line lists them already (also `/`-anchored or indented)."""
    lines = {line.strip() for line in gitignore.splitlines()}
    if IGNORE_LINE in lines or f"/{IGNORE_LINE}" in lines:
        return ""
    separator = "" if not gitignore or gitignore.endswith("\n") else "\n"
    return f"{separator}{IGNORE_LINE}\n"


_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*")
_UNIT_S = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(text: str) -> float:
    """Seconds in `30s`, `5m`, `1h`, `500ms` or a bare number of seconds."""
    match = _DURATION.fullmatch(text)
    if match is None:
        raise ValueError(f"{text!r} is not a duration like 30s, 5m or 1h")
    return float(match.group(1)) * _UNIT_S[match.group(2) or "s"]

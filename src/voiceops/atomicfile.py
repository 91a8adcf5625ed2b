"""Files voiceops keeps beside voiceops.yaml: read whole, and replaced so that readers see
the old content or the new, never a part of it."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from voiceops.errors import VoiceopsError, display_path


def replace_file(path: Path, content: bytes, mode: int) -> None:
    """Write `content` beside `path` under a unique name with permission bits `mode`, flush
    it to disk, then rename it over `path`; on any failure the temporary file is removed."""
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(content)
            file.flush()
            os.fchmod(file.fileno(), mode)  # mkstemp makes it private (0600)
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _sync_directory(path.parent)


def _sync_directory(directory: Path) -> None:
    """Make the rename itself durable, where the platform can open a directory."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def read_record(path: Path, what: str) -> str | None:
    """The text of one of voiceops's record files, None when there is none yet, or one
    sentence naming it (`what`) and why it cannot be read."""
    try:
        if path.exists() and not path.is_file():
            # A device or a FIFO (a link committed to /dev/zero) would never end the read.
            raise VoiceopsError(f"{what} {display_path(path)} is not a regular file")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8"
        raise VoiceopsError(f"cannot read {what} {display_path(path)}: {reason}") from None

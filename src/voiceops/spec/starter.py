"""The starter repository `voiceops init` writes: this project's own example repository
(voiceops.yaml, one document per vendor, the schemas and the user-facing workflows),
packaged into the wheel as `voiceops/_starter` and read from the checkout in development."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from voiceops import __version__
from voiceops.errors import VoiceopsError, display_path
from voiceops.runlock import ignore_line_for
from voiceops.spec.schemas import bundled_schema_dir

# Workflows a user's repository gets; ci.yml runs voiceops' own tests and is not one of them.
USER_WORKFLOWS = ("plan.yml", "apply.yml", "drift.yml")

# The install line of the workflows; what `init` writes pins the version that wrote it.
_INSTALL_PIN = re.compile(r"voiceops-gitops==[0-9][0-9A-Za-z.+-]*")
# What `init --upgrade` rewrites: what voiceops owns, never the user's settings or documents.
UPGRADED = (Path("schemas"), Path(".github/workflows"))


@dataclass(frozen=True)
class StarterFile:
    relative: Path  # where it goes in the new repository
    source: Path

    def content(self) -> bytes:
        data = self.source.read_bytes()
        if self.relative.parent != Path(".github/workflows"):
            return data
        pinned = _INSTALL_PIN.sub(f"voiceops-gitops=={__version__}", data.decode("utf-8"))
        return pinned.encode("utf-8")


def starter_root() -> Path:
    """`_starter` inside an installed wheel, or the top of a source checkout."""
    packaged = Path(str(resources.files("voiceops"))) / "_starter"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3]


def starter_files() -> list[StarterFile]:
    root = starter_root()
    workflows = root / "workflows" if (root / "workflows").is_dir() else root / ".github/workflows"
    files = [StarterFile(Path("voiceops.yaml"), root / "voiceops.yaml")]
    files += [
        StarterFile(Path("assistants") / p.name, p)
        for p in sorted((root / "assistants").glob("*.yaml"))
    ]
    files += [
        StarterFile(Path("schemas") / p.name, p)
        for p in sorted(bundled_schema_dir().glob("*.json"))
    ]
    files += [
        StarterFile(Path(".github/workflows") / name, workflows / name) for name in USER_WORKFLOWS
    ]
    return files


def write_starter(destination: Path, *, force: bool = False) -> list[Path]:
    """Write the starter repository into `destination`; nothing is written when a file
    already exists there, unless `force`. Returns the paths written."""
    files = starter_files()
    if destination.exists() and not destination.is_dir():
        raise VoiceopsError(f"{display_path(destination)} exists and is not a directory")
    existing = [destination / f.relative for f in files if (destination / f.relative).exists()]
    if existing and not force:
        shown = ", ".join(display_path(p) for p in existing[:5])
        more = f" and {len(existing) - 5} more" if len(existing) > 5 else ""
        raise VoiceopsError(
            f"{shown}{more} already exist{'s' if len(existing) == 1 else ''}; "
            "nothing was written (pass --force to overwrite)"
        )
    gitignore = destination / ".gitignore"
    # Read (and refused, if it cannot be) before anything is written.
    contents = [(destination / f.relative, f.content()) for f in files]
    contents.append((gitignore, _ignoring_lock(gitignore)))
    _write_all(contents)
    return [target for target, _ in contents]


def upgrade_starter(destination: Path) -> list[tuple[Path, str]]:
    """Rewrite the schemas and workflows of an existing repository with this version's;
    never voiceops.yaml or the assistant documents. Returns each file written with what
    happened to it (`added` or `updated`); unchanged files are left alone."""
    if not (destination / "voiceops.yaml").is_file():
        raise VoiceopsError(
            f"{display_path(destination)} has no voiceops.yaml to upgrade; run voiceops init"
        )
    owned = [f for f in starter_files() if any(f.relative.is_relative_to(p) for p in UPGRADED)]
    changes: list[tuple[Path, bytes, str]] = []
    for file in owned:
        target, data = destination / file.relative, file.content()
        if not target.exists():
            changes.append((target, data, "added"))
        elif target.read_bytes() != data:
            changes.append((target, data, "updated"))
    _write_all([(target, data) for target, data, _ in changes])
    return [(target, what) for target, _, what in changes]


def _write_all(contents: list[tuple[Path, bytes]]) -> None:
    for target, data in contents:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            _write_atomically(target, data)
        except OSError as exc:
            reason = exc.strerror or type(exc).__name__
            raise VoiceopsError(f"cannot write {display_path(target)}: {reason}") from None


def _ignoring_lock(gitignore: Path) -> bytes:
    """`.gitignore` as it is, plus the lock files' line (see `runlock`) if it lacks it."""
    try:
        current = gitignore.read_text(encoding="utf-8") if gitignore.exists() else ""
    except UnicodeDecodeError:
        raise VoiceopsError(
            f"{display_path(gitignore)} is not UTF-8 text; nothing was written"
        ) from None
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise VoiceopsError(
            f"cannot read {display_path(gitignore)}: {reason}; nothing was written"
        ) from None
    return (current + ignore_line_for(current)).encode()


def _write_atomically(target: Path, data: bytes) -> None:
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        temporary.write_bytes(data)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)

"""The few git operations publishing what apply wrote needs, each one `git` process with an
explicit argument list (never a shell string)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path

from voiceops.errors import VoiceopsError

GIT_TIMEOUT_S = 300.0
BOT_NAME = "github-actions[bot]"
BOT_EMAIL = "41898282+github-actions[bot]@users.noreply.github.com"


class PushRejected(VoiceopsError):
    """The remote refused the push (the branch moved on meanwhile, most often)."""


@dataclass(frozen=True)
class GitRepo:
    root: Path
    remote: str = "origin"

    @classmethod
    def around(cls, path: Path) -> GitRepo:
        """The work tree `path` is in."""
        top = _git(path if path.is_dir() else path.parent, "rev-parse", "--show-toplevel")
        return cls(Path(top.strip()))

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return _run(self.root, args, check=check)

    def default_branch(self) -> str:
        """The remote's default branch, as the remote itself says (`HEAD` of the remote)."""
        found = self.run("symbolic-ref", "--quiet", f"refs/remotes/{self.remote}/HEAD", check=False)
        if found.returncode == 0 and found.stdout.strip():
            return found.stdout.strip().removeprefix(f"refs/remotes/{self.remote}/")
        listed = self.run("ls-remote", "--symref", self.remote, "HEAD").stdout
        for line in listed.splitlines():
            if line.startswith("ref: refs/heads/") and line.endswith("\tHEAD"):
                return line.removeprefix("ref: refs/heads/").removesuffix("\tHEAD")
        raise VoiceopsError(
            f"cannot tell the default branch of {self.remote}; name it with --branch"
        )

    def show(self, revision: str, relative: str) -> str | None:
        """The text of `relative` at `revision`; None when it has no such file."""
        found = self.run("show", f"{revision}:{relative}", check=False)
        return found.stdout if found.returncode == 0 else None

    def changed_tracked(self, under: Path) -> list[str]:
        """Files already in git under `under` that differ from HEAD (new files are not
        apply's: it only writes ids into documents it read)."""
        out = self.run("diff", "--name-only", "--no-renames", "HEAD", "--", str(under)).stdout
        return [line for line in out.splitlines() if line]

    def tracked(self, under: Path) -> list[str]:
        out = self.run("ls-files", "--", str(under)).stdout
        return [line for line in out.splitlines() if line]

    def fetch_tip(self, branch: str) -> str:
        self.run("fetch", "--quiet", "--no-tags", self.remote, f"refs/heads/{branch}")
        return self.run("rev-parse", "FETCH_HEAD").stdout.strip()

    def reset_to(self, commit: str) -> None:
        self.run("reset", "--quiet", "--hard", commit)

    def commit(self, paths: list[str], message: str) -> bool:
        """Commit `paths` as they are (added, changed or deleted); False when unchanged."""
        present = [p for p in paths if (self.root / p).exists() or self._tracked(p)]
        if not present:
            return False
        self.run("add", "--all", "--", *present)
        if self.run("diff", "--cached", "--quiet", check=False).returncode == 0:
            return False
        identity = ("-c", f"user.name={BOT_NAME}", "-c", f"user.email={BOT_EMAIL}")
        _run(self.root, (*identity, "commit", "--quiet", "-m", message), check=True)
        return True

    def _tracked(self, relative: str) -> bool:
        return self.run("ls-files", "--error-unmatch", "--", relative, check=False).returncode == 0

    def head(self) -> str:
        return self.run("rev-parse", "HEAD").stdout.strip()

    def push(self, branch: str) -> None:
        pushed = self.run("push", "--quiet", self.remote, f"HEAD:refs/heads/{branch}", check=False)
        if pushed.returncode != 0:
            raise PushRejected(f"git push was refused: {_last_line(pushed.stderr)}")


def _git(cwd: Path, *args: str) -> str:
    return _run(cwd, args, check=True).stdout


def _run(cwd: Path, args: tuple[str, ...], *, check: bool) -> subprocess.CompletedProcess[str]:
    try:
        done = subprocess.run(
            ["git", *args],
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT_S,
            check=False,
        )
    except FileNotFoundError:
        raise VoiceopsError("git is not installed") from None
    except subprocess.TimeoutExpired:
        raise VoiceopsError(f"git {args[0]} did not finish in {GIT_TIMEOUT_S:g} s") from None
    if check and done.returncode != 0:
        raise VoiceopsError(f"git {' '.join(args[:2])} failed: {_last_line(done.stderr)}")
    return done


def _last_line(stderr: str) -> str:
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "no message"

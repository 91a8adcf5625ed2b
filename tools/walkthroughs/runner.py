"""Runs a walkthrough against real sandboxes and turns it into console transcripts.

A walkthrough is a list of steps. Each step does something in a fresh temporary folder
(write a file, export a variable, start `voiceops sandbox`, run a shell command) and adds
what a reader would see to the current block. The blocks replace the marked blocks of the
documentation pages, so the docs show exactly what the commands print.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

# Lines an apply prints as each assistant finishes, in whatever order they finish.
OUTCOME_LINE = re.compile(
    r"^  (applied|created|adopted|deleted|unchanged|stale|failed|not converged|deferred"
    r"|uncertain|interrupted)  "
)
# Times a vendor or voiceops stamps, which differ on every run.
TIMESTAMPS = (
    r"\b20\d\d-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)?",
    "2026-01-01T12:00:{:02d}Z",
)


class UnexpectedExit(RuntimeError):
    """A voiceops command of a walkthrough ended with another exit code than its step says."""


@dataclass
class Block:
    """Starts a new transcript block: `<!-- walkthrough: NAME -->` in a docs page."""

    name: str


@dataclass
class Comment:
    """A `# …` line in the transcript: something the reader does by hand or should notice."""

    text: str


@dataclass
class Write:
    """Writes a file, shown as the `cat > PATH <<'EOF'` that makes it."""

    path: str
    text: str


@dataclass
class Edit:
    """Changes a file as a reader would in an editor, shown as a comment that says what."""

    path: str
    old: str
    new: str
    says: str


@dataclass
class Export:
    """Sets an environment variable for the commands that follow, to a value or to what a
    command prints (shown as `export NAME=$(command)`)."""

    name: str
    value: str = ""
    command: str = ""


@dataclass
class Sandbox:
    """Starts `voiceops sandbox` on a free port, shown as the port the docs use."""

    shown_port: int
    show_banner: bool = True


@dataclass
class Run:
    """Runs one shell command in the walkthrough's folder and shows what it printed. A
    voiceops command must end with `exit_code`, or the walkthrough stops: a page whose
    prose says "exit 2" should not quietly show something else after a regeneration."""

    command: str
    note: str = ""
    exit_code: int = 0


Step = Block | Comment | Write | Edit | Export | Sandbox | Run


@dataclass
class Walkthrough:
    """A named list of steps, the pages that show its blocks, and the patterns of values
    that vary from run to run."""

    name: str
    pages: Sequence[str]
    steps: Sequence[Step]
    # Each distinct match gets a stable replacement, numbered by first appearance.
    volatile: Sequence[tuple[str, str]] = ()


@dataclass
class Session:
    """What a running walkthrough keeps: its folder, environment, sandboxes and blocks."""

    folder: Path
    stack: ExitStack
    env: dict[str, str]
    ports: dict[int, int] = field(default_factory=dict)  # actual port -> shown port
    blocks: dict[str, list[str]] = field(default_factory=dict)
    current: list[str] = field(default_factory=list)

    def to_actual(self, text: str) -> str:
        for actual, shown in self.ports.items():
            text = re.sub(rf"127\.0\.0\.1:{shown}\b", f"127.0.0.1:{actual}", text)
        return text

    def to_shown(self, text: str) -> str:
        for actual, shown in self.ports.items():
            text = re.sub(rf"127\.0\.0\.1:{actual}\b", f"127.0.0.1:{shown}", text)
        return text.replace(str(self.folder), "~/voiceops-demo")


def base_environment(folder: Path) -> dict[str, str]:
    """Only what a reader's shell has: no CI variables, no VOICEOPS_* settings."""
    path = os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])
    return {
        "PATH": path,
        "HOME": str(folder),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
    }


@contextmanager
def sandbox_process(env: dict[str, str], folder: Path) -> Iterator[tuple[int, list[str]]]:
    """`voiceops sandbox --port 0`: its actual port and its banner; stopped with Ctrl-C."""
    process = subprocess.Popen(
        ["voiceops", "sandbox", "--port", "0"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        banner: list[str] = []
        for line in process.stdout:
            banner.append(line.rstrip("\n"))
            if line.startswith("Serving until"):
                break
        found = re.search(r"127\.0\.0\.1:(\d+)/", "\n".join(banner))
        if found is None:
            raise RuntimeError("voiceops sandbox did not start:\n" + "\n".join(banner))
        yield int(found.group(1)), banner
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def stable_outcomes(lines: list[str]) -> list[str]:
    """Sorts each run of apply's result lines, which arrive in the order assistants finish."""
    result: list[str] = []
    run: list[str] = []
    for line in [*lines, ""]:
        if OUTCOME_LINE.match(line):
            run.append(line)
            continue
        result.extend(sorted(run))
        run = []
        result.append(line)
    return result[:-1]


def run_step(session: Session, step: Step) -> None:
    """Does one step and adds what the reader sees to the current block."""
    out = session.current
    if isinstance(step, Block):
        session.current = session.blocks.setdefault(step.name, [])
    elif isinstance(step, Comment):
        out.append(f"# {step.text}")
    elif isinstance(step, Export):
        export(session, step)
    elif isinstance(step, Edit):
        edit(session, step)
    elif isinstance(step, Write):
        target = session.folder / step.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(session.to_actual(step.text), encoding="utf-8")
        out.extend([f"$ cat > {step.path} <<'EOF'", *step.text.rstrip("\n").split("\n"), "EOF"])
    elif isinstance(step, Sandbox):
        start_sandbox(session, step)
    else:
        run_command(session, step)


def export(session: Session, step: Export) -> None:
    if not step.command:
        session.env[step.name] = step.value
        session.current.append(f"$ export {step.name}={shlex.quote(step.value)}")
        return
    printed = shell(session, step.command)
    if printed.returncode != 0:
        raise RuntimeError(f"{step.command} failed:\n{printed.stdout}")
    session.env[step.name] = printed.stdout.strip()
    session.current.append(f"$ export {step.name}=$({step.command})")


def edit(session: Session, step: Edit) -> None:
    target = session.folder / step.path
    text = target.read_text(encoding="utf-8")
    if text.count(step.old) != 1:
        # The walkthrough no longer fits what voiceops writes: say so rather than show a lie.
        raise LookupError(f"{step.path} does not hold exactly one {step.old!r}:\n{text}")
    target.write_text(text.replace(step.old, step.new), encoding="utf-8")
    session.current.append(f"# edit {step.path}: {step.says}")


def shell(session: Session, command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["bash", "-c", session.to_actual(command)],
        cwd=session.folder,
        env=session.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )


def start_sandbox(session: Session, step: Sandbox) -> None:
    actual, banner = session.stack.enter_context(sandbox_process(session.env, session.folder))
    session.ports[actual] = step.shown_port
    if step.show_banner:
        session.current.append(f"$ voiceops sandbox --port {step.shown_port}")
        session.current.extend(session.to_shown(line) for line in banner)
    else:
        session.current.append(f"# in another terminal: voiceops sandbox --port {step.shown_port}")


def run_command(session: Session, step: Run) -> None:
    result = shell(session, step.command)
    shown = step.command + (f"        # {step.note}" if step.note else "")
    lines = session.to_shown(result.stdout).rstrip("\n").split("\n") if result.stdout else []
    session.current.extend([f"$ {shown}", *stable_outcomes(lines)])
    if step.command.startswith("voiceops"):  # the exit code is part of voiceops' contract
        session.current.append(f"[exit {result.returncode}]")
        if result.returncode != step.exit_code:
            raise UnexpectedExit(f"{step.command} exited {result.returncode}:\n{result.stdout}")


def mask_volatile(text: str, volatile: Sequence[tuple[str, str]]) -> str:
    """Replaces each distinct varying value by `template` numbered by first appearance."""
    for pattern, template in volatile:
        seen: dict[str, str] = {}

        def stable(match: re.Match[str], seen: dict[str, str] = seen, t: str = template) -> str:
            return seen.setdefault(match.group(0), t.format(len(seen) + 1))

        text = re.sub(pattern, stable, text)
    return text


def transcripts(walkthrough: Walkthrough) -> dict[str, str]:
    """Runs the walkthrough and returns each block's transcript."""
    with ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="walkthrough-")))
        session = Session(folder, stack, base_environment(folder))
        session.current = session.blocks.setdefault(walkthrough.name, [])
        for step in walkthrough.steps:
            run_step(session, step)
        joined = {name: "\n".join(lines) for name, lines in session.blocks.items() if lines}
    volatile = [*walkthrough.volatile, TIMESTAMPS]
    masked = mask_volatile("\0".join(joined.values()), volatile).split("\0")
    return dict(zip(joined, masked, strict=True))


BLOCK_NAME = re.compile(r"^<!-- walkthrough: (\S+) -->$", re.MULTILINE)


def block_pattern(name: str) -> re.Pattern[str]:
    opening = rf"<!-- walkthrough: {re.escape(name)} -->\n```console\n"
    return re.compile(rf"({opening})(.*?)(```\n<!-- /walkthrough -->)", re.DOTALL)


def rewrite(page_text: str, blocks: dict[str, str]) -> str:
    """The page with each marked block replaced by its transcript; a missing block is an error."""
    for name, transcript in blocks.items():
        found = block_pattern(name).search(page_text)
        if found is None:
            raise LookupError(f"no block marked <!-- walkthrough: {name} --> in the page")
        start, end = found.span(2)
        page_text = page_text[:start] + transcript + "\n" + page_text[end:]
    return page_text

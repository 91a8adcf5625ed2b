"""What a person sees during apply: results as they finish, a progress bar on a terminal
(none with --no-color or NO_COLOR), the changes a saved plan is about to send, and lines
that say what to do next. Run through the real `voiceops` command against the sandbox."""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import Workspace
from voiceops.sandbox import Faults, Sandbox

BIN = Path(sys.executable).parent
VOICEOPS = BIN / "voiceops"
ESCAPE = re.compile(r"\x1b\[")


@pytest.fixture(autouse=True)
def _installed() -> None:
    if not VOICEOPS.exists():
        pytest.skip("the voiceops command is not installed (pip install -e .)")


def environment(workspace: Workspace, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GITHUB_", "VOICEOPS_"))}
    env.pop("NO_COLOR", None)
    env.update(workspace.env, **extra)
    return env


def voiceops(workspace: Workspace, *args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(VOICEOPS), *args, "--config", str(workspace.config)],
        cwd=workspace.root,
        env=environment(workspace, **env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_results_are_printed_as_each_assistant_finishes(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    # Edmo answers slowly: Interactly's result must be out long before apply ends.
    sandbox.set_faults(Faults(latency_ms=1500), vendor="edmo")
    process = subprocess.Popen(
        [str(VOICEOPS), "apply", "--auto-approve", "--config", str(workspace.config)],
        cwd=workspace.root,
        env=environment(workspace),
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = []
        for line in process.stdout:
            lines.append(line)
            if line.startswith("  applied") and "clinic-intake" in line:
                still_running = process.poll() is None
                edmo_updates = [
                    r for r in sandbox.requests() if r.vendor == "edmo" and r.method == "PATCH"
                ]
                break
        else:
            pytest.fail("no result line for clinic-intake:\n" + "".join(lines))
        assert still_running
        assert not edmo_updates, "the slow vendor's update had already been answered"
        rest = process.stdout.read()
    finally:
        process.wait(timeout=120)
    assert process.returncode == 0
    assert "applied        enrollment-assistant" in rest
    assert rest.rstrip().splitlines()[-1].startswith("Apply: 4 applied")


def run_on_a_terminal(workspace: Workspace, *args: str, **env: str) -> tuple[int, str]:
    """Run voiceops with stdout and stderr on a pseudo-terminal; return its exit and output."""
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [str(VOICEOPS), *args, "--config", str(workspace.config)],
        cwd=workspace.root,
        env=environment(workspace, TERM="xterm-256color", COLUMNS="100", **env),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
    )
    os.close(follower)
    chunks = []
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            chunk = os.read(leader, 65536)
        except OSError:  # the terminal closed: the process is done
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return process.wait(timeout=60), b"".join(chunks).decode("utf-8", "replace")


def test_a_terminal_gets_a_progress_bar(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.set_faults(Faults(latency_ms=300))
    code, output = run_on_a_terminal(workspace, "apply", "--auto-approve")
    assert code == 0, output
    assert "Writing" in output
    assert "━" in output
    assert "Apply: 4 applied" in output


@pytest.mark.parametrize(
    ("flags", "env"), [(("--no-color",), {}), ((), {"NO_COLOR": "1"})], ids=["flag", "env"]
)
def test_no_color_means_no_bar_and_no_escape_sequences(
    workspace: Workspace, sandbox: Sandbox, flags: tuple[str, ...], env: dict[str, str]
) -> None:
    sandbox.set_faults(Faults(latency_ms=300))
    code, output = run_on_a_terminal(workspace, "apply", "--auto-approve", *flags, **env)
    assert code == 0, output
    assert "━" not in output, output
    assert not ESCAPE.search(output), output
    assert "applied        clinic-intake" in output


def test_a_saved_plan_shows_what_it_is_about_to_send(workspace: Workspace) -> None:
    planned = voiceops(workspace, "plan", "--out", "plan.json")
    assert planned.returncode == 0, planned.stderr
    result = voiceops(workspace, "apply", "plan.json")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "~ clinic-intake (interactly-prod" in out
    assert "idleTimeout" in out
    # The changes come first, then the results.
    assert out.index("~ clinic-intake") < out.index("applied        clinic-intake")


def test_a_stale_assistant_says_to_plan_again(workspace: Workspace, sandbox: Sandbox) -> None:
    assert voiceops(workspace, "plan", "--out", "plan.json").returncode == 0
    sandbox.edit("interactly", "5f7b1b1b1b1b1b1b1b1b1b1b", {"idleTimeout": 45})
    result = voiceops(workspace, "apply", "plan.json")
    assert result.returncode == 1
    (line,) = [x for x in result.stdout.splitlines() if "clinic-intake" in x and "stale" in x]
    assert line.endswith("run voiceops plan again")


def test_allow_mass_update_does_not_warn_about_itself(workspace: Workspace) -> None:
    config = workspace.config.read_text(encoding="utf-8")
    workspace.config.write_text(
        config + "safety: {max_update_share: 0.1, min_managed: 1}\n", encoding="utf-8"
    )
    refused = voiceops(workspace, "apply", "--auto-approve")
    assert refused.returncode == 1
    assert "--allow-mass-update" in refused.stderr
    allowed = voiceops(workspace, "apply", "--auto-approve", "--allow-mass-update")
    assert allowed.returncode == 0, allowed.stderr
    assert "--allow-mass-update" not in allowed.stdout + allowed.stderr

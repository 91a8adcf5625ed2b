"""Running the shipped workflows' jobs for real, step by step, the way a GitHub runner does
(this module holds no tests of its own).

A job's `actions/checkout` step is a clone of a bare repository on disk at the ref the step
names; its `run:` steps run in bash (`-eo pipefail`) with the runner's files (GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY, RUNNER_TEMP), in order, skipping the package install (this checkout's
voiceops is on PATH). `${{ … }}` values that are one context reference (`secrets.X`,
`needs.J.outputs.Y`, `steps.S.outputs.Z`, `matrix.K`, `github.…`) are resolved from what
the test and the earlier steps and jobs gave; a step's `if:` is honoured for its
`steps.S.outputs.Z != ''` terms and for `!cancelled()` (runs after a failure).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
BIN = str(Path(sys.executable).parent)
PATH = os.pathsep.join([BIN, os.environ.get("PATH", "")])
STEP_TIMEOUT = 300  # seconds; every subprocess here stops by itself
CREDENTIALS = (
    "INTERACTLY_API_KEY",
    "EDMO_EMAIL",
    "EDMO_PASSWORD",
    "INVENT_API_KEY",
    "AUTOCALLS_TOKEN",
    "CLINIC_INTAKE_ASSISTANTSERVER_SECRET",
)
_REFERENCE = re.compile(r"^\$\{\{\s*([A-Za-z0-9_.\-]+)\s*\}\}$")
_NOT_EMPTY = re.compile(r"([A-Za-z0-9_.\-]+) != ''")


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def base_env(temp: Path) -> dict[str, str]:
    """A runner's environment: nothing of this machine's credentials or GitHub variables."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in CREDENTIALS
        and not key.startswith(("GITHUB_", "RUNNER_", "VOICEOPS_", "STAGING_"))
        and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
    }
    env.update(
        PATH=PATH,
        GITHUB_ACTIONS="true",
        RUNNER_TEMP=str(temp),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
        GIT_CONFIG_NOSYSTEM="1",
        GIT_CONFIG_GLOBAL=os.devnull,
        GIT_TERMINAL_PROMPT="0",
    )
    return env


def git(cwd: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
        cwd=cwd,
        env=base_env(cwd),
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return done.stdout


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


@dataclass
class JobResult:
    root: Path
    outputs: dict[str, str]
    steps: list[StepResult] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return any(step.returncode != 0 for step in self.steps)

    @property
    def log(self) -> str:
        return "".join(step.stdout + step.stderr for step in self.steps)

    @property
    def summary(self) -> str:
        return "".join(step.summary for step in self.steps)


@dataclass
class Context:
    """What `${{ }}` references resolve to: set by the test, and by the jobs as they run."""

    values: dict[str, str] = field(default_factory=dict)

    def resolve(self, value: Any) -> str | None:
        text = str(value)
        found = _REFERENCE.match(text)
        if found:
            return self.values.get(found.group(1), "")
        return None if "${{" in text else text

    def holds(self, condition: str) -> bool:
        return all(self.values.get(name, "") != "" for name in _NOT_EMPTY.findall(condition))

    def add_outputs(self, prefix: str, outputs: dict[str, str]) -> None:
        for key, value in outputs.items():
            self.values[f"{prefix}.outputs.{key}"] = value


def run_step(script: str, root: Path, temp: Path, env: dict[str, str]) -> StepResult:
    summary, output, path = temp / "summary.md", temp / "output.txt", temp / "step.sh"
    for each in (summary, output):
        each.write_text("", encoding="utf-8")
    path.write_text(script, encoding="utf-8")
    env = {**env, "GITHUB_STEP_SUMMARY": str(summary), "GITHUB_OUTPUT": str(output)}
    done = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(path)],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    outputs = dict(
        line.split("=", 1)
        for line in output.read_text(encoding="utf-8").splitlines()
        if "=" in line
    )
    return StepResult(
        done.returncode, done.stdout, done.stderr, summary.read_text(encoding="utf-8"), outputs
    )


def step_env(
    workflow: dict[str, Any], job_id: str, step: dict[str, Any], context: Context, temp: Path
) -> dict[str, str]:
    env = base_env(temp)
    for block in (workflow.get("env"), workflow["jobs"][job_id].get("env"), step.get("env")):
        for key, value in (block or {}).items():
            resolved = context.resolve(value)
            if resolved is not None:
                env[key] = resolved
    return env


def checkout(job: dict[str, Any], origin: Path, root: Path, context: Context) -> None:
    """The job's actions/checkout step: a clone of `origin` at the step's ref (a branch is
    checked out as a branch, a commit detached), else at the default branch."""
    step = next(s for s in job["steps"] if str(s.get("uses", "")).startswith("actions/checkout"))
    ref = context.resolve(step.get("with", {}).get("ref", "")) or ""
    git(origin.parent, "clone", "--quiet", str(origin), str(root))
    if ref:
        git(
            root,
            "checkout",
            "--quiet",
            *(["--detach"] if re.fullmatch(r"[0-9a-f]{40}", ref) else []),
            ref,
        )


def run_job(
    workflow: dict[str, Any],
    job_id: str,
    origin: Path,
    workdir: Path,
    context: Context,
) -> JobResult:
    """Check out, then run the job's `run:` steps in order; its outputs go into `context`
    as `needs.<job>.outputs.<name>`."""
    job = workflow["jobs"][job_id]
    root, temp = workdir / job_id, workdir / f"{job_id}-temp"
    temp.mkdir(parents=True)
    checkout(job, origin, root, context)
    result = JobResult(root, {})
    for index, step in enumerate(job["steps"]):
        script = step.get("run")
        if script is None or script.startswith("pipx install"):
            continue
        condition = str(step.get("if", ""))
        if (result.failed and "!cancelled()" not in condition) or not context.holds(condition):
            continue
        env = step_env(workflow, job_id, step, context, temp)
        done = run_step(script, root, temp, env)
        result.steps.append(done)
        context.add_outputs(f"steps.{step.get('id', index)}", done.outputs)
    outputs = {k: context.resolve(v) or "" for k, v in job.get("outputs", {}).items()}
    result.outputs = outputs
    context.add_outputs(f"needs.{job_id}", outputs)
    # The next job's steps see only their own job's steps.
    for key in [k for k in context.values if k.startswith("steps.")]:
        del context.values[key]
    return result

"""The GitHub workflows users copy: their structure, actionlint, their shell steps run for real
against the sandbox, and their github-script steps run in Node against a stand-in GitHub API.

Nothing here talks to anything but 127.0.0.1: voiceops runs with `--sandbox` (through the
workflows' VOICEOPS_FLAGS), git pushes go to a bare repository in a temporary directory, and the
github-script steps get a fake `github` object.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
WORKFLOWS = REPO / ".github" / "workflows"
ACTIONLINT = REPO / ".ci" / "actionlint.sh"
MARKER = "<!-- voiceops -->"
CREDENTIALS = (
    "INTERACTLY_API_KEY",
    "EDMO_EMAIL",
    "EDMO_PASSWORD",
    "INVENT_API_KEY",
    "AUTOCALLS_TOKEN",
    "CLINIC_INTAKE_ASSISTANTSERVER_SECRET",
)
ALLOWED_ACTIONS = {
    "actions/checkout@v4",
    "actions/setup-python@v5",
    "actions/setup-node@v4",
    "actions/github-script@v7",
}
STEP_TIMEOUT = 180  # seconds; every subprocess here stops by itself
# Where the test interpreter's scripts (`voiceops`, `python3`) live, first on the steps' PATH.
BIN = str(Path(sys.executable).parent)
PATH = os.pathsep.join([BIN, os.environ.get("PATH", "")])


# --- reading workflows --------------------------------------------------------------------------


def load(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text(encoding="utf-8"))
    # YAML 1.1 (PyYAML) reads the key `on` as the boolean True.
    if True in data:
        data["on"] = data.pop(True)
    return data


def triggers(workflow: dict[str, Any]) -> dict[str, Any]:
    on = workflow["on"]
    if isinstance(on, str):
        return {on: None}
    if isinstance(on, list):
        return dict.fromkeys(on)
    return on


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def find_step(
    workflow: dict[str, Any], pattern: str, job: str | None = None
) -> tuple[str, dict[str, Any]]:
    """The one `run:` step whose script matches `pattern` (a regular expression), in `job`, or
    else in the first job that has one (apply.yml's production job repeats the apply job's)."""
    found = [
        (job_id, step)
        for job_id, step in all_steps(workflow)
        if "run" in step and re.search(pattern, step["run"]) and job in (None, job_id)
    ]
    found = [(job_id, step) for job_id, step in found if job_id == found[0][0]] if found else []
    assert len(found) == 1, f"expected one step matching {pattern!r}, found {len(found)}"
    return found[0]


def script_step(workflow: dict[str, Any]) -> dict[str, Any]:
    found = [s for _, s in all_steps(workflow) if s.get("uses", "").startswith("actions/github")]
    assert len(found) == 1
    return found[0]


def permissions(workflow: dict[str, Any], job_id: str) -> dict[str, str]:
    """The job's effective token permissions (a job's own block replaces the workflow's)."""
    job = workflow["jobs"][job_id]
    return job.get("permissions", workflow.get("permissions", {}))


WORKFLOW_NAMES = ["plan.yml", "apply.yml", "drift.yml", "ci.yml"]


# --- structure ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_workflow_parses_and_uses_only_pinned_well_known_actions(name: str) -> None:
    workflow = load(name)
    assert workflow["on"]
    assert workflow["jobs"]
    for _, step in all_steps(workflow):
        if "uses" in step:
            assert step["uses"] in ALLOWED_ACTIONS, step["uses"]
    assert "marocchino" not in (WORKFLOWS / name).read_text(encoding="utf-8")


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_run_scripts_interpolate_no_expressions_and_never_echo_secrets(name: str) -> None:
    workflow = load(name)
    for _, step in all_steps(workflow):
        script = step.get("run", "")
        # Anything from ${{ }} reaches a script through `env:` only (no script injection).
        assert "${{" not in script, script
        # Credentials are read by voiceops itself; no script mentions them.
        for variable in CREDENTIALS:
            assert variable not in script, (variable, script)
    # Secrets are handed to single steps, never to a whole job or workflow.
    assert "secrets." not in json.dumps(workflow.get("env", {}))
    for job in workflow["jobs"].values():
        assert "secrets." not in json.dumps(job.get("env", {}))
        assert "secrets." not in json.dumps(job.get("if", ""))


@pytest.mark.parametrize("name", ["plan.yml", "apply.yml", "drift.yml"])
def test_secrets_are_passed_to_the_voiceops_step_by_name(name: str) -> None:
    workflow = load(name)
    _, step = find_step(workflow, r"voiceops (plan|apply|drift)\b")
    for variable in CREDENTIALS:
        assert step["env"][variable] == f"${{{{ secrets.{variable} }}}}"
    assert workflow["env"]["VOICEOPS_FLAGS"] == ""
    assert "$VOICEOPS_FLAGS" in step["run"]


def test_plan_workflow_structure() -> None:
    workflow = load("plan.yml")
    assert "pull_request" in triggers(workflow)
    assert workflow["permissions"] == {"contents": "read"}

    validate_job, validate = find_step(workflow, r"^voiceops validate\b|\nvoiceops validate\b")
    plan_job, plan = find_step(workflow, r"voiceops plan\b")
    assert validate_job != plan_job
    # Forks (no secrets, read-only token) are validated but not planned or commented on.
    assert "if" not in workflow["jobs"][validate_job]
    condition = workflow["jobs"][plan_job]["if"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in condition
    assert workflow["jobs"][plan_job]["needs"] == validate_job
    assert permissions(workflow, plan_job) == {"contents": "read", "pull-requests": "write"}
    assert permissions(workflow, validate_job) == {"contents": "read"}

    assert "--format markdown" in plan["run"]
    assert "--detailed-exitcode" in plan["run"]
    assert "GITHUB_STEP_SUMMARY" in plan["run"]
    assert "GITHUB_STEP_SUMMARY" in validate["run"]

    comment = script_step(workflow)
    assert comment["uses"] == "actions/github-script@v7"
    assert "!cancelled()" in comment["if"]
    assert plan["id"] in comment["if"]
    script = comment["with"]["script"]
    assert MARKER in script
    assert "updateComment" in script
    assert "createComment" in script


def test_apply_workflow_structure() -> None:
    workflow = load("apply.yml")
    on = triggers(workflow)
    assert on["push"]["branches"] == ["main"]
    assert "workflow_dispatch" in on
    assert workflow["concurrency"] == {"group": "voiceops-apply", "cancel-in-progress": False}
    assert list(workflow["jobs"]) == ["apply", "production"]
    job_id = "apply"
    assert permissions(workflow, job_id) == {"contents": "write"}

    _, apply = find_step(workflow, r"voiceops apply\b")
    assert _ == job_id
    assert "--auto-approve" in apply["run"]
    assert "GITHUB_STEP_SUMMARY" in apply["run"]
    _, commit = find_step(workflow, r"git commit\b")
    assert "[skip ci]" in commit["run"]
    assert "write_only_record" in commit["run"]
    assert 'report["assistants"]' in commit["run"]
    assert "$VOICEOPS_FLAGS" in commit["run"]
    # Committed also when apply failed part-way; not when the run was cancelled.
    assert "!cancelled()" in commit["if"]
    assert apply["id"] in commit["if"]


def test_drift_workflow_structure() -> None:
    workflow = load("drift.yml")
    on = triggers(workflow)
    assert on["schedule"]
    assert all("cron" in entry for entry in on["schedule"])
    assert "workflow_dispatch" in on
    (job_id,) = workflow["jobs"]
    assert permissions(workflow, job_id) == {"contents": "read", "issues": "write"}

    _, drift = find_step(workflow, r"voiceops drift\b")
    assert "--format markdown" in drift["run"]
    assert "GITHUB_STEP_SUMMARY" in drift["run"]
    issue = script_step(workflow)
    assert issue["uses"] == "actions/github-script@v7"
    script = issue["with"]["script"]
    assert "'drift'" in script
    assert MARKER in script
    for call in ("listForRepo", "createLabel", "issues.create(", "issues.update(", "closed"):
        assert call in script


def test_ci_workflow_structure() -> None:
    workflow = load("ci.yml")
    on = triggers(workflow)
    assert "push" in on
    assert "pull_request" in on
    test = workflow["jobs"]["test"]
    assert {"3.11", "3.12"} <= set(test["strategy"]["matrix"]["python-version"])
    scripts = [step.get("run", "") for step in test["steps"]]
    for command in ("pip install -e '.[test]'", "pytest", "ruff check .", "ruff format --check ."):
        assert command in scripts
    assert any(".ci/actionlint.sh" in s.get("run", "") for _, s in all_steps(workflow))
    assert any("mkdocs build --strict" in s.get("run", "") for _, s in all_steps(workflow))


# --- actionlint ---------------------------------------------------------------------------------


def test_actionlint() -> None:
    """actionlint and shellcheck, as installed by `.ci/actionlint.sh` (which CI runs first)."""
    result = subprocess.run(
        ["bash", str(ACTIONLINT), "--no-install"],
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT,
        check=False,
    )
    if result.returncode == 3:
        pytest.skip(f"actionlint not available: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr


# --- running the steps' shell scripts -----------------------------------------------------------


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    summary: str
    outputs: dict[str, str]


@dataclass
class Runner:
    """Runs a workflow step's `run:` script the way a GitHub runner does (bash -eo pipefail),
    in `root`, with the files and variables a runner provides, against the sandbox
    (VOICEOPS_SANDBOX=1, which works like `--sandbox`)."""

    root: Path
    temp: Path

    def env(self, workflow: dict[str, Any], job_id: str, step: dict[str, Any]) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in CREDENTIALS
            and not key.startswith(("GITHUB_", "RUNNER_", "VOICEOPS_"))
            and key.lower() not in ("http_proxy", "https_proxy", "all_proxy")
        }
        for block in (workflow.get("env"), workflow["jobs"][job_id].get("env"), step.get("env")):
            for key, value in (block or {}).items():
                # Expressions (secrets, github.*) are what a test sets itself, if anything.
                if "${{" not in str(value):
                    env[key] = str(value)
        env.update(
            PATH=PATH,
            GITHUB_ACTIONS="true",
            RUNNER_TEMP=str(self.temp),
            VOICEOPS_SANDBOX="1",
            VOICEOPS_FLAGS="",
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            GIT_CONFIG_NOSYSTEM="1",
            GIT_CONFIG_GLOBAL=os.devnull,
            GIT_TERMINAL_PROMPT="0",
        )
        return env

    def run(
        self,
        workflow: dict[str, Any],
        job_id: str,
        step: dict[str, Any],
        **extra_env: str,
    ) -> StepResult:
        summary = self.temp / "summary.md"
        output = self.temp / "output.txt"
        script = self.temp / "step.sh"
        for path in (summary, output):
            path.write_text("", encoding="utf-8")
        script.write_text(step["run"], encoding="utf-8")
        env = self.env(workflow, job_id, step)
        env.update(GITHUB_STEP_SUMMARY=str(summary), GITHUB_OUTPUT=str(output), **extra_env)
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            cwd=self.root,
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
            result.returncode,
            result.stdout,
            result.stderr,
            summary.read_text(encoding="utf-8"),
            outputs,
        )

    def git(self, *args: str, cwd: Path | None = None) -> str:
        env = self.env({"jobs": {"_": {}}}, "_", {})
        result = subprocess.run(
            ["git", "-c", "user.name=test", "-c", "user.email=test@example.invalid", *args],
            cwd=cwd or self.root,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return result.stdout


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    if shutil.which("voiceops", path=PATH) is None:
        pytest.skip("the voiceops command is not installed (pip install -e .)")
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "voiceops.yaml", root / "voiceops.yaml")
    shutil.copytree(REPO / "assistants", root / "assistants")
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return Runner(root, temp)


def needs_command(name: str) -> None:
    result = subprocess.run(
        ["voiceops", name, "--help"],
        env={**os.environ, "PATH": PATH},
        capture_output=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        pytest.skip(f"`voiceops {name}` is not implemented yet")


def test_validate_step_passes_on_the_example_specs(runner: Runner) -> None:
    workflow = load("plan.yml")
    result = runner.run(workflow, *find_step(workflow, r"voiceops validate\b"))
    assert result.returncode == 0, result.stderr
    assert "All assistant specs are valid." in result.summary
    assert "Plan skipped" not in result.summary


def test_validate_step_fails_with_annotations_and_notes_forks(runner: Runner) -> None:
    spec = runner.root / "assistants" / "clinic-intake.yaml"
    spec.write_text(
        spec.read_text(encoding="utf-8").replace(
            "assistantTemperature: 0.2", "assistantTemperature: hot"
        ),
        encoding="utf-8",
    )
    workflow = load("plan.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops validate\b"),
        HEAD_REPO="someone/fork",
        BASE_REPO="owner/repo",
    )
    assert result.returncode == 1
    assert "::error file=" in result.stdout + result.stderr
    assert "errors" in result.summary
    assert "Plan skipped" in result.summary


def test_validate_step_notes_dependabot(runner: Runner) -> None:
    workflow = load("plan.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops validate\b"),
        HEAD_REPO="owner/repo",
        BASE_REPO="owner/repo",
        ACTOR="dependabot[bot]",
    )
    assert result.returncode == 0, result.stderr
    assert "Plan skipped: Dependabot" in result.summary
    assert "dependabot[bot]" in load("plan.yml")["jobs"]["plan"]["if"]


def test_plan_step_reports_to_summary_and_output(runner: Runner) -> None:
    secret = "s3cr3t-webhook-value-for-the-test"
    workflow = load("plan.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops plan\b"),
        CLINIC_INTAKE_ASSISTANTSERVER_SECRET=secret,
    )
    assert result.returncode == 0, result.stderr
    assert result.outputs["exitcode"] in ("0", "2")
    report = Path(result.outputs["report"])
    assert report.parent == runner.temp
    assert result.summary.startswith(MARKER)
    assert "voiceops plan" in result.summary
    assert report.read_text(encoding="utf-8") == result.summary
    assert len(result.summary) < 65536
    for text in (result.summary, result.stdout, result.stderr):
        assert secret not in text


def test_plan_step_fails_after_writing_the_error(runner: Runner) -> None:
    workflow = load("plan.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops plan\b"),
        VOICEOPS_FLAGS="--config does-not-exist.yaml",
    )
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    assert result.summary.startswith(MARKER)
    assert "voiceops plan failed" in result.summary
    assert "Traceback" not in result.summary
    assert Path(result.outputs["report"]).read_text(encoding="utf-8") == result.summary


def test_apply_step_applies_and_writes_summary(runner: Runner) -> None:
    workflow = load("apply.yml")
    result = runner.run(workflow, *find_step(workflow, r"voiceops apply\b"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["exitcode"] == "0"
    assert "voiceops apply succeeded" in result.summary
    assert "applied" in result.summary


def test_apply_step_passes_allow_mass_update_from_the_manual_run(runner: Runner) -> None:
    workflow = load("apply.yml")
    result = runner.run(
        workflow, *find_step(workflow, r"voiceops apply\b"), ALLOW_MASS_UPDATE="true"
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "voiceops apply succeeded" in result.summary


def test_apply_step_fails_after_writing_the_error(runner: Runner) -> None:
    workflow = load("apply.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops apply\b"),
        VOICEOPS_FLAGS="--config does-not-exist.yaml",
    )
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    assert "voiceops apply failed" in result.summary


def test_drift_step_reports_to_summary_and_output(runner: Runner) -> None:
    needs_command("drift")
    workflow = load("drift.yml")
    result = runner.run(workflow, *find_step(workflow, r"voiceops drift\b"))
    assert result.returncode == 0, result.stderr
    assert result.outputs["exitcode"] in ("0", "2")
    assert result.summary.startswith(MARKER)
    assert "voiceops drift" in result.summary
    assert Path(result.outputs["report"]).read_text(encoding="utf-8") == result.summary


def test_drift_step_fails_on_error(runner: Runner) -> None:
    needs_command("drift")
    workflow = load("drift.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops drift\b"),
        VOICEOPS_FLAGS="--config does-not-exist.yaml",
    )
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    assert "voiceops drift failed" in result.summary


def break_one_assistant(runner: Runner) -> None:
    """Point clinic-intake at an id the sandbox does not know: that assistant fails to read,
    the other three are planned as usual."""
    spec = runner.root / "assistants" / "clinic-intake.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        text.replace('id: "5f7b1b1b1b1b1b1b1b1b1b1b"', 'id: "0f0f0f0f0f0f0f0f0f0f0f0f"'),
        encoding="utf-8",
    )


def test_plan_step_posts_changes_and_errors_then_fails(runner: Runner) -> None:
    break_one_assistant(runner)
    workflow = load("plan.yml")
    result = runner.run(workflow, *find_step(workflow, r"voiceops plan\b"))
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    report = Path(result.outputs["report"]).read_text(encoding="utf-8")
    assert report == result.summary
    assert report.startswith(MARKER)
    assert "support-concierge" in report  # a planned change is still shown
    assert "clinic-intake" in report
    assert "error" in report
    assert "voiceops plan failed (exit 1)" in report


def test_plan_step_with_bad_flags_fails_instead_of_posting_an_empty_comment(
    runner: Runner,
) -> None:
    workflow = load("plan.yml")
    result = runner.run(
        workflow, *find_step(workflow, r"voiceops plan\b"), VOICEOPS_FLAGS="--no-such-flag"
    )
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    report = Path(result.outputs["report"]).read_text(encoding="utf-8")
    assert "voiceops plan failed (exit 1)" in report
    assert "no such option --no-such-flag" in report


def test_drift_step_reports_the_drift_it_found_then_fails(runner: Runner) -> None:
    break_one_assistant(runner)
    workflow = load("drift.yml")
    result = runner.run(workflow, *find_step(workflow, r"voiceops drift\b"))
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    assert result.outputs["drift"] == "found"
    report = Path(result.outputs["report"]).read_text(encoding="utf-8")
    assert "support-concierge" in report
    assert "voiceops drift failed (exit 1)" in result.summary


def test_drift_issue_step_runs_after_a_failure_that_found_drift() -> None:
    workflow = load("drift.yml")
    step = script_step(workflow)
    assert "!cancelled()" in step["if"]
    assert "steps.drift.outputs.drift != ''" in step["if"]
    assert step["env"]["DRIFT"] == "${{ steps.drift.outputs.drift }}"


def test_drift_step_with_a_broken_config_leaves_the_issue_alone(runner: Runner) -> None:
    workflow = load("drift.yml")
    result = runner.run(
        workflow,
        *find_step(workflow, r"voiceops drift\b"),
        VOICEOPS_FLAGS="--config does-not-exist.yaml",
    )
    assert result.returncode == 1
    assert result.outputs["drift"] == ""


def moved_config(runner: Runner) -> str:
    """The repository laid out with its settings under deploy/, as VOICEOPS_FLAGS names."""
    deploy = runner.root / "deploy"
    deploy.mkdir()
    config = yaml.safe_load((runner.root / "voiceops.yaml").read_text(encoding="utf-8"))
    config["assistants"] = "../assistants/"
    config["write_only_record"] = "../state/record.json"
    (deploy / "voiceops.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (runner.root / "voiceops.yaml").unlink()
    return "--config deploy/voiceops.yaml"


@pytest.mark.parametrize(
    ("name", "pattern"),
    [
        ("plan.yml", r"voiceops validate\b"),
        ("plan.yml", r"voiceops plan\b"),
        ("apply.yml", r"voiceops apply\b"),
        ("drift.yml", r"voiceops drift\b"),
    ],
)
def test_voiceops_flags_reach_every_call(runner: Runner, name: str, pattern: str) -> None:
    flags = moved_config(runner) + " --no-color"
    workflow = load(name)
    result = runner.run(workflow, *find_step(workflow, pattern), VOICEOPS_FLAGS=flags)
    assert result.returncode in (0, 2) or result.outputs.get("exitcode") in ("0", "2"), (
        result.stdout + result.stderr
    )
    assert "no voiceops.yaml" not in result.stdout + result.stderr + result.summary


def test_every_voiceops_call_in_the_workflows_takes_voiceops_flags() -> None:
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        for _, step in all_steps(load(name)):
            for line in str(step.get("run", "")).splitlines():
                if re.search(r"^\s*(\w+=\"\$\()?voiceops ", line):
                    assert "$VOICEOPS_FLAGS" in line, (name, line)


def test_commit_step_takes_the_record_path_from_voiceops(runner: Runner) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    flags = moved_config(runner)
    origin = make_origin(runner)
    record = runner.root / "state" / "record.json"
    record.parent.mkdir()
    record.write_text("{}\n", encoding="utf-8")
    result = commit_step(runner, VOICEOPS_FLAGS=flags)
    assert result.returncode == 0, result.stdout + result.stderr
    files = runner.git(f"--git-dir={origin}", "show", "--name-only", "--format=", "main")
    assert files.split() == ["state/record.json"]


def test_commit_step_fails_loudly_when_voiceops_cannot_say_where_the_record_is(
    runner: Runner,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    make_origin(runner)
    result = commit_step(runner, VOICEOPS_FLAGS="--concurrency 4")
    assert result.returncode == 1
    assert "::error::" in result.stdout
    assert "VOICEOPS_FLAGS" in result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def documented_secrets() -> list[str]:
    """The one list: the docs' table of the secrets the workflows pass."""
    page = (REPO / "docs" / "workflows.md").read_text(encoding="utf-8")
    section = page.split("<!-- workflow-secrets -->")[1]
    return re.findall(r"^\| `([A-Z0-9_]+)` \|", section, flags=re.MULTILINE)


def test_workflow_env_blocks_are_the_documented_list() -> None:
    documented = documented_secrets()
    assert documented
    for name in ("plan.yml", "apply.yml", "drift.yml"):
        workflow = load(name)
        for _, step in all_steps(workflow):
            if re.search(r"voiceops (plan|apply|drift)\b", str(step.get("run", ""))):
                passed = [k for k, v in step["env"].items() if "secrets." in str(v)]
                assert passed == documented, name
        header = (WORKFLOWS / name).read_text(encoding="utf-8").split("\nname:")[0]
        for variable in documented:
            assert variable in header, (name, variable)


def test_the_documented_list_is_what_the_example_and_the_sandbox_use() -> None:
    config = yaml.safe_load((REPO / "voiceops.yaml").read_text(encoding="utf-8"))
    wanted = {v for c in config["providers"].values() for k, v in c.items() if k.endswith("_env")}
    for spec in (REPO / "assistants").glob("*.yaml"):
        wanted |= set(re.findall(r"\$\{env:([A-Z0-9_]+)\}", spec.read_text(encoding="utf-8")))
    assert set(documented_secrets()) == wanted
    from voiceops.sandbox import Sandbox, SandboxOptions

    assert set(Sandbox(SandboxOptions()).credentials) == wanted


# --- committing the write-only record -----------------------------------------------------------


def make_origin(runner: Runner) -> Path:
    """Make `runner.root` a clone of a bare repository (on disk) with one commit on main."""
    origin = runner.temp.parent / "origin.git"
    runner.git("init", "--quiet", "--bare", "--initial-branch=main", str(origin))
    runner.git("init", "--quiet", "--initial-branch=main")
    runner.git("add", ".")
    runner.git("commit", "--quiet", "-m", "specs")
    runner.git("remote", "add", "origin", str(origin))
    runner.git("push", "--quiet", "origin", "main")
    return origin


def origin_log(runner: Runner, origin: Path) -> list[str]:
    return runner.git(f"--git-dir={origin}", "log", "--format=%s", "main").splitlines()


def commit_step(runner: Runner, **env: str) -> StepResult:
    workflow = load("apply.yml")
    return runner.run(workflow, *find_step(workflow, r"git commit\b"), BRANCH="main", **env)


@pytest.mark.parametrize("configured", [None, "state/applied.json"])
def test_commit_step_commits_only_a_changed_record(runner: Runner, configured: str | None) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    record = ".voiceops/write-only.json"
    if configured:
        record = configured
        config = runner.root / "voiceops.yaml"
        config.write_text(
            config.read_text(encoding="utf-8") + f"write_only_record: {configured}\n",
            encoding="utf-8",
        )
    (runner.root / "notes.md").write_text("specs\n", encoding="utf-8")
    origin = make_origin(runner)

    nothing = commit_step(runner)
    assert nothing.returncode == 0, nothing.stderr
    assert "nothing to commit" in nothing.stdout
    assert origin_log(runner, origin) == ["specs"]

    # What apply leaves behind: the record, and (here) an unrelated edit that must not be committed.
    path = runner.root / record
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text('{"example": "sha256:0123"}\n', encoding="utf-8")
    (runner.root / "notes.md").write_text("edited\n", encoding="utf-8")
    committed = commit_step(runner)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    log = origin_log(runner, origin)
    assert len(log) == 2
    assert "[skip ci]" in log[0]
    assert log[0] == "voiceops: record applied write-only fields [skip ci]"
    files = runner.git(f"--git-dir={origin}", "show", "--name-only", "--format=", "main")
    assert files.split() == [record]

    again = commit_step(runner)
    assert again.returncode == 0
    assert "unchanged" in again.stdout
    assert len(origin_log(runner, origin)) == 2


def pending_create(runner: Runner, name: str = "support-concierge.yaml") -> Path:
    """An assistant document without an id, as it is before apply creates the assistant."""
    spec = runner.root / "assistants" / name
    text = spec.read_text(encoding="utf-8")
    spec.write_text(re.sub(r"(?m)^id: .*\n", "", text, count=1), encoding="utf-8")
    return spec


def write_id(spec: Path, new_id: str) -> None:
    """What apply does after a create: one `id:` line, right after `provider:`."""
    text = spec.read_text(encoding="utf-8")
    spec.write_text(
        re.sub(r"(?m)^(provider: .*\n)", rf'\1id: "{new_id}"\n', text, count=1), encoding="utf-8"
    )


def committed_files(runner: Runner, origin: Path) -> list[str]:
    return runner.git(f"--git-dir={origin}", "show", "--name-only", "--format=", "main").split()


IDS_MESSAGE = "voiceops: record created assistants' ids and applied write-only fields [skip ci]"


def test_commit_step_commits_the_ids_apply_wrote(runner: Runner) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    spec = pending_create(runner)
    origin = make_origin(runner)

    write_id(spec, "asst_900")
    # Not apply's: a new file in the directory stays out of the commit.
    (runner.root / "assistants" / "draft.yaml").write_text("draft\n", encoding="utf-8")
    committed = commit_step(runner)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "No write-only record" in committed.stdout
    assert origin_log(runner, origin) == [IDS_MESSAGE, "specs"]
    assert committed_files(runner, origin) == ["assistants/support-concierge.yaml"]
    shown = runner.git(f"--git-dir={origin}", "show", "--format=", "main")
    assert '+id: "asst_900"' in shown
    assert len([line for line in shown.splitlines() if line.startswith(("+", "-"))]) == 3

    # Nothing changed since: no commit.
    again = commit_step(runner)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "nothing to commit" in again.stdout
    assert len(origin_log(runner, origin)) == 2


def test_commit_step_commits_record_and_ids_together_from_a_configured_directory(
    runner: Runner,
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    spec = pending_create(runner, "sales-outreach.yaml")
    flags = moved_config(runner)  # assistants: ../assistants/ in deploy/voiceops.yaml
    config = runner.root / "deploy" / "voiceops.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("../assistants/", "../specs/"),
        encoding="utf-8",
    )
    (runner.root / "assistants").rename(runner.root / "specs")
    spec = runner.root / "specs" / spec.name
    origin = make_origin(runner)

    write_id(spec, "901")
    record = runner.root / "state" / "record.json"
    record.parent.mkdir()
    record.write_text("{}\n", encoding="utf-8")
    committed = commit_step(runner, VOICEOPS_FLAGS=flags)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert origin_log(runner, origin) == [IDS_MESSAGE, "specs"]
    assert committed_files(runner, origin) == ["specs/sales-outreach.yaml", "state/record.json"]


def test_commit_step_commits_notes_of_creates_of_unknown_outcome(runner: Runner) -> None:
    """An Edmo create whose outcome apply could not learn is noted beside the record; the
    note must reach the next run (on another runner), and so must its removal."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    origin = make_origin(runner)
    pending = runner.root / ".voiceops" / "pending-creates.json"
    pending.parent.mkdir()
    pending.write_text('{"format_version": 1, "pending": {}}\n', encoding="utf-8")
    committed = commit_step(runner)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert committed_files(runner, origin) == [".voiceops/pending-creates.json"]

    pending.unlink()
    removed = commit_step(runner)
    assert removed.returncode == 0, removed.stdout + removed.stderr
    assert committed_files(runner, origin) == [".voiceops/pending-creates.json"]
    assert len(origin_log(runner, origin)) == 3
    tracked = runner.git(f"--git-dir={origin}", "ls-tree", "-r", "--name-only", "main")
    assert ".voiceops/pending-creates.json" not in tracked.split()


def test_commit_step_rebases_when_main_moved_on(runner: Runner) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    spec = pending_create(runner)
    origin = make_origin(runner)
    other = runner.temp.parent / "other"
    runner.git("clone", "--quiet", str(origin), str(other))
    (other / "README.md").write_text("merged meanwhile\n", encoding="utf-8")
    runner.git("add", "README.md", cwd=other)
    runner.git("commit", "--quiet", "-m", "merged meanwhile", cwd=other)
    runner.git("push", "--quiet", "origin", "main", cwd=other)

    record = runner.root / ".voiceops" / "write-only.json"
    record.parent.mkdir()
    record.write_text("{}\n", encoding="utf-8")
    write_id(spec, "asst_902")
    result = commit_step(runner)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "rebasing" in result.stdout
    log = origin_log(runner, origin)
    assert log == [IDS_MESSAGE, "merged meanwhile", "specs"]
    assert committed_files(runner, origin) == [
        ".voiceops/write-only.json",
        "assistants/support-concierge.yaml",
    ]


def test_apply_then_commit_records_write_only_fields(runner: Runner, sandbox: Any) -> None:
    """End to end, the way it runs on main: the connections point at a sandbox served on
    127.0.0.1 (not --sandbox, so apply writes its record to disk), then the record is committed."""
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    config_path = runner.root / "voiceops.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    for connection in config["providers"].values():
        connection["base_url"] = sandbox.base_urls[connection["type"]]
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    origin = make_origin(runner)
    workflow = load("apply.yml")
    apply_step = find_step(workflow, r"voiceops apply\b")
    env = {**sandbox.credentials, "VOICEOPS_SANDBOX": "0"}

    applied = runner.run(workflow, *apply_step, **env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    record = runner.root / ".voiceops" / "write-only.json"
    assert record.is_file()
    assert "AI assistant" not in record.read_text(encoding="utf-8")  # hashes, never values
    committed = commit_step(runner)
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert "[skip ci]" in origin_log(runner, origin)[0]
    files = runner.git(f"--git-dir={origin}", "show", "--name-only", "--format=", "main")
    assert files.split() == [".voiceops/write-only.json"]

    # The next run has nothing left to apply and nothing to commit.
    again = runner.run(workflow, *apply_step, **env)
    assert again.returncode == 0, again.stdout + again.stderr
    assert "unchanged" in commit_step(runner).stdout
    assert len(origin_log(runner, origin)) == 2


# --- the github-script steps, in Node against a stand-in API ------------------------------------

HARNESS = r"""
const scenario = JSON.parse(process.env.SCENARIO);
const calls = [];
const fail = (status) => Object.assign(new Error(`HTTP ${status}`), { status });
const api = (name, respond) => async (params) => {
  calls.push({ name, params });
  return { data: respond ? respond(params) : {} };
};
const github = {
  paginate: async (method, params) => (await method(params)).data,
  rest: {
    issues: {
      listComments: api('listComments', () => scenario.comments || []),
      createComment: api('createComment', () => ({ id: 999, html_url: 'u' })),
      updateComment: api('updateComment', () => ({ html_url: 'u' })),
      listForRepo: api('listForRepo', () => scenario.issues || []),
      create: api('create', () => ({ number: 42 })),
      update: api('update'),
      getLabel: api('getLabel', () => {
        if (!scenario.labelExists) throw fail(404);
        return { name: 'drift' };
      }),
      createLabel: api('createLabel'),
    },
  },
};
const context = {
  repo: { owner: 'owner', repo: 'repo' },
  issue: { owner: 'owner', repo: 'repo', number: 7 },
  serverUrl: 'https://github.example', runId: 1234, sha: 'abcdef0123456789',
  payload: { pull_request: { head: { sha: '0123456789abcdef' } } },
};
const core = { info: () => {}, warning: () => {}, setFailed: (m) => { throw new Error(m); } };
const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor;
new AsyncFunction('github', 'context', 'core', 'require', process.env.SCRIPT)(
  github, context, core, require,
).then(
  () => console.log(JSON.stringify(calls)),
  (error) => { console.error(error); process.exit(1); },
);
"""


def run_script(
    tmp_path: Path, name: str, scenario: dict[str, Any], report: str, **env: str
) -> list[dict[str, Any]]:
    """The workflow's github-script run as github-script does (an async function body)."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    report_file = tmp_path / "report.md"
    report_file.write_text(report, encoding="utf-8")
    harness = tmp_path / "harness.cjs"
    harness.write_text(HARNESS, encoding="utf-8")
    result = subprocess.run(
        [node, str(harness)],
        env={
            "PATH": os.environ.get("PATH", ""),
            "SCRIPT": script_step(load(name))["with"]["script"],
            "SCENARIO": json.dumps(scenario),
            "REPORT": str(report_file),
            **env,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def writes(calls: list[dict[str, Any]]) -> list[str]:
    return [c["name"] for c in calls if not c["name"].startswith(("list", "get"))]


PLAN_REPORT = f"{MARKER}\n## voiceops plan\n\n| to update |\n|---:|\n| 1 |\n"


def test_plan_comment_is_created_when_none_exists(tmp_path: Path) -> None:
    human = {"id": 1, "user": {"type": "User"}, "body": f"quoting {MARKER}"}
    calls = run_script(tmp_path, "plan.yml", {"comments": [human]}, PLAN_REPORT)
    assert writes(calls) == ["createComment"]
    params = calls[-1]["params"]
    assert params["issue_number"] == 7
    assert params["body"].startswith(PLAN_REPORT)
    assert "0123456" in params["body"]  # the pull request's head commit


def test_plan_comment_is_updated_in_place(tmp_path: Path) -> None:
    comments = [
        {"id": 1, "user": {"type": "Bot"}, "body": "another bot"},
        {"id": 2, "user": {"type": "Bot"}, "body": f"{MARKER}\nold plan"},
    ]
    calls = run_script(tmp_path, "plan.yml", {"comments": comments}, PLAN_REPORT)
    assert writes(calls) == ["updateComment"]
    assert calls[-1]["params"]["comment_id"] == 2
    assert calls[-1]["params"]["body"].startswith(PLAN_REPORT)


def test_plan_comment_stays_under_githubs_limit(tmp_path: Path) -> None:
    report = "error: something\n"  # no marker: the script adds it
    huge = report + "x" * 100_000
    calls = run_script(tmp_path, "plan.yml", {}, huge)
    body = calls[-1]["params"]["body"]
    assert body.startswith(MARKER)
    assert len(body) <= 65536
    assert "cut short" in body


DRIFT_REPORT = f"{MARKER}\n## voiceops drift\n\n| drifted |\n|---:|\n| 1 |\n"


def test_drift_opens_an_issue_and_creates_the_label(tmp_path: Path) -> None:
    calls = run_script(tmp_path, "drift.yml", {}, DRIFT_REPORT, DRIFT="found")
    assert calls[0]["name"] == "listForRepo"
    assert calls[0]["params"]["labels"] == "drift"
    assert calls[0]["params"]["state"] == "open"
    assert writes(calls) == ["createLabel", "create"]
    assert calls[-2]["params"]["name"] == "drift"
    assert calls[-1]["params"]["labels"] == ["drift"]
    assert calls[-1]["params"]["body"].startswith(DRIFT_REPORT.strip())


def test_drift_uses_an_existing_label(tmp_path: Path) -> None:
    scenario = {"labelExists": True, "issues": [{"number": 3, "body": "a human's issue"}]}
    calls = run_script(tmp_path, "drift.yml", scenario, DRIFT_REPORT, DRIFT="found")
    assert writes(calls) == ["create"]


def test_drift_updates_the_open_issue(tmp_path: Path) -> None:
    issues = [
        {"number": 5, "pull_request": {}, "body": MARKER},
        {"number": 9, "body": f"{MARKER}\nold report\n\n<!-- voiceops:footer -->\nfooter"},
    ]
    calls = run_script(tmp_path, "drift.yml", {"issues": issues}, DRIFT_REPORT, DRIFT="found")
    assert writes(calls) == ["update"]
    assert calls[-1]["params"]["issue_number"] == 9
    assert calls[-1]["params"]["body"].startswith(DRIFT_REPORT.strip())

    unchanged = [{"number": 9, "body": calls[-1]["params"]["body"]}]
    again = run_script(tmp_path, "drift.yml", {"issues": unchanged}, DRIFT_REPORT, DRIFT="found")
    assert writes(again) == []


def test_no_drift_closes_the_open_issue(tmp_path: Path) -> None:
    issues = [{"number": 9, "body": f"{MARKER}\nold report"}]
    calls = run_script(tmp_path, "drift.yml", {"issues": issues}, "", DRIFT="none")
    assert writes(calls) == ["createComment", "update"]
    assert calls[-1]["params"] == {
        "owner": "owner",
        "repo": "repo",
        "issue_number": 9,
        "state": "closed",
        "state_reason": "completed",
    }
    assert writes(run_script(tmp_path, "drift.yml", {}, "", DRIFT="none")) == []

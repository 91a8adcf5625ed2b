"""The GitHub workflows `voiceops init` writes: their structure and security properties
(pinned actions, secrets only inside GitHub environments, zizmor, actionlint), their steps
(`voiceops ci …`) run for real against the sandbox, and their github-script steps run in
Node against a stand-in GitHub API.

Nothing here talks to anything but 127.0.0.1: voiceops runs with VOICEOPS_SANDBOX=1 (like
`--sandbox`), and the github-script steps get a fake `github` object. The apply workflow's
jobs are run end to end in tests/test_workflows_environments.py.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.integration.workflow_helpers import (
    CREDENTIALS,
    PATH,
    REPO,
    WORKFLOWS,
    StepResult,
    base_env,
    load,
    run_step,
)
from voiceops import __version__

ACTIONLINT = REPO / ".ci" / "actionlint.sh"
MARKER = "<!-- voiceops -->"
USER_WORKFLOWS = ["plan.yml", "apply.yml", "drift.yml"]
WORKFLOW_NAMES = [*USER_WORKFLOWS, "ci.yml", "release.yml"]
PINNED = re.compile(r"^[\w.-]+/[\w./-]+@[0-9a-f]{40}$")


def all_steps(workflow: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for job_id, job in workflow["jobs"].items():
        for step in job.get("steps", []):
            yield job_id, step


def find_step(workflow: dict[str, Any], pattern: str, job: str | None = None) -> dict[str, Any]:
    """The first `run:` step matching `pattern` (in `job`, if given)."""
    for job_id, step in all_steps(workflow):
        if "run" in step and re.search(pattern, step["run"]) and job in (None, job_id):
            return step
    raise AssertionError(f"no step matches {pattern!r}")


def script_step(workflow: dict[str, Any]) -> dict[str, Any]:
    found = [s for _, s in all_steps(workflow) if s.get("uses", "").startswith("actions/github")]
    assert len(found) == 1
    return found[0]


def uses_secrets(job: dict[str, Any]) -> bool:
    return "secrets." in json.dumps(job)


# --- structure and security ------------------------------------------------------------


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_actions_are_pinned_by_commit_with_the_version_as_a_comment(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    for _, step in all_steps(load(name)):
        if "uses" in step:
            assert PINNED.match(step["uses"]), step["uses"]
            assert re.search(re.escape(step["uses"]) + r" # v\d+(\.\d+)*$", text, re.M), step
    assert "marocchino" not in text


@pytest.mark.parametrize("name", USER_WORKFLOWS)
def test_user_workflows_are_short_and_hold_no_inline_programs(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    assert len(text.splitlines()) < 120
    assert "python3 -c" not in text
    assert "python -c" not in text
    # The default branch comes from the repository, never the literal name.
    assert not re.search(r"\bmain\b", text.replace("maintain", ""))
    for _, step in all_steps(load(name)):
        script = step.get("run", "")
        assert len(script.splitlines()) <= 1, script  # one voiceops command per step


@pytest.mark.parametrize("name", WORKFLOW_NAMES)
def test_checkout_keeps_no_credentials_except_in_a_job_that_pushes(name: str) -> None:
    workflow = load(name)
    for job_id, step in all_steps(workflow):
        if step.get("uses", "").startswith("actions/checkout"):
            job = workflow["jobs"][job_id]
            pushes = job.get("permissions", {}).get("contents") == "write"
            assert step["with"]["persist-credentials"] is pushes, (name, job_id)


@pytest.mark.parametrize("name", USER_WORKFLOWS)
def test_every_job_using_credentials_runs_in_a_github_environment(name: str) -> None:
    workflow = load(name)
    assert "secrets." not in json.dumps(workflow.get("env", {}))
    using = [job_id for job_id, job in workflow["jobs"].items() if uses_secrets(job)]
    assert using, name
    for job_id in using:
        assert workflow["jobs"][job_id].get("environment"), (name, job_id)
        assert "secrets." not in json.dumps(workflow["jobs"][job_id].get("env", {}))


@pytest.mark.parametrize("name", USER_WORKFLOWS)
def test_run_scripts_interpolate_no_expressions_and_never_name_secrets(name: str) -> None:
    workflow = load(name)
    for _, step in all_steps(workflow):
        script = step.get("run", "")
        assert "${{" not in script, script
        for variable in CREDENTIALS:
            assert variable not in script, (variable, script)


@pytest.mark.parametrize("name", USER_WORKFLOWS)
def test_secrets_are_passed_to_the_voiceops_steps_by_name(name: str) -> None:
    workflow = load(name)
    steps = [
        s
        for _, s in all_steps(workflow)
        if re.search(r"voiceops ci (plan|apply|drift)", s.get("run", ""))
    ]
    assert steps
    for step in steps:
        for variable in CREDENTIALS:
            assert step["env"][variable] == f"${{{{ secrets.{variable} }}}}"
    assert workflow["env"]["VOICEOPS_FLAGS"] == ""


@pytest.mark.parametrize("name", USER_WORKFLOWS)
def test_user_workflows_install_the_version_that_wrote_them(name: str) -> None:
    text = (WORKFLOWS / name).read_text(encoding="utf-8")
    installs = re.findall(r"(?m)run: .*install.*$", text)
    assert installs
    for line in installs:
        assert f"'voiceops-gitops=={__version__}'" in line, line


def test_apply_workflow_structure() -> None:
    workflow = load("apply.yml")
    assert "branches" not in workflow["on"]["push"]  # the default branch: the jobs' `if`
    assert "workflow_dispatch" in workflow["on"]
    assert workflow["permissions"] == {"contents": "read"}
    assert "concurrency" not in workflow  # per environment, on the jobs
    setup, staging, production = (workflow["jobs"][j] for j in ("setup", "apply", "production"))
    assert setup["if"] == "github.ref_name == github.event.repository.default_branch"
    assert not uses_secrets(setup)
    assert staging["environment"] == "${{ needs.setup.outputs.apply_in }}"
    assert staging["concurrency"] == {
        "group": "voiceops-apply-${{ needs.setup.outputs.apply_in }}",
        "cancel-in-progress": False,
    }
    assert production["environment"] == "production"
    assert production["concurrency"] == {
        "group": "voiceops-apply-production",
        "cancel-in-progress": False,
    }
    assert production["needs"] == ["setup", "apply"]
    assert production["if"] == "needs.setup.outputs.production != ''"
    # Production applies the commit staging's job pushed.
    assert staging["outputs"]["commit"] == "${{ steps.commit.outputs.commit }}"
    assert production["steps"][0]["with"]["ref"] == "${{ needs.apply.outputs.commit }}"
    assert "voiceops ci catch-up" in find_step(workflow, r"voiceops ci apply", "production")["run"]
    for job_id in ("apply", "production"):
        commit = find_step(workflow, r"voiceops ci commit", job_id)
        assert "!cancelled()" in commit["if"]
        assert "steps.apply.outputs.exitcode != ''" in commit["if"]


def test_plan_and_drift_run_per_environment() -> None:
    for name, first in (("plan.yml", "validate"), ("drift.yml", "environments")):
        workflow = load(name)
        reader = next(j for j in workflow["jobs"].values() if uses_secrets(j))
        assert reader["strategy"]["matrix"]["include"] == (
            f"${{{{ fromJSON(needs.{first}.outputs.matrix) }}}}"
        )
        assert reader["environment"] == "${{ matrix.github }}"
        assert reader["strategy"]["fail-fast"] is False
    workflow = load("plan.yml")
    plan, comment = workflow["jobs"]["plan"], workflow["jobs"]["comment"]
    assert "github.event.pull_request.head.repo.full_name == github.repository" in plan["if"]
    assert "dependabot[bot]" in plan["if"]
    # The jobs holding credentials get a read-only token; the one that comments, no secrets.
    assert "permissions" not in plan
    assert workflow["permissions"] == {"contents": "read"}
    assert comment["permissions"] == {"pull-requests": "write"}
    assert not uses_secrets(comment)
    assert comment["needs"] == ["validate", "plan"]
    assert "!cancelled()" in comment["if"]


def test_ci_workflow_structure() -> None:
    workflow = load("ci.yml")
    assert "push" in workflow["on"]
    assert "pull_request" in workflow["on"]
    test = workflow["jobs"]["test"]
    assert {"3.11", "3.12"} <= set(test["strategy"]["matrix"]["python-version"])
    scripts = [step.get("run", "") for step in test["steps"]]
    for command in ("pip install -e '.[test]'", "pytest", "ruff check .", "ruff format --check ."):
        assert command in scripts
    assert any(".ci/actionlint.sh" in s.get("run", "") for _, s in all_steps(workflow))
    assert any("mkdocs build --strict" in s.get("run", "") for _, s in all_steps(workflow))


def test_release_workflow_builds_checks_smoke_tests_and_publishes() -> None:
    workflow = load("release.yml")
    assert "tags" in workflow["on"]["push"]
    text = (WORKFLOWS / "release.yml").read_text(encoding="utf-8")
    assert ".ci/wheel-smoke dist" in text
    smoke = (REPO / ".ci" / "wheel-smoke").read_text(encoding="utf-8")
    for command in ("python -m build --sdist --wheel", "twine check", "python -m venv"):
        assert command in smoke, command
    assert re.search(r"voiceops init\nvoiceops validate\nvoiceops plan --sandbox\n", smoke)
    # CI runs the same smoke test, and zizmor on the starter workflows.
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert ci.index(".ci/wheel-smoke") < ci.rindex("pytest")
    assert "zizmor --offline" in ci
    assert "secrets-outside-env" in ci
    publish = [s for _, s in all_steps(workflow) if "pypi-publish" in s.get("uses", "")]
    assert len(publish) == 1
    publisher = next(j for j in workflow["jobs"].values() if publish[0] in j["steps"])
    assert publisher["permissions"]["id-token"] == "write"  # trusted publishing, no token
    assert "password" not in json.dumps(publish[0])


# --- linters ----------------------------------------------------------------------------


def test_actionlint() -> None:
    """actionlint and shellcheck, as installed by `.ci/actionlint.sh` (which CI runs first)."""
    result = subprocess.run(
        ["bash", str(ACTIONLINT), "--no-install"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode == 3:
        pytest.skip(f"actionlint not available: {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr


def zizmor(*args: str) -> list[dict[str, Any]]:
    command = shutil.which("zizmor", path=PATH)
    if command is None:
        pytest.skip("zizmor is not installed (pip install -e '.[test]')")
    files = [str(WORKFLOWS / name) for name in USER_WORKFLOWS]
    result = subprocess.run(
        [command, "--offline", "--format", "json", *args, *files],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    findings: list[dict[str, Any]] = json.loads(result.stdout or "[]")
    return findings


def test_zizmor_finds_nothing_in_the_starter_workflows() -> None:
    assert [f["ident"] for f in zizmor()] == []


def test_zizmor_auditor_finds_no_secret_outside_an_environment() -> None:
    idents = {f["ident"] for f in zizmor("--persona", "auditor")}
    assert "secrets-outside-env" not in idents
    assert "secrets-inherit" not in idents


# --- the steps, run against the sandbox ---------------------------------------------------


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    if shutil.which("voiceops", path=PATH) is None:
        pytest.skip("the voiceops command is not installed (pip install -e .)")
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "voiceops.yaml", root / "voiceops.yaml")
    shutil.copytree(REPO / "assistants", root / "assistants")
    (tmp_path / "temp").mkdir()
    return root


def step(root: Path, name: str, pattern: str, **env: str) -> StepResult:
    workflow = load(name)
    found = find_step(workflow, pattern)
    variables = base_env(root.parent / "temp")
    for key, value in {**workflow.get("env", {}), **found.get("env", {})}.items():
        if "${{" not in str(value):
            variables[key] = str(value)
    variables.update(VOICEOPS_SANDBOX="1", **env)
    return run_step(found["run"], root, root.parent / "temp", variables)


def test_validate_step_passes_and_hands_the_plan_jobs_their_matrix(repo: Path) -> None:
    result = step(repo, "plan.yml", r"voiceops ci validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "All assistant specs are valid." in result.summary
    assert "Plan skipped" not in result.summary
    assert json.loads(result.outputs["matrix"]) == [{"env": "", "github": "production-read"}]


def test_validate_step_fails_with_annotations_and_notes_forks(repo: Path) -> None:
    spec = repo / "assistants" / "clinic-intake.yaml"
    spec.write_text(
        spec.read_text("utf-8").replace("assistantTemperature: 0.2", "assistantTemperature: hot"),
        "utf-8",
    )
    result = step(
        repo, "plan.yml", r"voiceops ci validate", HEAD_REPO="someone/fork", BASE_REPO="me/repo"
    )
    assert result.returncode == 1
    assert "::error file=" in result.stdout + result.stderr
    assert "errors" in result.summary
    assert "Plan skipped: pull requests from forks" in result.summary


def test_validate_step_notes_dependabot(repo: Path) -> None:
    result = step(repo, "plan.yml", r"voiceops ci validate", ACTOR="dependabot[bot]")
    assert result.returncode == 0, result.stderr
    assert "Plan skipped: Dependabot" in result.summary


def with_environments(root: Path) -> None:
    config = root / "voiceops.yaml"
    data = yaml.safe_load(config.read_text("utf-8"))
    # Staging has credentials of its own: another account for voiceops, which refuses one
    # assistant managed from two environments of one account.
    staging = {
        name: {k: f"{v}_STAGING" for k, v in c.items() if k.endswith("_env")}
        for name, c in data["providers"].items()
    }
    data["environments"] = {"staging": {"providers": staging}, "production": {}}
    config.write_text(yaml.safe_dump(data, sort_keys=False), "utf-8")
    for spec in (root / "assistants").glob("*.yaml"):
        text = spec.read_text("utf-8")
        found = re.search(r'(?m)^id: "?([^"\n]*)"?\n', text)
        assert found
        ids = "".join(f'  {e}: {{id: "{found.group(1)}"}}\n' for e in ("staging", "production"))
        spec.write_text(text.replace(found.group(0), "") + f"environments:\n{ids}", "utf-8")


def test_the_matrix_reads_production_in_production_read(repo: Path) -> None:
    with_environments(repo)
    result = step(repo, "plan.yml", r"voiceops ci validate")
    assert result.returncode == 0, result.stdout + result.stderr
    assert json.loads(result.outputs["matrix"]) == [
        {"env": "staging", "github": "staging"},
        {"env": "production", "github": "production-read"},
    ]
    drift = step(repo, "drift.yml", r"voiceops ci environments")
    assert drift.outputs["matrix"] == result.outputs["matrix"]
    apply = step(repo, "apply.yml", r"voiceops ci environments")
    assert (apply.outputs["staging"], apply.outputs["production"]) == ("staging", "production")
    assert apply.outputs["apply_in"] == "staging"


def test_environments_other_than_staging_and_production_are_refused(repo: Path) -> None:
    with_environments(repo)
    config = repo / "voiceops.yaml"
    config.write_text(config.read_text("utf-8").replace("production: {}", "prod: {}"), "utf-8")
    for spec in (repo / "assistants").glob("*.yaml"):
        spec.write_text(spec.read_text("utf-8").replace("  production:", "  prod:"), "utf-8")
    refused = step(repo, "apply.yml", r"voiceops ci environments")
    assert refused.returncode == 1
    assert "PRODUCTION_ENVIRONMENT" in refused.stderr
    # Plan and drift read every environment, whatever its name.
    read = step(repo, "drift.yml", r"voiceops ci environments")
    assert read.returncode == 0, read.stderr
    assert [m["env"] for m in json.loads(read.outputs["matrix"])] == ["staging", "prod"]
    renamed = step(repo, "apply.yml", r"voiceops ci environments", PRODUCTION_ENVIRONMENT="prod")
    assert renamed.returncode == 0, renamed.stderr
    assert renamed.outputs["production"] == "prod"


def test_without_environments_one_apply_job_runs_in_production(repo: Path) -> None:
    result = step(repo, "apply.yml", r"voiceops ci environments")
    assert result.returncode == 0, result.stderr
    assert result.outputs["staging"] == result.outputs["production"] == ""
    assert result.outputs["apply_in"] == "production"


def test_plan_step_writes_the_comment_body(repo: Path) -> None:
    secret = "s3cr3t-webhook-value-for-the-test"
    result = step(
        repo, "plan.yml", r"voiceops ci plan", CLINIC_INTAKE_ASSISTANTSERVER_SECRET=secret
    )
    assert result.returncode == 0, result.stderr
    assert result.outputs["exitcode"] in ("0", "2")
    assert result.outputs["key"] == MARKER
    report = Path(result.outputs["report"]).read_text("utf-8")
    assert report == result.summary
    assert report.startswith(MARKER)
    assert "voiceops plan" in report
    for text in (report, result.stdout, result.stderr):
        assert secret not in text


def test_plan_step_in_an_environment_marks_its_comment(repo: Path) -> None:
    with_environments(repo)
    result = step(repo, "plan.yml", r"voiceops ci plan", VOICEOPS_ENV="staging")
    assert result.returncode == 0, result.stderr
    assert result.outputs["key"] == "<!-- voiceops:env:staging -->"
    report = Path(result.outputs["report"]).read_text("utf-8")
    assert report.startswith(f"{MARKER}\n<!-- voiceops:env:staging -->\n## Environment `staging`")


def test_one_comment_has_a_section_per_environment_in_order(repo: Path) -> None:
    with_environments(repo)
    matrix = step(repo, "plan.yml", r"voiceops ci validate").outputs["matrix"]
    plans = repo / "plans"
    plans.mkdir()
    for env in ("production", "staging"):
        planned = step(repo, "plan.yml", r"voiceops ci plan", VOICEOPS_ENV=env)
        assert planned.returncode == 0, planned.stderr
        shutil.copy(planned.outputs["report"], plans)
    result = step(repo, "plan.yml", r"voiceops ci comment", MATRIX=matrix)
    assert result.returncode == 0, result.stderr
    comment = Path(result.outputs["report"]).read_text("utf-8")
    assert comment.startswith(MARKER + "\n")
    assert comment.count(MARKER) == 1
    headings = re.findall(r"(?m)^## Environment `([a-z]+)`$", comment)
    assert headings == ["staging", "production"]
    staging, production = comment.split("## Environment ")[1:]
    assert "clinic-intake" in staging
    assert "clinic-intake" in production

    (plans / "voiceops-plan-production.md").unlink()  # that job failed before planning
    partial = step(repo, "plan.yml", r"voiceops ci comment", MATRIX=matrix)
    text = Path(partial.outputs["report"]).read_text("utf-8")
    assert "no plan: the job failed before planning" in text.split("`production`")[1]


def test_plan_step_with_bad_flags_fails_with_the_error_in_the_comment(repo: Path) -> None:
    result = step(repo, "plan.yml", r"voiceops ci plan", VOICEOPS_FLAGS="--no-such-flag")
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    report = Path(result.outputs["report"]).read_text("utf-8")
    assert "voiceops plan failed (exit 1)" in report
    assert "no such option --no-such-flag" in report
    assert "Traceback" not in report


def test_apply_step_applies_and_writes_the_summary(repo: Path) -> None:
    result = step(repo, "apply.yml", r"voiceops ci apply", ALLOW_MASS_UPDATE="true")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["exitcode"] == "0"
    assert "voiceops apply succeeded" in result.summary


def test_apply_step_fails_after_writing_the_error(repo: Path) -> None:
    result = step(
        repo, "apply.yml", r"voiceops ci apply", VOICEOPS_FLAGS="--config does-not-exist.yaml"
    )
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    assert "voiceops apply failed" in result.summary


def test_drift_step_reports_and_says_whether_it_found_drift(repo: Path) -> None:
    result = step(repo, "drift.yml", r"voiceops ci drift")
    assert result.returncode == 0, result.stderr
    assert result.outputs["drift"] in ("found", "none")
    assert Path(result.outputs["report"]).read_text("utf-8").startswith(MARKER)


def test_drift_step_with_a_broken_config_leaves_the_issue_alone(repo: Path) -> None:
    result = step(
        repo, "drift.yml", r"voiceops ci drift", VOICEOPS_FLAGS="--config does-not-exist.yaml"
    )
    assert result.returncode == 1
    assert result.outputs["drift"] == ""
    assert "voiceops drift failed (exit 1)" in result.summary


def test_voiceops_flags_reach_every_call(repo: Path) -> None:
    deploy = repo / "deploy"
    deploy.mkdir()
    config = yaml.safe_load((repo / "voiceops.yaml").read_text("utf-8"))
    config["assistants"] = "../assistants/"
    (deploy / "voiceops.yaml").write_text(yaml.safe_dump(config), "utf-8")
    (repo / "voiceops.yaml").unlink()
    flags = "--config deploy/voiceops.yaml --no-color"
    for name, pattern in (
        ("plan.yml", r"voiceops ci validate"),
        ("plan.yml", r"voiceops ci plan"),
        ("apply.yml", r"voiceops ci apply"),
        ("drift.yml", r"voiceops ci drift"),
    ):
        result = step(repo, name, pattern, VOICEOPS_FLAGS=flags, ALLOW_MASS_UPDATE="true")
        assert result.returncode == 0, (name, pattern, result.stdout + result.stderr)


# --- the github-script steps, in Node against a stand-in API ------------------------------

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


STAGING = "<!-- voiceops:env:staging -->"
PLAN_REPORT = f"{MARKER}\n{STAGING}\n## Environment `staging`\n\n| to update |\n"


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


DRIFT_REPORT = f"{MARKER}\n{STAGING}\n## Environment `staging`\n\ndrifted\n"


def test_drift_opens_an_issue_with_its_labels(tmp_path: Path) -> None:
    calls = run_script(
        tmp_path, "drift.yml", {}, DRIFT_REPORT, DRIFT="found", KEY=STAGING, ENVIRONMENT="staging"
    )
    assert calls[0]["params"]["labels"] == "drift,env:staging"
    assert writes(calls) == ["createLabel", "createLabel", "create"]
    created = calls[-1]["params"]
    assert created["labels"] == ["drift", "env:staging"]
    assert created["title"] == "voiceops: live assistants differ from git in staging"
    assert created["body"].startswith(DRIFT_REPORT)


def test_drift_updates_the_open_issue_only_when_the_report_changed(tmp_path: Path) -> None:
    issues = [
        {"number": 5, "pull_request": {}, "body": STAGING},
        {"number": 9, "body": f"{MARKER}\n{STAGING}\nold report"},
    ]
    env = {"DRIFT": "found", "KEY": STAGING, "ENVIRONMENT": "staging"}
    calls = run_script(tmp_path, "drift.yml", {"issues": issues}, DRIFT_REPORT, **env)
    assert writes(calls) == ["update"]
    assert calls[-1]["params"]["issue_number"] == 9
    unchanged = [{"number": 9, "body": calls[-1]["params"]["body"]}]
    again = run_script(tmp_path, "drift.yml", {"issues": unchanged}, DRIFT_REPORT, **env)
    assert writes(again) == []


def test_no_drift_closes_the_open_issue(tmp_path: Path) -> None:
    issues = [{"number": 9, "body": f"{MARKER}\nold report"}]
    calls = run_script(tmp_path, "drift.yml", {"issues": issues}, "", DRIFT="none", KEY=MARKER)
    assert writes(calls) == ["createComment", "update"]
    assert calls[-1]["params"]["state"] == "closed"
    assert writes(run_script(tmp_path, "drift.yml", {}, "", DRIFT="none", KEY=MARKER)) == []


def test_run_options_in_voiceops_flags_do_not_break_the_validate_calls(repo: Path) -> None:
    flags = "--concurrency 4 --lock-timeout 1m --target clinic-intake"
    result = step(repo, "apply.yml", r"voiceops ci environments", VOICEOPS_FLAGS=flags)
    assert result.returncode == 0, result.stderr
    assert result.outputs["apply_in"] == "production"


def test_unreadable_settings_quote_validates_last_line_not_a_list(repo: Path) -> None:
    result = step(repo, "apply.yml", r"voiceops ci environments", VOICEOPS_FLAGS="--bogus")
    assert result.returncode == 1
    assert "could not read the settings" in result.stderr
    assert "([" not in result.stderr
    assert "(error: no such option --bogus" in result.stderr

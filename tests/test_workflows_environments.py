"""The shipped workflows in a repository whose voiceops.yaml defines environments (staging and
production): one plan comment with a section per environment, staging applied before a
production job gated by a GitHub environment, one drift issue per environment.

Both environments point at the same sandbox, served on 127.0.0.1; staging reaches it through
credential variables of its own (STAGING_*), set to the sandbox's values.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.test_workflows import (
    MARKER,
    PATH,
    REPO,
    Runner,
    StepResult,
    committed_files,
    find_step,
    load,
    make_origin,
    origin_log,
    run_script,
    writes,
)

ENVIRONMENTS = ("staging", "production")


def staging_name(variable: str) -> str:
    return f"STAGING_{variable}"


def with_environments(root: Path, sandbox: Any) -> None:
    """voiceops.yaml with staging and production, every connection at the sandbox, and each
    assistant's id under both environments."""
    config_path = root / "voiceops.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    staging: dict[str, dict[str, str]] = {}
    for name, connection in config["providers"].items():
        connection["base_url"] = sandbox.base_urls[connection["type"]]
        staging[name] = {k: staging_name(v) for k, v in connection.items() if k.endswith("_env")}
    config["environments"] = {"staging": {"providers": staging}, "production": {}}
    config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    for spec in (root / "assistants").glob("*.yaml"):
        text = spec.read_text(encoding="utf-8")
        found = re.search(r'(?m)^id: "?([^"\n]*)"?\n', text)
        assert found, spec
        text = text.replace(found.group(0), "", 1).rstrip("\n") + "\n"
        ids = "".join(f'  {env}: {{id: "{found.group(1)}"}}\n' for env in ENVIRONMENTS)
        spec.write_text(f"{text}environments:\n{ids}", encoding="utf-8")


def credentials(sandbox: Any) -> dict[str, str]:
    """Both environments' credential variables, and no --sandbox: the connections' base_url
    point at the served sandbox."""
    env = dict(sandbox.credentials)
    env.update({staging_name(k): v for k, v in sandbox.credentials.items()})
    return {**env, "VOICEOPS_SANDBOX": "0"}


@pytest.fixture
def repo(tmp_path: Path, sandbox: Any) -> Runner:
    if shutil.which("voiceops", path=PATH) is None:
        pytest.skip("the voiceops command is not installed (pip install -e .)")
    root = tmp_path / "repo"
    root.mkdir()
    shutil.copy(REPO / "voiceops.yaml", root / "voiceops.yaml")
    shutil.copytree(REPO / "assistants", root / "assistants")
    with_environments(root, sandbox)
    temp = tmp_path / "runner-temp"
    temp.mkdir()
    return Runner(root, temp)


def sections(report: str) -> list[str]:
    """The environments' headings of a report, in order."""
    return re.findall(r"(?m)^## Environment `([a-z0-9-]+)`$", report)


def needs_git() -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")


# --- plan -----------------------------------------------------------------------------------


def run_plan(repo: Runner, env: dict[str, str]) -> StepResult:
    workflow = load("plan.yml")
    return repo.run(workflow, *find_step(workflow, r"voiceops plan\b"), **env)


def test_the_example_with_environments_validates(repo: Runner, sandbox: Any) -> None:
    workflow = load("plan.yml")
    result = repo.run(workflow, *find_step(workflow, r"voiceops validate\b"))
    assert result.returncode == 0, result.stdout + result.stderr


def test_plan_posts_one_comment_with_a_section_per_environment(
    repo: Runner, sandbox: Any, tmp_path: Path
) -> None:
    result = run_plan(repo, credentials(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["exitcode"] == "2"
    report = Path(result.outputs["report"]).read_text(encoding="utf-8")
    assert report == result.summary
    assert report.startswith(MARKER + "\n")
    assert report.count(MARKER) == 1
    assert sections(report) == ["staging", "production"]
    for section in report.split("## Environment ")[1:]:
        assert "## voiceops plan" in section
        assert "clinic-intake" in section
        assert "voiceops plan failed" not in section
    for text in (report, result.stdout, result.stderr):
        assert "sandbox-webhook-secret" not in text

    calls = run_script(tmp_path, "plan.yml", {}, report)
    assert writes(calls) == ["createComment"]
    body = calls[-1]["params"]["body"]
    assert body.startswith(report)
    assert sections(body) == ["staging", "production"]


def test_a_failed_environment_keeps_its_section_and_fails_the_job(
    repo: Runner, sandbox: Any
) -> None:
    env = credentials(sandbox)
    del env[staging_name("EDMO_PASSWORD")]  # staging cannot log in to Edmo
    result = run_plan(repo, env)
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    report = Path(result.outputs["report"]).read_text(encoding="utf-8")
    assert report.count(MARKER) == 1
    assert sections(report) == ["staging", "production"]
    staging, production = report.split("## Environment ")[1:]
    assert "voiceops plan failed (exit 1)" in staging
    assert "STAGING_EDMO_PASSWORD" in staging
    assert "voiceops plan failed" not in production
    assert "clinic-intake" in production


def test_plan_without_environments_has_no_sections(repo: Runner, sandbox: Any) -> None:
    shutil.copy(REPO / "voiceops.yaml", repo.root / "voiceops.yaml")
    shutil.rmtree(repo.root / "assistants")
    shutil.copytree(REPO / "assistants", repo.root / "assistants")
    result = run_plan(repo, {})
    assert result.returncode == 0, result.stdout + result.stderr
    assert sections(result.summary) == []
    assert result.summary.startswith(MARKER)


# --- apply ----------------------------------------------------------------------------------


def test_apply_workflow_gates_production_behind_staging() -> None:
    workflow = load("apply.yml")
    assert workflow["env"]["STAGING_ENVIRONMENT"] == "staging"
    assert workflow["env"]["PRODUCTION_ENVIRONMENT"] == "production"
    staging, production = workflow["jobs"]["apply"], workflow["jobs"]["production"]
    assert production["needs"] == "apply"
    assert production["environment"] == "production"
    # No status function: it runs only after the first job succeeded, and only with environments.
    assert production["if"] == "needs.apply.outputs.production != ''"
    assert staging["outputs"]["production"] == "${{ steps.environments.outputs.production }}"
    assert production["steps"][0]["with"]["ref"] == "${{ needs.apply.outputs.commit }}"

    def runs(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in job["steps"] if "run" in s and "name" in s}

    first, second = runs(staging), runs(production)
    assert set(first) - set(second) == {"Find the environments"}
    for name, step in second.items():
        # The same scripts; only the environment they are given differs.
        assert step["run"] == first[name]["run"], name
        assert step.get("if") == first[name].get("if"), name
        own = {k: v for k, v in step.get("env", {}).items() if k != "VOICEOPS_ENV"}
        assert own == {k: v for k, v in first[name].get("env", {}).items() if k != "VOICEOPS_ENV"}
    for name in ("voiceops apply", "Commit the write-only record and created assistants' ids"):
        assert first[name]["env"]["VOICEOPS_ENV"] == "${{ steps.environments.outputs.staging }}"
        assert second[name]["env"]["VOICEOPS_ENV"] == "${{ needs.apply.outputs.production }}"


def environments_step(repo: Runner, **env: str) -> StepResult:
    workflow = load("apply.yml")
    return repo.run(workflow, *find_step(workflow, r"STAGING_ENVIRONMENT", job="apply"), **env)


def apply_in(repo: Runner, job: str, environment: str, env: dict[str, str]) -> StepResult:
    workflow = load("apply.yml")
    step = find_step(workflow, r"voiceops apply\b", job=job)
    return repo.run(workflow, *step, VOICEOPS_ENV=environment, **env)


def commit_in(repo: Runner, job: str, environment: str) -> StepResult:
    workflow = load("apply.yml")
    step = find_step(workflow, r"git commit\b", job=job)
    return repo.run(workflow, *step, BRANCH="main", VOICEOPS_ENV=environment)


def test_apply_staging_then_production_each_committing_its_own_record(
    repo: Runner, sandbox: Any
) -> None:
    needs_git()
    origin = make_origin(repo)
    env = credentials(sandbox)

    found = environments_step(repo)
    assert found.returncode == 0, found.stdout + found.stderr
    assert found.outputs["staging"] == "staging"
    assert found.outputs["production"] == "production"
    commit = found.outputs["commit"]
    assert commit == repo.git("rev-parse", "HEAD").strip()

    staged = apply_in(repo, "apply", found.outputs["staging"], env)
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert "voiceops apply succeeded in staging" in staged.summary
    committed = commit_in(repo, "apply", "staging")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert origin_log(repo, origin)[0] == (
        "voiceops: record applied write-only fields in staging [skip ci]"
    )
    assert committed_files(repo, origin) == [".voiceops/staging/write-only.json"]

    # The production job: a fresh checkout of the commit staging got (detached), while main
    # has moved on by staging's record (and a merge meanwhile).
    other = repo.temp.parent / "other"
    repo.git("clone", "--quiet", str(origin), str(other))
    (other / "README.md").write_text("merged meanwhile\n", encoding="utf-8")
    repo.git("add", "README.md", cwd=other)
    repo.git("commit", "--quiet", "-m", "merged meanwhile", cwd=other)
    repo.git("push", "--quiet", "origin", "main", cwd=other)
    production = Runner(repo.temp.parent / "production", repo.temp)
    repo.git("clone", "--quiet", str(origin), str(production.root))
    repo.git("checkout", "--quiet", "--detach", commit, cwd=production.root)
    assert not (production.root / "README.md").exists()

    applied = apply_in(production, "production", found.outputs["production"], env)
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert "voiceops apply succeeded in production" in applied.summary
    assert (production.root / ".voiceops" / "production" / "write-only.json").is_file()
    assert not (production.root / ".voiceops" / "staging").exists()
    pushed = commit_in(production, "production", "production")
    assert pushed.returncode == 0, pushed.stdout + pushed.stderr
    assert origin_log(repo, origin)[:2] == [
        "voiceops: record applied write-only fields in production [skip ci]",
        "merged meanwhile",
    ]
    assert committed_files(repo, origin) == [".voiceops/production/write-only.json"]
    tracked = repo.git(f"--git-dir={origin}", "ls-tree", "-r", "--name-only", "main").split()
    assert ".voiceops/staging/write-only.json" in tracked

    # Both applied: nothing left to commit in either.
    for job, environment in (("apply", "staging"), ("production", "production")):
        again = apply_in(production, job, environment, env)
        assert again.returncode == 0, again.stdout + again.stderr
        assert "nothing to commit" in commit_in(production, job, environment).stdout


def test_apply_in_an_environment_commits_the_id_it_wrote_there(repo: Runner) -> None:
    needs_git()
    origin = make_origin(repo)
    spec = repo.root / "assistants" / "support-concierge.yaml"
    text = spec.read_text(encoding="utf-8")
    spec.write_text(text.replace('  staging: {id: "', '  staging: {id: "new-'), encoding="utf-8")
    committed = commit_in(repo, "apply", "staging")
    assert committed.returncode == 0, committed.stdout + committed.stderr
    assert origin_log(repo, origin)[0] == (
        "voiceops: record created assistants' ids and applied write-only fields in staging"
        " [skip ci]"
    )
    assert committed_files(repo, origin) == ["assistants/support-concierge.yaml"]


def test_without_environments_the_production_job_is_skipped(repo: Runner) -> None:
    shutil.copy(REPO / "voiceops.yaml", repo.root / "voiceops.yaml")
    found = environments_step(repo)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "staging" not in found.outputs
    assert found.outputs.get("production", "") == ""  # the production job's `if` is false


def test_environments_other_than_staging_and_production_are_refused(repo: Runner) -> None:
    config = repo.root / "voiceops.yaml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("production: {}", "prod: {}"),
        encoding="utf-8",
    )
    found = environments_step(repo)
    assert found.returncode == 1
    assert "::error::" in found.stdout
    assert "PRODUCTION_ENVIRONMENT" in found.stdout
    renamed = environments_step(repo, PRODUCTION_ENVIRONMENT="prod")
    assert renamed.returncode == 0, renamed.stdout + renamed.stderr
    assert renamed.outputs["production"] == "prod"


# --- drift ----------------------------------------------------------------------------------


def run_drift(repo: Runner, env: dict[str, str]) -> StepResult:
    workflow = load("drift.yml")
    return repo.run(workflow, *find_step(workflow, r"voiceops drift\b"), **env)


def drift_checks(result: StepResult) -> list[dict[str, str]]:
    checks: list[dict[str, str]] = json.loads(
        Path(result.outputs["environments"]).read_text(encoding="utf-8")
    )
    return checks


def test_drift_checks_every_environment(repo: Runner, sandbox: Any) -> None:
    result = run_drift(repo, credentials(sandbox))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.outputs["exitcode"] == "2"
    assert result.outputs["drift"] == "environments"
    checks = drift_checks(result)
    assert [c["name"] for c in checks] == ["staging", "production"]
    for check in checks:
        assert check["drift"] == "found"
        report = Path(check["report"]).read_text(encoding="utf-8")
        assert report.startswith(MARKER)
        assert "clinic-intake" in report
    assert sections(result.summary) == ["staging", "production"]


def test_a_failed_environment_leaves_its_issue_alone_and_fails_the_job(
    repo: Runner, sandbox: Any
) -> None:
    env = credentials(sandbox)
    for variable in list(env):
        if variable.startswith("STAGING_"):
            del env[variable]  # staging can reach nothing
    result = run_drift(repo, env)
    assert result.returncode == 1
    assert result.outputs["exitcode"] == "1"
    staging, production = drift_checks(result)
    assert staging["drift"] == ""
    assert production["drift"] == "found"
    assert "voiceops drift failed in staging (exit 1)" in result.summary


def issue_calls(tmp_path: Path, checks: list[dict[str, str]], **scenario: Any) -> list[Any]:
    listed = tmp_path / "checks.json"
    listed.write_text(json.dumps(checks), encoding="utf-8")
    return run_script(
        tmp_path, "drift.yml", scenario, "", ENVIRONMENTS=str(listed), DRIFT="environments"
    )


def test_drift_opens_one_issue_per_environment(repo: Runner, sandbox: Any, tmp_path: Path) -> None:
    checks = drift_checks(run_drift(repo, credentials(sandbox)))
    calls = issue_calls(tmp_path, checks)
    listed = [c["params"]["labels"] for c in calls if c["name"] == "listForRepo"]
    assert listed == ["drift,env:staging", "drift,env:production"]
    created = [c["params"] for c in calls if c["name"] == "create"]
    assert [c["labels"] for c in created] == [["drift", "env:staging"], ["drift", "env:production"]]
    assert [c["title"] for c in created] == [
        "voiceops: live assistants differ from git in staging",
        "voiceops: live assistants differ from git in production",
    ]
    for issue, environment in zip(created, ENVIRONMENTS, strict=True):
        assert issue["body"].startswith(f"{MARKER}\n<!-- voiceops:env:{environment} -->\n")
        assert f"voiceops apply --env {environment}" in issue["body"]
    labels = [c["params"]["name"] for c in calls if c["name"] == "createLabel"]
    assert labels == ["drift", "env:staging", "drift", "env:production"]


def test_drift_updates_and_closes_each_environments_own_issue(tmp_path: Path) -> None:
    report = tmp_path / "staging.md"
    report.write_text(f"{MARKER}\n## voiceops drift\n\nstaging drifted\n", encoding="utf-8")
    checks = [
        {"name": "staging", "drift": "found", "report": str(report)},
        {"name": "production", "drift": "none", "report": ""},
        {"name": "eu", "drift": "", "report": ""},  # an error: left alone
    ]
    issues = [
        {"number": 3, "body": f"{MARKER}\nno environment"},
        {"number": 4, "body": f"{MARKER}\n<!-- voiceops:env:production -->\nold"},
        {"number": 5, "body": f"{MARKER}\n<!-- voiceops:env:staging -->\nold"},
    ]
    calls = issue_calls(tmp_path, checks, issues=issues, labelExists=True)
    assert [c["params"]["labels"] for c in calls if c["name"] == "listForRepo"] == [
        "drift,env:staging",
        "drift,env:production",
    ]
    assert writes(calls) == ["update", "createComment", "update"]
    updated, comment, closed = (c["params"] for c in calls if c["name"] in writes(calls))
    assert updated["issue_number"] == 5
    assert "staging drifted" in updated["body"]
    assert comment["issue_number"] == 4
    assert "No drift left in production" in comment["body"]
    assert closed == {
        "owner": "owner",
        "repo": "repo",
        "issue_number": 4,
        "state": "closed",
        "state_reason": "completed",
    }

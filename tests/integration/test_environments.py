"""Environments end to end over HTTP: two sandboxes stand in for the staging and the
production account (each reached with its own credentials), and one repository drives both."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from voiceops.cli import main
from voiceops.sandbox import Faults, Sandbox, SandboxOptions

# Production is the sandbox credentials' account, staging another account of each vendor.
PRODUCTION_ENV = {
    "EDMO_EMAIL": "ops@example.com",
    "EDMO_PASSWORD": "sandbox-edmo-password",
    "AUTOCALLS_TOKEN": "sandbox-autocalls-token",
}
STAGING_ENV = {
    "EDMO_STAGING_EMAIL": "other@example.com",
    "EDMO_STAGING_PASSWORD": "sandbox-edmo-other-password",
    "AUTOCALLS_STAGING_TOKEN": "sandbox-autocalls-other-token",
}

TUTOR = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: tutor   # the same assistant in both accounts
provider: edmo-main
spec:
  name: Tutor
  firstMessage: Hello!
  model: {provider: openai, model: gpt-4o}
environments:
  staging:
    spec: {firstMessage: "Hello from staging!"}   # staging only
"""

INTAKE = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: intake}
provider: autocalls-sales
spec:
  name: Intake
  voice_id: 12
  language_id: 2
  type: inbound
  mode: multimodal
  multimodal_model_id: 1
  timezone: Europe/Madrid
  initial_message: Hola
  system_prompt: Take the caller's details.
  tts_emotion_enabled: true
"""


def config(production: Sandbox, staging: Sandbox) -> str:
    prod, stage = production.base_urls, staging.base_urls
    return f"""\
assistants: assistants/
providers:
  edmo-main:
    type: edmo
    email_env: EDMO_EMAIL
    password_env: EDMO_PASSWORD
    base_url: {prod["edmo"]}
  autocalls-sales: {{type: autocalls, token_env: AUTOCALLS_TOKEN, base_url: {prod["autocalls"]}}}
environments:
  staging:
    providers:
      edmo-main:
        email_env: EDMO_STAGING_EMAIL
        password_env: EDMO_STAGING_PASSWORD
        base_url: {stage["edmo"]}
      autocalls-sales: {{token_env: AUTOCALLS_STAGING_TOKEN, base_url: {stage["autocalls"]}}}
  production: {{}}
"""


@pytest.fixture
def staging_sandbox() -> Iterator[Sandbox]:
    """A second sandbox: the staging account's vendors."""
    sb = Sandbox(SandboxOptions(seed=2))
    with sb.serve(port=0):
        yield sb


class Repo:
    def __init__(self, root: Path, production: Sandbox, staging: Sandbox) -> None:
        self.root = root
        self.production = production
        self.staging = staging
        (root / "assistants").mkdir(parents=True)
        (root / "voiceops.yaml").write_text(config(production, staging), encoding="utf-8")
        self.tutor = root / "assistants" / "tutor.yaml"
        self.tutor.write_text(TUTOR, encoding="utf-8")
        self.intake = root / "assistants" / "intake.yaml"
        self.intake.write_text(INTAKE, encoding="utf-8")

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        command, *rest = args
        return CliRunner().invoke(
            main,
            [command, "--config", str(self.root / "voiceops.yaml"), *rest],
            env={**PRODUCTION_ENV, **STAGING_ENV, "VOICEOPS_ENV": "", **(env or {})},
            catch_exceptions=False,
        )

    def plan(self, environment: str) -> dict[str, object]:
        result = self.run("plan", "--env", environment, "--format", "json")
        assert result.exit_code == 0, result.output
        plan: dict[str, object] = json.loads(result.stdout)
        return plan

    def clear(self) -> None:
        self.production.clear_requests()
        self.staging.clear_requests()


@pytest.fixture
def repo(
    tmp_path: Path, sandbox: Sandbox, staging_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> Repo:
    found = Repo(tmp_path / "repo", sandbox, staging_sandbox)
    monkeypatch.chdir(found.root)
    return found


def named(
    sb: Sandbox, vendor: str, key: str, shown: str, account: object = None
) -> list[dict[str, object]]:
    found = sb.assistants(vendor, account=None if account is None else str(account))
    return [a for a in found if a.get(key) == shown]


def entry(plan: dict[str, object], name: str) -> dict[str, object]:
    assistants = plan["assistants"]
    assert isinstance(assistants, list)
    found: dict[str, object] = next(a for a in assistants if a["name"] == name)
    return found


def test_without_env_the_commands_name_the_environments(repo: Repo) -> None:
    for command in ("plan", "apply", "drift"):
        result = repo.run(command)
        assert result.exit_code == 1
        assert result.stderr == (
            "error: voiceops.yaml defines the environments staging, production; choose one "
            "with --env NAME (or VOICEOPS_ENV)\n"
        )
    typo = repo.run("plan", "--env", "stagign")
    assert typo.exit_code == 1
    assert "unknown environment 'stagign'; did you mean 'staging'?" in typo.stderr
    assert repo.production.requests() == []
    assert repo.staging.requests() == []


def test_one_document_planned_and_applied_to_each_environment(repo: Repo) -> None:
    valid = repo.run("validate", "--format", "json")
    assert valid.exit_code == 0, valid.output
    assert json.loads(valid.stdout)["environments"] == ["staging", "production"]
    assert json.loads(valid.stdout)["write_only_record"] is None

    staging_plan = repo.plan("staging")
    tutor = entry(staging_plan, "tutor")
    assert tutor["status"] == "create"
    request = tutor["request"]
    assert isinstance(request, dict)
    assert request["body"]["firstMessage"] == "Hello from staging!"
    production_plan = repo.plan("production")
    request = entry(production_plan, "tutor")["request"]
    assert isinstance(request, dict)
    assert request["body"]["firstMessage"] == "Hello!"

    # Staging: the overlay's value reaches only the staging account, no request production's.
    repo.clear()
    before = repo.tutor.read_text(encoding="utf-8")
    applied = repo.run("apply", "--env", "staging", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert repo.production.requests() == []
    [created] = named(repo.staging, "edmo", "name", "Tutor")
    assert created["firstMessage"] == "Hello from staging!"
    assert created["orgId"] == "org_other"  # the staging credentials' account
    assert named(repo.production, "edmo", "name", "Tutor") == []
    staging_id = str(created["id"])
    after = repo.tutor.read_text(encoding="utf-8")
    line = '    spec: {firstMessage: "Hello from staging!"}   # staging only\n'
    assert after == before.replace(line, f'{line}    id: "{staging_id}"\n')

    # Production: the base spec, the production account, no request to staging's.
    repo.clear()
    applied = repo.run("apply", "--env", "production", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert repo.staging.requests() == []
    [created] = named(repo.production, "edmo", "name", "Tutor")
    assert created["firstMessage"] == "Hello!"
    assert created["orgId"] == "org_abc"
    production_id = str(created["id"])
    assert repo.tutor.read_text(encoding="utf-8") == (
        f'{after}  production:\n    id: "{production_id}"\n'
    )
    # A document without environments: gets a new block, one id per environment.
    [intake] = named(repo.production, "autocalls", "name", "Intake", account=1)
    [staged] = named(repo.staging, "autocalls", "name", "Intake", account=2)
    assert named(repo.production, "autocalls", "name", "Intake", account=2) == []
    assert repo.intake.read_text(encoding="utf-8") == (
        f'{INTAKE}environments:\n  staging:\n    id: "{staged["id"]}"\n'
        f'  production:\n    id: "{intake["id"]}"\n'
    )

    # Both converged, each with its own id.
    for environment in ("staging", "production"):
        plan = repo.plan(environment)
        assert {a["status"] for a in plan["assistants"]} == {"unchanged"}, plan  # type: ignore[union-attr]
    assert entry(repo.plan("staging"), "tutor")["id"] == staging_id
    assert entry(repo.plan("production"), "tutor")["id"] == production_id


def test_records_are_kept_per_environment(repo: Repo) -> None:
    overlay = "environments:\n  staging:\n    spec: {tts_emotion_enabled: false}\n"
    repo.intake.write_text(INTAKE + overlay, encoding="utf-8")
    records = repo.root / ".voiceops"
    seen = {}
    for environment in ("staging", "production"):
        result = repo.run("validate", "--env", environment, "--format", "json")
        assert json.loads(result.stdout)["write_only_record"] == (
            f".voiceops/{environment}/write-only.json"
        )
        assert repo.run("apply", "--env", environment, "--auto-approve").exit_code == 0
        record = records / environment / "write-only.json"
        seen[environment] = json.loads(record.read_text(encoding="utf-8"))["assistants"]
    assert not (records / "write-only.json").exists()
    assert not (records / "pending-creates.json").exists()
    # Each create's write-only values are remembered in its own environment's record.
    [(key, staging)] = seen["staging"].items()
    [(key_too, production)] = seen["production"].items()
    assert key.startswith("autocalls-sales")
    assert key_too.startswith("autocalls-sales")
    assert staging["tts_emotion_enabled"] != production["tts_emotion_enabled"]
    for environment in ("staging", "production"):
        plan = repo.plan(environment)
        assert entry(plan, "intake")["status"] == "unchanged"


def test_drift_reads_only_its_environment(repo: Repo) -> None:
    for environment in ("staging", "production"):
        assert repo.run("apply", "--env", environment, "--auto-approve").exit_code == 0
    repo.clear()
    result = repo.run("drift", "--env", "staging", env={"VOICEOPS_ENV": "staging"})
    assert result.exit_code == 0, result.output
    assert repo.production.requests() == []
    assert repo.staging.requests() != []
    repo.clear()
    assert repo.run("drift", env={"VOICEOPS_ENV": "production"}).exit_code == 0
    assert repo.staging.requests() == []


def test_a_saved_plan_is_applied_only_to_its_environment(repo: Repo) -> None:
    planned = repo.run("plan", "--env", "staging", "--out", "staging.json")
    assert planned.exit_code == 0, planned.output
    assert json.loads((repo.root / "staging.json").read_text())["environment"] == "staging"
    repo.clear()
    refused = repo.run("apply", "staging.json", "--env", "production", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr == (
        "error: staging.json is a plan for the environment 'staging', not 'production'; "
        "apply it with --env staging (or without --env), or plan again with --env production\n"
    )
    assert repo.production.requests() == []
    assert repo.staging.requests() == []
    via_variable = repo.run(
        "apply", "staging.json", "--auto-approve", env={"VOICEOPS_ENV": "production"}
    )
    assert via_variable.exit_code == 1
    assert "not 'production'" in via_variable.stderr
    assert repo.production.requests() == []
    # Without --env, the plan file's own environment.
    applied = repo.run("apply", "staging.json", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    assert named(repo.staging, "edmo", "name", "Tutor") != []
    assert repo.production.requests() == []


@pytest.mark.parametrize("edited", [5, None, ["staging"], "stag\x1b[2Jing\nx"])
def test_a_plan_files_environment_edited_is_one_sentence_and_nothing_is_sent(
    repo: Repo, edited: object
) -> None:
    assert repo.run("plan", "--env", "staging", "--out", "staging.json").exit_code == 0
    path = repo.root / "staging.json"
    data = json.loads(path.read_text())
    data["environment"] = edited
    path.write_text(json.dumps(data))
    repo.clear()
    refused = repo.run("apply", "staging.json", "--env", "staging", "--auto-approve")
    assert refused.exit_code == 1
    assert refused.stderr.count("\n") == 1
    assert refused.stderr.startswith("error: staging.json ")
    assert "\x1b" not in refused.stderr
    assert repo.production.requests() == []
    assert repo.staging.requests() == []


def test_applies_of_two_environments_at_once_both_write_their_ids(repo: Repo) -> None:
    """Each run locks its own environment, so both edit the same files at the same time:
    neither may lose its id to the other's."""
    names = [f"tutor-{n}" for n in range(6)]
    for name in names:
        text = TUTOR.replace("name: tutor ", f"name: {name} ").replace("Tutor", name)
        (repo.root / "assistants" / f"{name}.yaml").write_text(text, encoding="utf-8")
    for sb in (repo.production, repo.staging):
        sb.set_faults(Faults(latency_ms=20))
    env = {**os.environ, **PRODUCTION_ENV, **STAGING_ENV, "VOICEOPS_ENV": "", "NO_COLOR": "1"}
    runs = [
        subprocess.Popen(
            [sys.executable, "-m", "voiceops", "apply", "--auto-approve", "--env", name],
            cwd=repo.root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for name in ("staging", "production")
    ]
    outputs = [run.communicate(timeout=300)[0] for run in runs]

    assert [run.returncode for run in runs] == [0, 0], outputs
    for name in names:
        data = yaml.safe_load((repo.root / "assistants" / f"{name}.yaml").read_text("utf-8"))
        [staged] = named(repo.staging, "edmo", "name", name)
        [produced] = named(repo.production, "edmo", "name", name)
        assert data["environments"]["staging"]["id"] == str(staged["id"])
        assert data["environments"]["production"]["id"] == str(produced["id"])

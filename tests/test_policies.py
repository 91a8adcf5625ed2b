"""Policies in voiceops.yaml: checked offline by validate in every environment, by plan
like any input error, and by import as warnings."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from voiceops.cli import main

CONFIG = """\
assistants: assistants/
providers:
  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}
environments:
  staging: {}
  production: {}
policies:
  - name: calm-model
    description: temperature at most 0.5 in production
    select: {vendors: [edmo], environments: [production], labels: {team: admissions}}
    schema:
      properties:
        model: {properties: {temperature: {maximum: 0.5}}}
"""

TUTOR = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: tutor
  labels: {team: admissions}
provider: edmo-main
spec:
  name: Tutor
  firstMessageMode: assistant-speaks-first
  model: {provider: openai, model: gpt-4o, temperature: 0.4}
environments:
  production:
    spec:
      model: {temperature: 0.9}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "assistants").mkdir()
    (tmp_path / "assistants" / "tutor.yaml").write_text(TUTOR, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOICEOPS_ENV", raising=False)
    return tmp_path


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


def test_a_policy_that_fails_in_one_environment_only(repo: Path) -> None:
    result = run("validate")
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if "policy" in line]
    # The overlay's line, where production writes the temperature.
    assert errors == [
        "assistants/tutor.yaml:14:28: tutor breaks policy "
        "'calm-model' (temperature at most 0.5 in production): 0.9 is greater than the "
        "maximum of 0.5 (in environment production)"
    ]
    assert run("validate", "--env", "staging").exit_code == 0
    assert run("validate", "--env", "production").exit_code == 1


def test_plan_reports_a_policy_error_before_reading_anything(repo: Path) -> None:
    result = run("plan", "--env", "production")
    assert result.exit_code == 1
    assert "breaks policy 'calm-model'" in result.stderr
    assert "Traceback" not in result.output


def test_a_selector_that_does_not_match_leaves_the_document_alone(repo: Path) -> None:
    text = (repo / "assistants" / "tutor.yaml").read_text(encoding="utf-8")
    (repo / "assistants" / "tutor.yaml").write_text(
        text.replace("team: admissions", "team: sales"), encoding="utf-8"
    )
    assert run("validate").exit_code == 0


def test_a_policy_schema_that_is_no_schema_is_an_input_error(repo: Path) -> None:
    config = CONFIG.replace("maximum: 0.5", "maximum: high")
    (repo / "voiceops.yaml").write_text(config, encoding="utf-8")
    result = run("validate", "--format", "json")
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert any("calm-model" in d["message"] for d in report["diagnostics"])


def test_the_starter_policies_pass_on_the_starter_documents() -> None:
    root = Path(__file__).resolve().parents[1]
    result = CliRunner().invoke(
        main, ["validate", "--config", str(root / "voiceops.yaml")], catch_exceptions=False
    )
    assert result.exit_code == 0, result.output

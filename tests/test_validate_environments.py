"""`voiceops validate` with environments: every environment's connections and documents
are checked, and an error points at the overlay's line when the overlay wrote the value,
else at the base's."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from voiceops.cli import main
from voiceops.errors import InputErrors, VoiceopsError
from voiceops.spec.config import load_config
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.validation import load_project

CONFIG = """\
assistants: assistants/
providers:
  edmo-main: {type: edmo, email_env: EDMO_EMAIL, password_env: EDMO_PASSWORD}
environments:
  staging:
    providers:
      edmo-main: {email_env: EDMO_STAGING_EMAIL}
  production: {}
"""

TUTOR = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: tutor}
provider: edmo-main
spec:
  name: Tutor
  firstMessageMode: assistant-speaks-first
  model: {provider: openai, model: gpt-4o}
"""


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "voiceops.yaml").write_text(CONFIG, encoding="utf-8")
    (tmp_path / "assistants").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("VOICEOPS_ENV", raising=False)
    return tmp_path


def write(repo: Path, name: str, text: str) -> None:
    (repo / "assistants" / f"{name}.yaml").write_text(text, encoding="utf-8")


def run(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, ["validate", *args], env=env, catch_exceptions=False)


def lines(result: Result) -> list[str]:
    return [line for line in result.stderr.splitlines() if ": " in line and "error" not in line[:6]]


def test_a_project_with_environments_validates(repo: Path) -> None:
    write(repo, "tutor", TUTOR + "environments:\n  staging: {id: asst_1}\n  production: false\n")
    result = run("--format", "json")
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["valid"] is True
    assert report["environments"] == ["staging", "production"]
    assert report["write_only_record"] is None
    narrowed = json.loads(run("--env", "staging", "--format", "json").stdout)
    assert narrowed["write_only_record"] == ".voiceops/staging/write-only.json"


def test_an_overlay_error_points_at_the_overlay(repo: Path) -> None:
    write(
        repo,
        "tutor",
        TUTOR + "environments:\n  staging:\n    spec: {firstMessageMode: shouts}\n",
    )
    result = run()
    assert result.exit_code == 1
    assert lines(result) == [
        'assistants/tutor.yaml:11:30: spec.firstMessageMode is "shouts", which is not one of '
        '"assistant-speaks-first", "assistant-waits-for-user", '
        '"assistant-speaks-first-with-model-generated-message", null (in environment staging)',
    ]
    # Only staging has it: production validates.
    assert run("--env", "production").exit_code == 0


def test_a_base_error_points_at_the_base_once(repo: Path) -> None:
    broken = TUTOR.replace("assistant-speaks-first", "shouts")
    # Staging repairs it, production does not: the base line, reported once.
    write(
        repo,
        "tutor",
        broken
        + "environments:\n  staging:\n    spec: {firstMessageMode: assistant-waits-for-user}\n",
    )
    result = run()
    assert result.exit_code == 1
    [line] = lines(result)
    assert line.startswith('assistants/tutor.yaml:7:21: spec.firstMessageMode is "shouts"')
    assert run("--env", "staging").exit_code == 0


def test_a_top_level_id_says_where_ids_go(repo: Path) -> None:
    write(repo, "tutor", TUTOR.replace("provider: edmo-main\n", "provider: edmo-main\nid: a1\n"))
    result = run()
    assert result.exit_code == 1
    assert lines(result) == [
        "assistants/tutor.yaml:5:1: a top-level id is not used when voiceops.yaml defines "
        "environments; write it as environments.<environment>.id under the environment it "
        "belongs to (in environments staging and production)",
    ]


def test_an_unknown_environment_is_reported_at_its_key(repo: Path) -> None:
    write(repo, "tutor", TUTOR + "environments:\n  stagin: {id: asst_1}\n")
    result = run()
    assert result.exit_code == 1
    assert lines(result) == [
        "assistants/tutor.yaml:10:3: unknown environment 'stagin'; did you mean 'staging'? "
        "(voiceops.yaml defines production, staging) (in environments staging and production)",
    ]


def test_an_environment_entry_of_another_shape(repo: Path) -> None:
    write(repo, "tutor", TUTOR + "environments:\n  staging: true\n")
    result = run()
    assert result.exit_code == 1
    [line] = lines(result)
    assert line.startswith("assistants/tutor.yaml:10:12: ")
    assert "false (to leave the assistant out of it) or a mapping" in line


def test_create_requirements_and_ensure_are_checked_per_environment(repo: Path) -> None:
    text = TUTOR.replace("  model: {provider: openai, model: gpt-4o}\n", "")
    # Production would create it (no id there): the model a create needs is missing.
    write(repo, "a", text + "environments:\n  staging: {id: asst_1}\n")
    # A delete needs an id, said at the overlay's ensure.
    other = TUTOR.replace("name: tutor", "name: other")
    write(
        repo,
        "b",
        other + "environments:\n  staging: {id: asst_2}\n  production: {ensure: absent}\n",
    )
    result = run()
    assert result.exit_code == 1
    found = lines(result)
    assert len(found) == 2, found
    assert found[0].startswith("assistants/a.yaml:5:1: ")
    assert "model" in found[0]
    assert found[1].startswith("assistants/b.yaml:11:24: ensure: absent needs the id")
    assert run("--env", "staging").exit_code == 0


def test_duplicate_ids_are_found_per_environment(repo: Path) -> None:
    write(repo, "a", TUTOR + "environments:\n  staging: {id: asst_1}\n  production: {id: asst_1}\n")
    other = TUTOR.replace("name: tutor", "name: other")
    write(repo, "b", other + "environments:\n  staging:\n    id: asst_1\n")
    result = run()
    assert result.exit_code == 1
    assert lines(result) == [
        "assistants/b.yaml:11:9: assistant 'asst_1' on connection 'edmo-main' in environment "
        "'staging' is already managed by 'tutor' (assistants/a.yaml:10:17) (in environment "
        "staging)",
    ]


def test_connections_overlay_errors_point_at_the_overlay(repo: Path) -> None:
    (repo / "voiceops.yaml").write_text(
        CONFIG.replace(
            "{email_env: EDMO_STAGING_EMAIL}", "{email_env: EDMO STAGING, emial: x}"
        ).replace("production: {}", "production:\n    providers: {extra: {base_url: x}}"),
        encoding="utf-8",
    )
    write(repo, "tutor", TUTOR)
    result = run()
    assert result.exit_code == 1
    found = lines(result)
    assert [line.split(" ")[0] for line in found] == [
        "voiceops.yaml:7:30:",
        "voiceops.yaml:7:44:",
        "voiceops.yaml:9:24:",
    ], found


def test_a_base_connection_error_points_at_the_base(repo: Path) -> None:
    (repo / "voiceops.yaml").write_text(
        CONFIG.replace("password_env: EDMO_PASSWORD", "password_env: 1PASSWORD"),
        encoding="utf-8",
    )
    write(repo, "tutor", TUTOR)
    result = run()
    assert result.exit_code == 1
    [line] = lines(result)
    assert line.startswith("voiceops.yaml:3:64: ")


def test_the_env_sentences(repo: Path) -> None:
    write(repo, "tutor", TUTOR)
    with pytest.raises(VoiceopsError) as chosen:
        load_project(None)
    assert chosen.value.message == (
        "voiceops.yaml defines the environments staging, production; choose one with "
        "--env NAME (or VOICEOPS_ENV)"
    )
    with pytest.raises(VoiceopsError) as unknown:
        load_project(None, environment="producton")
    assert unknown.value.message == (
        "unknown environment 'producton'; did you mean 'production'? "
        "(voiceops.yaml defines production, staging)"
    )
    (repo / "voiceops.yaml").write_text(CONFIG.split("environments:")[0], encoding="utf-8")
    with pytest.raises(VoiceopsError) as none:
        load_project(None, environment="staging")
    assert none.value.message == (
        "voiceops.yaml defines no environments, so there is no environment 'staging'"
    )
    result = run("--env", "staging")
    assert result.exit_code == 1
    assert result.stderr.startswith(
        "error: voiceops.yaml defines no environments, so there is no environment 'staging'\n"
    )
    assert run(env={"VOICEOPS_ENV": "staging"}).exit_code == 1


def test_environments_in_a_document_need_them_in_the_config(repo: Path) -> None:
    (repo / "voiceops.yaml").write_text(CONFIG.split("environments:")[0], encoding="utf-8")
    write(repo, "tutor", TUTOR + "environments:\n  staging: {id: asst_1}\n")
    result = run()
    assert result.exit_code == 1
    assert lines(result) == [
        "assistants/tutor.yaml:10:3: voiceops.yaml defines no environments, so there is no "
        "environment 'staging'",
    ]


def test_load_project_gives_the_effective_specs_of_one_environment(repo: Path) -> None:
    write(
        repo,
        "tutor",
        TUTOR + "environments:\n  staging:\n    id: asst_1\n    spec: {name: null}\n"
        "  production: false\n",
    )
    staging = load_project(None, environment="staging")
    [spec] = staging.specs
    assert spec.id == "asst_1"
    assert spec.environment == "staging"
    assert "name" not in spec.spec
    assert spec.id_path == ("environments", "staging", "id")
    assert str(spec.position(("id",))) == "assistants/tutor.yaml:11:9"
    assert staging.config.connections["edmo-main"].setting("email_env") == "EDMO_STAGING_EMAIL"
    assert staging.config.write_only_record == repo / ".voiceops" / "staging" / "write-only.json"
    production = load_project(None, environment="production")
    assert production.specs == []
    assert production.config.connections["edmo-main"].setting("email_env") == "EDMO_EMAIL"


def test_load_project_raises_the_errors_of_its_environment_only(repo: Path) -> None:
    write(repo, "tutor", TUTOR + "environments:\n  staging:\n    spec: {firstMessageMode: x}\n")
    with pytest.raises(InputErrors) as raised:
        load_project(None, environment="staging")
    assert [str(d.location) for d in raised.value.diagnostics] == ["assistants/tutor.yaml:11:30"]
    assert load_project(None, environment="production").specs[0].id is None


def test_import_needs_an_environment(repo: Path) -> None:
    write(repo, "tutor", TUTOR)
    result = CliRunner().invoke(main, ["import", "--provider", "edmo-main", "--all"])
    assert result.exit_code == 1
    assert result.stderr == (
        "error: voiceops.yaml defines the environments staging, production; choose one "
        "with --env NAME (or VOICEOPS_ENV)\n"
    )


def test_an_environment_chosen_twice_keeps_its_own_record(repo: Path) -> None:
    config = load_config(None, SchemaStore()).choose("staging")
    again = config.in_environment("production")
    assert again.write_only_record == repo / ".voiceops" / "production" / "write-only.json"
    assert again.connections["edmo-main"].setting("email_env") == "EDMO_EMAIL"


def test_every_error_names_its_environment_in_json(repo: Path) -> None:
    write(
        repo,
        "tutor",
        TUTOR + "environments:\n  staging:\n    spec: {firstMessageMode: shouts}\n",
    )
    other = TUTOR.replace("name: tutor", "name: other").replace("provider: edmo-main\n", "")
    write(repo, "other", other)
    result = run("--format", "json")
    assert result.exit_code == 1
    found = json.loads(result.output)["diagnostics"]
    assert found, result.output
    by_environment = {(d["path"], d["environment"]) for d in found}
    assert ("assistants/tutor.yaml", "staging") in by_environment
    assert ("assistants/other.yaml", "staging, production") in by_environment
    for diagnostic in found:
        assert diagnostic["environment"], diagnostic
        assert diagnostic["environments"], diagnostic

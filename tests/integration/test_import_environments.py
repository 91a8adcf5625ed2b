"""`import --env NAME` over HTTP: the environment's ids, its account, and where an imported
value is written (the base spec, or the environment's patch where it sets the value)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.integration.test_environments import Repo, named
from voiceops.sandbox import Sandbox, SandboxOptions


@pytest.fixture
def estate(tmp_path: Path, sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[Repo]:
    """The two-environment repository: `sandbox` is production's account, another staging's."""
    staging = Sandbox(SandboxOptions(seed=2))
    with staging.serve(port=0):
        found = Repo(tmp_path / "repo", sandbox, staging)
        monkeypatch.chdir(found.root)
        yield found


def created(estate: Repo) -> tuple[str, str]:
    """Tutor applied in both environments: (staging id, production id)."""
    for environment in ("staging", "production"):
        result = estate.run("apply", "--env", environment, "--auto-approve")
        assert result.exit_code == 0, result.output
    [staged] = named(estate.staging, "edmo", "name", "Tutor")
    [produced] = named(estate.production, "edmo", "name", "Tutor")
    return str(staged["id"]), str(produced["id"])


def statuses(estate: Repo, environment: str) -> dict[str, str]:
    plan = estate.plan(environment)
    return {a["name"]: a["status"] for a in plan["assistants"]}  # type: ignore[union-attr]


def test_in_place_into_the_patch_where_it_sets_the_value_else_the_base(estate: Repo) -> None:
    staging_id, production_id = created(estate)
    before = estate.tutor.read_text(encoding="utf-8")
    estate.staging.edit(
        "edmo", staging_id, {"firstMessage": "Hi from the dashboard", "name": "Tutor Two"}
    )
    estate.clear()
    result = estate.run(
        "import", "--env", "staging", "--provider", "edmo-main", "--id", staging_id, "--force"
    )
    assert result.exit_code == 0, result.output
    assert f"updated assistants/tutor.yaml (tutor, id {staging_id}) in place" in result.stdout
    assert estate.production.requests() == []
    after = estate.tutor.read_text(encoding="utf-8")
    # Staging patches firstMessage: the patch changes. It does not patch name: the base does.
    assert after == before.replace("  name: Tutor\n", "  name: Tutor Two\n").replace(
        '{firstMessage: "Hello from staging!"}', '{firstMessage: "Hi from the dashboard"}'
    )
    assert statuses(estate, "staging") == {"tutor": "unchanged", "intake": "unchanged"}
    # The base is shared: production now plans the new name, and keeps its own greeting.
    production = estate.plan("production")
    [tutor] = [a for a in production["assistants"] if a["name"] == "tutor"]  # type: ignore[union-attr]
    assert tutor["status"] == "update"
    assert tutor["id"] == production_id
    assert tutor["request"]["body"]["name"] == "Tutor Two"
    assert tutor["request"]["body"].get("firstMessage", "Hello!") == "Hello!"


def test_the_environments_id_decides_which_document_manages_it(estate: Repo) -> None:
    staging_id, production_id = created(estate)
    estate.production.edit("edmo", production_id, {"firstMessage": "Hello, production"})
    estate.clear()
    before = estate.tutor.read_text(encoding="utf-8")
    result = estate.run(
        "import", "--env", "production", "--provider", "edmo-main", "--id", production_id,
        "--force",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert estate.staging.requests() == []
    # Production has no patch for firstMessage: the base spec gets the live value.
    assert estate.tutor.read_text(encoding="utf-8") == before.replace(
        "  firstMessage: Hello!\n", "  firstMessage: Hello, production\n"
    )
    # Staging's copy is still what staging's patch says.
    assert statuses(estate, "staging")["tutor"] == "unchanged"
    assert staging_id != production_id


def test_an_unmanaged_assistant_becomes_a_document_with_the_id_under_the_environment(
    estate: Repo,
) -> None:
    new_id = estate.production.add_assistant(
        "edmo",
        {"name": "Front Desk", "firstMessage": "Welcome!",
         "model": {"provider": "openai", "model": "gpt-4o"}},
    )  # fmt: skip
    estate.clear()
    result = estate.run("import", "--env", "production", "--provider", "edmo-main", "--id", new_id)
    assert result.exit_code == 0, result.output
    assert estate.staging.requests() == []
    written = estate.root / "assistants" / "front-desk.yaml"
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert "id" not in document
    assert document["environments"] == {"production": {"id": new_id}}
    assert document["spec"]["name"] == "Front Desk"
    assert f'    id: "{new_id}"\n' in written.read_text(encoding="utf-8")
    valid = estate.run("validate")
    assert valid.exit_code == 0, valid.output
    assert statuses(estate, "production")["front-desk"] == "unchanged"


def test_in_staging_the_production_id_is_not_managed(estate: Repo) -> None:
    _, production_id = created(estate)
    # The production account's assistant is not visible with the staging credentials.
    result = estate.run(
        "import", "--env", "staging", "--provider", "edmo-main", "--id", production_id
    )
    assert result.exit_code == 1
    assert result.stderr == (
        f"error: assistant {production_id!r} was not found on 'edmo-main' (404)\n"
    )
    assert estate.tutor.read_text(encoding="utf-8").count("id:") == 2


def test_a_name_another_environment_uses_is_taken(estate: Repo) -> None:
    left_out = "environments:\n  production: false\n"
    estate.intake.write_text(estate.intake.read_text(encoding="utf-8") + left_out)
    new_id = estate.production.add_assistant(
        "autocalls",
        {"name": "Intake", "voice_id": 12, "language_id": 2},
        account=1,
    )
    before = estate.intake.read_text(encoding="utf-8")
    result = estate.run(
        "import", "--env", "production", "--provider", "autocalls-sales", "--id", new_id,
        "--force",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert estate.intake.read_text(encoding="utf-8") == before
    written = estate.root / "assistants" / "intake-2.yaml"
    document = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert document["metadata"]["name"] == "intake-2"
    assert document["environments"] == {"production": {"id": new_id}}

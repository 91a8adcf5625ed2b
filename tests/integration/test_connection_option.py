"""--connection NAME on plan, apply and drift: a run limited to some connections, over HTTP
against two sandboxes (the staging and the production account)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

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


def vendors(repo: Repo) -> set[str]:
    """The vendors that received any request, in either account."""
    return {r.vendor for r in repo.production.requests() + repo.staging.requests()}


def test_plan_reads_only_the_chosen_connection(estate: Repo) -> None:
    result = estate.run(
        "plan", "--env", "production", "--connection", "edmo-main", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [a["name"] for a in plan["assistants"]] == ["tutor"]
    # The safety threshold's share is of every managed assistant, as with --target.
    assert plan["summary"]["managed"] == 2
    assert vendors(estate) == {"edmo"}
    assert estate.staging.requests() == []


def test_apply_sends_only_to_the_chosen_connection(estate: Repo) -> None:
    tutor_before = estate.tutor.read_text(encoding="utf-8")
    result = estate.run(
        "apply", "--env", "staging", "--connection", "autocalls-sales", "--auto-approve"
    )
    assert result.exit_code == 0, result.output
    assert vendors(estate) == {"autocalls"}
    assert estate.production.requests() == []
    [created] = named(estate.staging, "autocalls", "name", "Intake", account=2)
    assert f'id: "{created["id"]}"' in estate.intake.read_text(encoding="utf-8")
    assert estate.tutor.read_text(encoding="utf-8") == tutor_before
    assert named(estate.staging, "edmo", "name", "Tutor") == []


def test_connection_is_repeatable_and_combines_with_target(estate: Repo) -> None:
    both = estate.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--connection", "autocalls-sales",
    )  # fmt: skip
    assert both.exit_code == 0, both.output
    assert [a["name"] for a in json.loads(both.stdout)["assistants"]] == ["intake", "tutor"]
    estate.clear()
    narrowed = estate.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--target", "intake",
    )  # fmt: skip
    # Nothing matched both: said, exit 1, never "No changes".
    assert narrowed.exit_code == 1, narrowed.output
    assert narrowed.stderr == (
        "error: no assistant named 'intake' uses the connection 'edmo-main'; nothing to do\n"
    )
    assert vendors(estate) == set()
    targeted = estate.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--target", "tutor",
    )  # fmt: skip
    assert [a["name"] for a in json.loads(targeted.stdout)["assistants"]] == ["tutor"]


def test_unknown_connection_is_one_sentence_and_nothing_is_sent(estate: Repo) -> None:
    for command in ("plan", "apply", "drift"):
        result = estate.run(command, "--env", "production", "--connection", "edmo-mian")
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == (
            "error: no connection is named 'edmo-mian' in environment 'production' "
            "(did you mean 'edmo-main'?); voiceops.yaml defines autocalls-sales, edmo-main\n"
        )
    assert vendors(estate) == set()


def test_a_connection_only_another_environment_has_is_unknown(estate: Repo) -> None:
    config = estate.root / "voiceops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  production: {}", "  production:\n    providers: {autocalls-sales: null}")
    )
    estate.intake.write_text(
        estate.intake.read_text(encoding="utf-8") + "environments: {production: false}\n"
    )
    result = estate.run("plan", "--env", "production", "--connection", "autocalls-sales")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no connection is named 'autocalls-sales' in environment 'production'; "
        "voiceops.yaml defines edmo-main\n"
    )
    staged = estate.run("plan", "--env", "staging", "--connection", "autocalls-sales")
    assert staged.exit_code == 0, staged.output


def test_a_plan_file_is_applied_one_connection_at_a_time(estate: Repo) -> None:
    planned = estate.run("plan", "--env", "production", "--out", "all.json")
    assert planned.exit_code == 0, planned.output
    estate.clear()
    first = estate.run(
        "apply", "all.json", "--env", "production", "--connection", "autocalls-sales",
        "--auto-approve",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert vendors(estate) == {"autocalls"}
    assert named(estate.production, "autocalls", "name", "Intake", account=1) != []
    assert named(estate.production, "edmo", "name", "Tutor") == []
    estate.clear()
    second = estate.run(
        "apply", "all.json", "--env", "production", "--connection", "edmo-main", "--auto-approve"
    )
    assert second.exit_code == 0, second.output
    assert vendors(estate) == {"edmo"}
    assert named(estate.production, "edmo", "name", "Tutor") != []


def test_a_plan_file_of_other_connections_applies_nothing(estate: Repo) -> None:
    planned = estate.run(
        "plan", "--env", "production", "--connection", "edmo-main", "--out", "edmo.json"
    )
    assert planned.exit_code == 0, planned.output
    estate.clear()
    result = estate.run(
        "apply", "edmo.json", "--env", "production", "--connection", "autocalls-sales",
        "--auto-approve",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert vendors(estate) == set()
    assert named(estate.production, "edmo", "name", "Tutor") == []


def test_unmanaged_are_reported_only_for_the_chosen_connections(estate: Repo) -> None:
    config = estate.root / "voiceops.yaml"
    text = config.read_text(encoding="utf-8")
    reporting = "{type: autocalls, report_unmanaged: true,"
    config.write_text(text.replace("{type: autocalls,", reporting), encoding="utf-8")
    everything = estate.run("drift", "--env", "production", "--format", "json")
    assert json.loads(everything.stdout)["unmanaged"] != [], everything.output
    estate.clear()
    result = estate.run(
        "drift", "--env", "production", "--connection", "edmo-main", "--format", "json"
    )
    assert json.loads(result.stdout)["unmanaged"] == [], result.output
    assert vendors(estate) == {"edmo"}


def test_a_target_the_environment_leaves_out_says_so(estate: Repo) -> None:
    estate.intake.write_text(
        estate.intake.read_text(encoding="utf-8") + "environments: {production: false}\n"
    )
    for command in ("plan", "apply", "render"):
        result = estate.run(command, "--env", "production", "--target", "intake")
        assert result.exit_code == 1, result.output
        assert result.stderr == (
            "error: 'intake' is left out of the environment 'production' "
            "(environments.production: false in its document)\n"
        )
    assert vendors(estate) == set()

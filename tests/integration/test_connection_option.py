"""--connection NAME on plan, apply and drift: a run limited to some connections, over HTTP
against two sandboxes (the staging and the production account)."""

from __future__ import annotations

import json

from tests.integration.test_environments import (  # noqa: F401  (fixtures)
    Repo,
    entry,
    named,
    repo,
    staging_sandbox,
)


def vendors(repo: Repo) -> set[str]:
    """The vendors that received any request, in either account."""
    return {r.vendor for r in repo.production.requests() + repo.staging.requests()}


def test_plan_reads_only_the_chosen_connection(repo: Repo) -> None:
    result = repo.run(
        "plan", "--env", "production", "--connection", "edmo-main", "--format", "json"
    )
    assert result.exit_code == 0, result.output
    plan = json.loads(result.stdout)
    assert [a["name"] for a in plan["assistants"]] == ["tutor"]
    # The safety threshold's share is of every managed assistant, as with --target.
    assert plan["summary"]["managed"] == 2
    assert vendors(repo) == {"edmo"}
    assert repo.staging.requests() == []


def test_apply_sends_only_to_the_chosen_connection(repo: Repo) -> None:
    tutor_before = repo.tutor.read_text(encoding="utf-8")
    result = repo.run(
        "apply", "--env", "staging", "--connection", "autocalls-sales", "--auto-approve"
    )
    assert result.exit_code == 0, result.output
    assert vendors(repo) == {"autocalls"}
    assert repo.production.requests() == []
    [created] = named(repo.staging, "autocalls", "name", "Intake", account=2)
    assert f'id: "{created["id"]}"' in repo.intake.read_text(encoding="utf-8")
    assert repo.tutor.read_text(encoding="utf-8") == tutor_before
    assert named(repo.staging, "edmo", "name", "Tutor") == []


def test_connection_is_repeatable_and_combines_with_target(repo: Repo) -> None:
    both = repo.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--connection", "autocalls-sales",
    )  # fmt: skip
    assert both.exit_code == 0, both.output
    assert [a["name"] for a in json.loads(both.stdout)["assistants"]] == ["intake", "tutor"]
    repo.clear()
    narrowed = repo.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--target", "intake",
    )  # fmt: skip
    assert narrowed.exit_code == 0, narrowed.output
    assert json.loads(narrowed.stdout)["assistants"] == []
    assert vendors(repo) == set()
    targeted = repo.run(
        "plan", "--env", "production", "--format", "json",
        "--connection", "edmo-main", "--target", "tutor",
    )  # fmt: skip
    assert [a["name"] for a in json.loads(targeted.stdout)["assistants"]] == ["tutor"]


def test_unknown_connection_is_one_sentence_and_nothing_is_sent(repo: Repo) -> None:
    for command in ("plan", "apply", "drift"):
        result = repo.run(command, "--env", "production", "--connection", "edmo-mian")
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == (
            "error: no connection is named 'edmo-mian' in environment 'production' "
            "(did you mean 'edmo-main'?); voiceops.yaml defines autocalls-sales, edmo-main\n"
        )
    assert vendors(repo) == set()


def test_a_connection_only_another_environment_has_is_unknown(repo: Repo) -> None:
    config = repo.root / "voiceops.yaml"
    text = config.read_text(encoding="utf-8")
    config.write_text(
        text.replace("  production: {}", "  production:\n    providers: {autocalls-sales: null}")
    )
    repo.intake.write_text(
        repo.intake.read_text(encoding="utf-8") + "environments: {production: false}\n"
    )
    result = repo.run("plan", "--env", "production", "--connection", "autocalls-sales")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no connection is named 'autocalls-sales' in environment 'production'; "
        "voiceops.yaml defines edmo-main\n"
    )
    staged = repo.run("plan", "--env", "staging", "--connection", "autocalls-sales")
    assert staged.exit_code == 0, staged.output


def test_a_plan_file_is_applied_one_connection_at_a_time(repo: Repo) -> None:
    planned = repo.run("plan", "--env", "production", "--out", "all.json")
    assert planned.exit_code == 0, planned.output
    repo.clear()
    first = repo.run(
        "apply", "all.json", "--env", "production", "--connection", "autocalls-sales",
        "--auto-approve",
    )  # fmt: skip
    assert first.exit_code == 0, first.output
    assert vendors(repo) == {"autocalls"}
    assert named(repo.production, "autocalls", "name", "Intake", account=1) != []
    assert named(repo.production, "edmo", "name", "Tutor") == []
    repo.clear()
    second = repo.run(
        "apply", "all.json", "--env", "production", "--connection", "edmo-main", "--auto-approve"
    )
    assert second.exit_code == 0, second.output
    assert vendors(repo) == {"edmo"}
    assert named(repo.production, "edmo", "name", "Tutor") != []


def test_a_plan_file_of_other_connections_applies_nothing(repo: Repo) -> None:
    planned = repo.run(
        "plan", "--env", "production", "--connection", "edmo-main", "--out", "edmo.json"
    )
    assert planned.exit_code == 0, planned.output
    repo.clear()
    result = repo.run(
        "apply", "edmo.json", "--env", "production", "--connection", "autocalls-sales",
        "--auto-approve",
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert vendors(repo) == set()
    assert named(repo.production, "edmo", "name", "Tutor") == []


def test_unmanaged_are_reported_only_for_the_chosen_connections(repo: Repo) -> None:
    config = repo.root / "voiceops.yaml"
    text = config.read_text(encoding="utf-8")
    reporting = "{type: autocalls, report_unmanaged: true,"
    config.write_text(text.replace("{type: autocalls,", reporting), encoding="utf-8")
    everything = repo.run("drift", "--env", "production", "--format", "json")
    assert json.loads(everything.stdout)["unmanaged"] != [], everything.output
    repo.clear()
    result = repo.run(
        "drift", "--env", "production", "--connection", "edmo-main", "--format", "json"
    )
    assert json.loads(result.stdout)["unmanaged"] == [], result.output
    assert vendors(repo) == {"edmo"}

"""Reports about one environment suggest commands for that environment."""

from __future__ import annotations

from voiceops.reconcile.changes import Change
from voiceops.reconcile.plan import AssistantPlan, Plan, Unmanaged
from voiceops.render import markdown, text
from voiceops.render.values import DRIFT


def drifted(environment: str | None) -> Plan:
    changed = AssistantPlan(
        "tutor",
        "edmo-main",
        "edmo",
        "asst_1",
        "assistants/tutor.yaml:3:18",
        changes=[Change(("firstMessage",), "Hello", "Hi!")],
    )
    plan = Plan([changed], managed=1, environment=environment)
    plan.unmanaged = [Unmanaged("edmo-main", "edmo", "asst_2", "Stray")]
    return plan


def test_drift_in_an_environment_names_it_in_every_command() -> None:
    for output in (
        text.render(drifted("staging"), DRIFT),
        markdown.render(drifted("staging"), DRIFT),
    ):
        assert "voiceops import --env staging --provider edmo-main --id asst_1 --force" in output
        assert "voiceops import --env staging --provider edmo-main --id asst_2" in output
        assert "voiceops apply --env staging" in output


def test_without_environments_the_commands_are_as_before() -> None:
    output = text.render(drifted(None), DRIFT)
    assert "voiceops import --provider edmo-main --id asst_1 --force" in output
    assert "--env" not in output

"""The safety threshold: with at least 10 managed assistants, apply refuses to update more
than 30% of them at once unless told `--allow-mass-update`."""

from __future__ import annotations

import json

from tests.conftest import Workspace
from tests.integration.apply_helpers import TERMINAL_INPUT, add_document, updates

THRESHOLD_WORDS = "safety threshold"


def manage_more_assistants(ws: Workspace, count: int) -> None:
    """`count` more Interactly assistants, each already as git describes it."""
    for i in range(count):
        name = f"line-{i}"
        assistant_id = ws.sandbox.add_assistant("interactly", {"name": f"Line {i}"})
        add_document(ws, name, "interactly-prod", assistant_id, {"name": f"Line {i}"})


def test_apply_refuses_a_mass_update(workspace: Workspace) -> None:
    manage_more_assistants(workspace, 6)  # 10 managed, the 4 examples change: 40%

    plan = workspace.run("plan")
    assert plan.exit_code == 0, plan.output
    assert "Warning:" in plan.stdout
    assert THRESHOLD_WORDS in plan.stdout
    assert "4 of 10" in plan.stdout
    as_json = json.loads(workspace.run("plan", "--format", "json").stdout)
    assert any(THRESHOLD_WORDS in w for w in as_json["warnings"])

    refused = workspace.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "--allow-mass-update" in refused.stderr
    assert updates(workspace.sandbox) == []

    allowed = workspace.run("apply", "--auto-approve", "--allow-mass-update")
    assert allowed.exit_code == 0, allowed.output
    assert len(updates(workspace.sandbox)) == 4
    assert "Apply: 4 applied, 6 unchanged" in allowed.stdout


def test_a_saved_plan_is_held_to_the_threshold_too(workspace: Workspace) -> None:
    manage_more_assistants(workspace, 6)
    planfile = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(planfile)).exit_code == 0

    refused = workspace.run("apply", str(planfile))
    assert refused.exit_code == 1
    assert THRESHOLD_WORDS in refused.stderr
    assert updates(workspace.sandbox) == []

    allowed = workspace.run("apply", str(planfile), "--allow-mass-update")
    assert allowed.exit_code == 0, allowed.output
    assert len(updates(workspace.sandbox)) == 4


def test_at_the_threshold_apply_goes_ahead(workspace: Workspace) -> None:
    manage_more_assistants(workspace, 6)
    # Converge one example first: then 3 of 10 change, exactly 30%, which is allowed.
    first = workspace.run("apply", "--auto-approve", "--target", "support-concierge")
    assert first.exit_code == 0, first.output

    plan = workspace.run("plan")
    assert THRESHOLD_WORDS not in plan.output
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output
    assert "Apply: 3 applied, 7 unchanged" in result.stdout


def test_target_does_not_narrow_what_the_share_is_of(workspace: Workspace) -> None:
    manage_more_assistants(workspace, 6)
    targets = [arg for name in ("clinic-intake", "enrollment-assistant", "sales-outreach",
                                "support-concierge") for arg in ("--target", name)]  # fmt: skip
    refused = workspace.run("apply", "--auto-approve", *targets)
    assert refused.exit_code == 1
    assert "4 of 10" in refused.stderr
    assert updates(workspace.sandbox) == []

    three = workspace.run("apply", "--auto-approve", *targets[:6])  # 3 of 10: allowed
    assert three.exit_code == 0, three.output
    assert len(updates(workspace.sandbox)) == 3


def test_below_ten_managed_assistants_there_is_no_threshold(workspace: Workspace) -> None:
    manage_more_assistants(workspace, 5)  # 9 managed, 4 change
    assert THRESHOLD_WORDS not in workspace.run("plan").output
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 0, result.output


def test_refused_before_anyone_is_asked(workspace: Workspace) -> None:
    from click.testing import CliRunner

    from voiceops.cli import main

    manage_more_assistants(workspace, 6)
    args = ["apply", "--config", str(workspace.config)]
    result = CliRunner().invoke(main, args, input="y\n", env=workspace.env, obj=TERMINAL_INPUT)
    assert result.exit_code == 1
    assert "Apply these changes?" not in result.output
    assert THRESHOLD_WORDS in result.output
    assert updates(workspace.sandbox) == []

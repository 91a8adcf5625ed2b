from __future__ import annotations

import json

from tests.conftest import Workspace


def test_plan_then_apply_then_plan_is_empty(workspace: Workspace) -> None:
    first = workspace.run("plan", "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    applied = workspace.run("apply", "--auto-approve")
    assert applied.exit_code == 0, applied.output
    again = workspace.run("plan", "--detailed-exitcode", "--format", "json")
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["summary"]["update"] == 0

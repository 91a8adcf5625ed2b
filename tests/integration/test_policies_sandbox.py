"""Policies against live assistants: import warns, plan refuses like any input error."""

from __future__ import annotations

import yaml

from tests.conftest import Workspace

SHORT_CALLS = {
    "name": "short-calls",
    "description": "sales calls end within five minutes",
    "select": {"vendors": ["autocalls"], "labels": {"team": "sales"}},
    "schema": {"properties": {"max_duration": {"maximum": 300}}},
}


def _add_policy(workspace: Workspace, policy: dict) -> None:
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config.setdefault("policies", []).append(policy)
    workspace.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_plan_shows_policy_errors_and_sends_nothing(workspace: Workspace) -> None:
    _add_policy(workspace, SHORT_CALLS)
    result = workspace.run("plan")
    assert result.exit_code == 1
    assert (
        "sales-outreach breaks policy 'short-calls' (sales calls end within five minutes): "
        "900 is greater than the maximum of 300"
    ) in result.stderr
    assert workspace.sandbox.requests() == []


def test_import_warns_when_an_imported_assistant_breaks_a_policy(workspace: Workspace) -> None:
    _add_policy(workspace, {**SHORT_CALLS, "select": {"vendors": ["autocalls"]}})
    workspace.spec_file("sales-outreach").unlink()  # live is managed from the import on
    result = workspace.run("import", "--provider", "autocalls-sales", "--id", "127")
    assert result.exit_code == 0, result.output
    assert "warning: " in result.stderr
    assert "breaks policy 'short-calls'" in result.stderr

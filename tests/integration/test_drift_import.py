from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from tests.conftest import REPO, Workspace
from voiceops.cli import main
from voiceops.reconcile.changes import Change
from voiceops.reconcile.plan import AssistantPlan, Plan
from voiceops.render import markdown
from voiceops.render.markdown import COMMENT_LIMIT
from voiceops.render.values import DRIFT

EXAMPLES = {
    "clinic-intake": ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b"),
    "enrollment-assistant": ("edmo-main", "asst_123"),
    "support-concierge": ("invent-support", "asst_support"),
    "sales-outreach": ("autocalls-sales", "127"),
}


def test_drift_made_in_a_dashboard_is_reported_and_apply_fixes_it(workspace: Workspace) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    clean = workspace.run("drift")
    assert clean.exit_code == 0, clean.output

    workspace.sandbox.edit("interactly", "5f7b1b1b1b1b1b1b1b1b1b1b", {"idleTimeout": 45})
    drifted = workspace.run("drift")
    assert drifted.exit_code == 2
    assert "idleTimeout" in drifted.stdout
    assert "live 45, git 20" in drifted.stdout
    assert "voiceops import --provider interactly-prod --id 5f7b" in drifted.stdout
    assert "voiceops apply" in drifted.stdout
    assert "voiceops import" in drifted.stdout

    as_json = json.loads(workspace.run("drift", "--format", "json").stdout)
    changed = [a for a in as_json["assistants"] if a["status"] == "drifted"]
    assert as_json["summary"]["drifted"] == 1
    assert [a["name"] for a in changed] == ["clinic-intake"]

    assert workspace.run("apply", "--auto-approve").exit_code == 0
    assert workspace.run("drift").exit_code == 0
    live = workspace.sandbox.assistant("interactly", "5f7b1b1b1b1b1b1b1b1b1b1b")
    assert live["idleTimeout"] == 20


def test_write_only_fields_are_not_drift(workspace: Workspace) -> None:
    # Before any apply, the write-only fields of sales-outreach are pending in the plan ...
    plan = json.loads(workspace.run("plan", "--format", "json").stdout)
    sales = next(a for a in plan["assistants"] if a["name"] == "sales-outreach")
    assert any(c["write_only"] for c in sales["changes"])
    # ... but drift only reports what can be observed.
    drift = json.loads(workspace.run("drift", "--format", "json").stdout)
    sales = next(a for a in drift["assistants"] if a["name"] == "sales-outreach")
    assert not any(c["write_only"] for c in sales["changes"])


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_import_round_trips_to_an_empty_plan(workspace: Workspace, name: str) -> None:
    connection, assistant_id = EXAMPLES[name]
    out = workspace.root / "imported"
    # Start from a repository that manages nothing but the imported assistant.
    for path in (workspace.root / "assistants").glob("*.yaml"):
        path.unlink()
    result = workspace.run(
        "import", "--provider", connection, "--id", assistant_id, "--out", str(out)
    )
    assert result.exit_code == 0, result.output
    (written,) = out.glob("*.yaml")
    text = written.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=")
    document = yaml.safe_load(text)
    assert document["provider"] == connection
    assert str(document["id"]) == assistant_id
    for secret in workspace.sandbox.credentials.values():
        assert secret not in text

    # Point the config at the imported files and give each listed variable its live value.
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config["assistants"] = "imported/"
    workspace.config.write_text(yaml.safe_dump(config), encoding="utf-8")
    env = {}
    stored = workspace.sandbox.assistant(_vendor(connection), assistant_id)
    for line in result.stdout.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].startswith("(") and parts[0].isupper():
            env[parts[0]] = _lookup(stored, parts[1].strip("()"))
    assert workspace.run("validate").exit_code == 0
    plan = workspace.run("plan", "--detailed-exitcode", "--format", "json", env=env)
    assert plan.exit_code == 0, plan.output
    if connection == "autocalls-sales":
        assert "Write-only fields cannot be read" in result.stdout


def test_import_never_overwrites_without_force(workspace: Workspace) -> None:
    args = ("import", "--provider", "edmo-main", "--id", "asst_123")
    first = workspace.run(*args)
    assert first.exit_code == 1
    assert "pass --force" in first.stdout
    forced = workspace.run(*args, "--force")
    assert forced.exit_code == 0, forced.output
    assert workspace.run("validate").exit_code == 0


def test_import_all_needs_a_list_endpoint(workspace: Workspace) -> None:
    result = workspace.run("import", "--provider", "interactly-prod", "--all")
    assert result.exit_code == 1
    assert "--id" in result.output
    assert "Traceback" not in result.output


def test_markdown_drift_report_of_1000_assistants_fits_a_comment() -> None:
    assistants = [
        AssistantPlan(
            name=f"assistant-{i:04d}",
            connection="interactly-prod",
            provider_type="interactly",
            id=f"{i:024x}",
            source=f"assistants/assistant-{i:04d}.yaml:5:9",
            changes=[
                Change(("assistantSystemPrompt",), "old prompt " * 20, "new prompt " * 20),
                Change(("idleTimeout",), 30, 20),
            ],
        )
        for i in range(1000)
    ]
    report = markdown.render(Plan(assistants, managed=1000), DRIFT)
    assert len(report) < COMMENT_LIMIT
    assert "**Truncated:**" in report
    assert "assistant-0000" in report


def _vendor(connection: str) -> str:
    return connection.split("-")[0]


def _lookup(data: dict, dotted: str) -> str:
    value = data
    for part in dotted.split("."):
        value = value[part]
    return str(value)


def test_sandbox_runs_never_touch_the_write_only_record(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    shutil.copytree(REPO / "assistants", root / "assistants")
    shutil.copy(REPO / "voiceops.yaml", root / "voiceops.yaml")
    result = CliRunner().invoke(
        main, ["apply", "--sandbox", "--auto-approve", "--config", str(root / "voiceops.yaml")]
    )
    assert result.exit_code == 0, result.output
    assert "Apply: 4 applied" in result.output
    assert not (root / ".voiceops").exists()

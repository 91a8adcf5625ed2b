"""Whose change is it: git, the vendor's dashboard, or both (three-way comparison)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import yaml

from tests.conftest import Workspace
from tests.integration.apply_helpers import SALES, plan_json, updates

RECORD = ".voiceops/write-only.json"


def _origins(workspace: Workspace) -> dict[str, str | None]:
    planned = plan_json(workspace, "--target", "sales-outreach")
    return {c["path"]: c["origin"] for c in planned["assistants"][0]["changes"]}


def _set_safety(workspace: Workspace, **settings: str) -> None:
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config.setdefault("safety", {}).update(settings)
    workspace.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def test_without_a_record_the_origin_is_unknown(workspace: Workspace) -> None:
    origins = _origins(workspace)
    assert origins
    assert set(origins.values()) == {"unknown"}


def test_an_edit_in_the_dashboard_between_two_applies(workspace: Workspace) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    record_text = (workspace.root / RECORD).read_text()
    record = json.loads(record_text)
    digests = record["applied"]["autocalls-sales/127"]
    assert digests["max_duration"].startswith("sha256:")
    assert list(digests) == sorted(digests)
    assert "Acme Cloud" not in record_text  # digests only, never values
    # No digest of a secret: the record is committed, and a short secret could be guessed.
    clinic = record["applied"]["interactly-prod/5f7b1b1b1b1b1b1b1b1b1b1b"]
    assert "assistantServer.url" in clinic
    assert not any(name.startswith("assistantServer.secret") for name in clinic)

    sb.edit("autocalls", 127, {"max_duration": 300})  # a dashboard edit
    workspace.edit_spec("sales-outreach", reengagement_interval=60)  # a change in git
    assert _origins(workspace) == {
        "max_duration": "dashboard",
        "reengagement_interval": "git",
    }

    text = workspace.run("plan").stdout
    assert "300 -> 900  [origin: dashboard; labels: call-limits]" in text
    assert (
        "Warning: applying this overwrites edits made in the vendor's dashboard: "
        "sales-outreach max_duration"
    ) in text
    markdown = workspace.run("plan", "--format", "markdown").stdout
    head = markdown.split("| to create")[0]
    assert "[!CAUTION]" in head
    assert "**sales-outreach** `max_duration`: live `300`" in head
    assert "reengagement_interval" not in head

    # Drift: the dashboard edit is drift, the change in git is only not applied yet.
    drift = workspace.run("drift", "--format", "json")
    assert drift.exit_code == 2
    entry = next(a for a in json.loads(drift.stdout)["assistants"] if a["name"] == "sales-outreach")
    assert [c["path"] for c in entry["changes"]] == ["max_duration"]
    assert [c["path"] for c in entry["not_applied"]] == ["reengagement_interval"]
    assert "Not applied yet: sales-outreach: reengagement_interval" in workspace.run("drift").stdout

    # Both sides change the same field: apply would overwrite the dashboard's value.
    workspace.edit_spec("sales-outreach", max_duration=1200)
    assert _origins(workspace)["max_duration"] == "both"

    assert workspace.run("apply", "--auto-approve").exit_code == 0
    assert sb.stored(*SALES)["max_duration"] == 1200
    assert plan_json(workspace)["summary"]["update"] == 0


def test_only_git_changed_leaves_no_drift(workspace: Workspace) -> None:
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    workspace.edit_spec("sales-outreach", max_duration=600)
    assert _origins(workspace) == {"max_duration": "git"}
    drift = workspace.run("drift")
    assert drift.exit_code == 0, drift.output
    assert "Not applied yet: sales-outreach: max_duration" in drift.stdout


def test_refuse_skips_assistants_with_dashboard_edits(workspace: Workspace) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    _set_safety(workspace, dashboard_edits="refuse")
    sb.edit("autocalls", 127, {"max_duration": 300})
    sb.clear_requests()

    refused = workspace.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "skipped" in refused.output
    assert "max_duration were edited in the dashboard" in refused.output
    assert updates(sb) == []
    assert sb.stored(*SALES)["max_duration"] == 300

    forced = workspace.run("apply", "--auto-approve", "--overwrite-dashboard-edits")
    assert forced.exit_code == 0, forced.output
    assert sb.stored(*SALES)["max_duration"] == 900


def test_a_saved_plan_carries_origins_and_labels_and_apply_checks_them(
    workspace: Workspace,
) -> None:
    sb = workspace.sandbox
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    sb.edit("autocalls", 127, {"max_duration": 300})
    saved = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(saved)).exit_code in (0, 2)
    data = json.loads(saved.read_text())
    assert data["format_version"] == 4
    entry = next(a for a in data["assistants"] if a["name"] == "sales-outreach")
    change = entry["changes"][0]
    assert change["origin"] == "dashboard"
    assert "call-limits" in change["labels"]
    assert "call-limits" in entry["labels"]

    # A plan file edited to hide the dashboard edit is refused as stale.
    change["origin"] = "git"
    saved.write_text(json.dumps(data))
    result = workspace.run("apply", str(saved))
    assert result.exit_code == 1
    assert "origins or risk labels" in result.output
    assert sb.stored(*SALES)["max_duration"] == 300

    change["origin"] = "dashboard"
    saved.write_text(json.dumps(data))
    assert workspace.run("apply", str(saved)).exit_code == 0
    assert sb.stored(*SALES)["max_duration"] == 900


GUARD_S = 300.0  # only against a hung process


def _voiceops(workspace: Workspace, *args: str) -> subprocess.CompletedProcess[str]:
    """`voiceops` as its own process, against the workspace's sandbox."""
    command, *rest = args
    result = subprocess.run(
        [sys.executable, "-m", "voiceops", command, "--config", str(workspace.config), *rest],
        cwd=workspace.root,
        env={**os.environ, **workspace.env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=GUARD_S,
        check=False,
    )
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    return result


def test_separate_processes_keep_the_record_between_runs(workspace: Workspace) -> None:
    sb = workspace.sandbox
    _set_safety(workspace, dashboard_edits="refuse")
    assert _voiceops(workspace, "apply", "--auto-approve").returncode == 0
    sb.edit("autocalls", 127, {"max_duration": 300})

    saved = workspace.root / "reviewed.json"
    planned = _voiceops(workspace, "plan", "--out", str(saved), "--format", "markdown")
    assert planned.returncode in (0, 2), planned.stderr
    assert "**sales-outreach** `max_duration`: live `300`" in planned.stdout
    entries = json.loads(saved.read_text())["assistants"]
    change = next(a for a in entries if a["name"] == "sales-outreach")["changes"][0]
    assert (change["path"], change["origin"], change["labels"]) == (
        "max_duration",
        "dashboard",
        ["call-limits"],
    )

    skipped = _voiceops(workspace, "apply", str(saved))
    assert skipped.returncode == 1
    assert "skipped" in skipped.stdout + skipped.stderr
    assert sb.stored(*SALES)["max_duration"] == 300
    applied = _voiceops(workspace, "apply", str(saved), "--overwrite-dashboard-edits")
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert sb.stored(*SALES)["max_duration"] == 900

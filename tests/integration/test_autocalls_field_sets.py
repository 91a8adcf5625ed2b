"""Autocalls' two field sets, end to end: the real `voiceops` command against the served
sandbox, whose stand-in takes one set (like the API, it ignores the other set's keys)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import Workspace, example_repository
from voiceops.sandbox import Sandbox, SandboxOptions

SALES = ("autocalls", 127)
LEGACY_SALES = {
    "assistant_name": "Sales Outreach",
    "calls_direction": "make",
    "max_call_duration": 900,
    "record_call": True,
    "filler_audios": True,
    "re_engagement_interval": 45,
    "llm_temperature": 0.4,
    "who_speaks_first": "AI assistant",
}


@pytest.fixture(params=["current", "legacy"])
def stand_in_fields(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def served(stand_in_fields: str) -> Iterator[Sandbox]:
    sb = Sandbox(SandboxOptions(seed=1, autocalls_fields=stand_in_fields))
    with sb.serve(port=0):
        yield sb


def repository(root: Path, sb: Sandbox, fields: str) -> Path:
    """The example repository against `sb`, its Autocalls connection and document in `fields`."""
    example_repository(root, lambda vendor: sb.base_urls[vendor])
    config_path = root / "voiceops.yaml"
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    if fields == "legacy":
        config["providers"]["autocalls-sales"]["fields"] = "legacy"
        config_path.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
        path = root / "assistants" / "sales-outreach.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["spec"] = LEGACY_SALES
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return root


def voiceops(root: Path, sb: Sandbox, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command in a process of its own, with the sandbox's credentials."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEOPS")}
    env.update(sb.credentials)
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("connection_fields", ["current", "legacy"])
def test_a_set_the_account_does_not_speak_is_not_converged(
    tmp_path: Path, served: Sandbox, stand_in_fields: str, connection_fields: str
) -> None:
    root = repository(tmp_path / "repo", served, connection_fields)
    before = served.stored(*SALES)

    result = voiceops(root, served, "apply", "--auto-approve", "--target", "sales-outreach")

    if connection_fields == stand_in_fields:
        assert result.returncode == 0, result.stdout + result.stderr
        assert "1 applied" in result.stdout
        assert served.stored(*SALES)["max_duration"] == 900
        again = voiceops(root, served, "plan", "--detailed-exitcode", "--target", "sales-outreach")
        assert again.returncode == 0, again.stdout + again.stderr
        return
    # The update answers 200 and changes nothing: the read-back says so.
    assert result.returncode == 1, result.stdout + result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("  not converged"))
    assert "sales-outreach" in line
    assert "max_duration" in line or "max_call_duration" in line
    assert "0 applied" in result.stdout
    assert "Traceback" not in result.stderr
    assert served.stored(*SALES) == before


def test_a_legacy_connection_sends_the_end_call_tool_nested(tmp_path: Path) -> None:
    sb = Sandbox(SandboxOptions(seed=1, autocalls_fields="legacy"))
    with sb.serve(port=0):
        root = repository(tmp_path / "repo", sb, "legacy")
        path = root / "assistants" / "sales-outreach.yaml"
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        document["spec"]["end_call_tool.description"] = "Hang up once a demo is booked."
        path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")

        result = voiceops(root, sb, "apply", "--auto-approve", "--target", "sales-outreach")

        assert result.returncode == 0, result.stdout + result.stderr
        [update] = [r for r in sb.requests("autocalls", "PUT")]
        assert update.body["end_call_tool"] == {"description": "Hang up once a demo is booked."}
        assert "end_call_tool.description" not in update.body
        assert sb.stored(*SALES)["end_call_tool"] == {
            "description": "Hang up once a demo is booked."
        }
        assert (
            voiceops(
                root, sb, "plan", "--detailed-exitcode", "--target", "sales-outreach"
            ).returncode
            == 0
        )


def test_import_writes_the_connections_set(tmp_path: Path) -> None:
    sb = Sandbox(SandboxOptions(seed=1, autocalls_fields="legacy"))
    with sb.serve(port=0):
        root = repository(tmp_path / "repo", sb, "legacy")
        out = root / "imported"
        result = voiceops(
            root, sb, "import", "--provider", "autocalls-sales", "--id", "129", "--out", str(out)
        )
        assert result.returncode == 0, result.stdout + result.stderr
        [written] = out.glob("*.yaml")
        spec = yaml.safe_load(written.read_text(encoding="utf-8"))["spec"]
        assert spec["assistant_name"] == "Inbound Reception"
        assert spec["calls_direction"] == "receive"
        assert spec["max_call_duration"] == 1200
        assert spec["engine_type"] == "pipeline"
        assert "name" not in spec
        assert "language_id" not in spec
        assert voiceops(root, sb, "validate").returncode == 0


def test_a_calendar_key_never_reaches_outputs_or_imported_files(
    workspace: Workspace, tmp_path: Path
) -> None:
    key = "cal_live_0123456789abcdef"
    calendar = {"type": "calendar_integration", "calcom_api_key": key, "calcom_event_slug": "demo"}
    workspace.sandbox.edit("autocalls", 128, {"tools": [calendar]})
    out = tmp_path / "imported"

    imported = workspace.run(
        "import", "--provider", "autocalls-sales", "--id", "128", "--out", str(out)
    )
    plan = workspace.run("plan", "--format", "json")

    assert imported.exit_code == 0, imported.output
    [written] = out.glob("*.yaml")
    text = written.read_text(encoding="utf-8")
    assert key not in text
    tools = yaml.safe_load(text)["spec"]["tools"]
    assert tools[0]["calcom_api_key"].startswith("${env:")
    assert key not in imported.output
    assert key not in plan.output


def test_a_wrong_set_names_the_setting_and_records_no_write_only_value(tmp_path: Path) -> None:
    sb = Sandbox(SandboxOptions(seed=1, autocalls_fields="legacy"))
    with sb.serve(port=0):
        root = repository(tmp_path / "repo", sb, "current")
        result = voiceops(root, sb, "apply", "--auto-approve", "--target", "sales-outreach")
        assert result.returncode == 1
        assert "set fields: legacy on connection 'autocalls-sales'" in result.stdout
        record = root / ".voiceops" / "write-only.json"
        recorded = record.read_text(encoding="utf-8") if record.exists() else ""
        assert "tts_emotion_enabled" not in recorded
        # The next plan still offers the write-only values the vendor may have ignored.
        again = voiceops(root, sb, "plan", "--target", "sales-outreach")
        assert "tts_emotion_enabled" in again.stdout


def test_a_legacy_account_matches_the_legacy_model(tmp_path: Path) -> None:
    # The list shows the current set's fields to every account: under a legacy connection
    # they are the list's own, neither unknown keys nor drift.
    sb = Sandbox(SandboxOptions(seed=1, autocalls_fields="legacy"))
    with sb.serve(port=0):
        root = repository(tmp_path / "repo", sb, "legacy")
        assert voiceops(root, sb, "apply", "--auto-approve").returncode == 0
        doctor = voiceops(root, sb, "doctor", "--connection", "autocalls-sales")
        assert doctor.returncode == 0, doctor.stdout + doctor.stderr
        plan = voiceops(root, sb, "plan", "--detailed-exitcode")
        assert plan.returncode == 0, plan.stdout + plan.stderr
        assert "voiceops doctor" not in plan.stdout + plan.stderr


def test_the_embedded_sandbox_speaks_the_connections_set(tmp_path: Path) -> None:
    sb = Sandbox(SandboxOptions(seed=1))
    with sb.serve(port=0):  # only for the repository's base URLs: --sandbox serves its own
        root = repository(tmp_path / "repo", sb, "legacy")
    command = ("apply", "--sandbox", "--auto-approve", "--target", "sales-outreach")
    result = voiceops(root, sb, *command)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 applied" in result.stdout

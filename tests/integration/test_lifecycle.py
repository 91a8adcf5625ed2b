"""The assistant lifecycle end to end over HTTP: create, adopt and delete, with the new id
written back into the user's file and nothing else in it changed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    Intercept,
    api_apply,
    outcomes,
    plan_json,
    result_of,
)
from tests.leaks import encodings
from voiceops.reconcile.apply import Outcome

HEADER = "# yaml-language-server: $schema=../schemas/assistant.schema.json\n"

# vendor -> (connection, document name, spec as YAML text, the name the vendor shows)
NEW = {
    "edmo": (
        "edmo-main",
        "tutor-fr",
        "  name: 'Tutor FR'   # shown to callers\n"
        "  firstMessage: Bonjour !\n"
        "  model: {provider: openai, model: gpt-4o}\n",
        "Tutor FR",
    ),
    "invent": (
        "invent-support",
        "desk-fr",
        '  name: "Desk FR"\n\n  enabled: true\n',
        "Desk FR",
    ),
    "autocalls": (
        "autocalls-sales",
        "intake-es",
        "  name: Intake ES\n"
        "  voice_id: 12\n"
        "  language_id: 2\n"
        "  type: inbound\n"
        "  mode: multimodal\n"
        "  multimodal_model_id: 1\n"
        "  timezone: Europe/Madrid\n"
        "  initial_message: Hola, ¿en qué puedo ayudarle?\n"
        "  system_prompt: |\n"
        "    Take the caller's details.\n",
        "Intake ES",
    ),
}
CREATE_PATHS = {
    "edmo": "/assistants",
    "invent": "/orgs/c/assistants",
    "autocalls": "/user/assistant",
}
NAME_KEY = {"edmo": "name", "invent": "name", "autocalls": "name"}


def new_document(ws: Workspace, vendor: str) -> tuple[Path, str]:
    """Write the vendor's new document (no id) into the workspace."""
    return write_new(ws.root / "assistants" / f"{NEW[vendor][1]}.yaml", vendor)


def write_new(path: Path, vendor: str) -> tuple[Path, str]:
    connection, name, spec, _ = NEW[vendor]
    text = (
        HEADER + "apiVersion: voiceops/v1\nkind: Assistant\n"
        f"metadata:\n  name: {name}  # new\nprovider: {connection}\nspec:\n{spec}"
    )
    path.write_text(text, encoding="utf-8")
    return path, text


def run_voiceops(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("VOICEOPS")}
    return subprocess.run(
        [sys.executable, "-m", "voiceops", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def live_named(ws: Workspace, vendor: str, shown: str) -> list[dict[str, Any]]:
    return [a for a in ws.sandbox.assistants(vendor) if a.get(NAME_KEY[vendor]) == shown]


def with_id(text: str, connection: str, new_id: str) -> str:
    line = f"provider: {connection}\n"
    return text.replace(line, f'{line}id: "{new_id}"\n', 1)


@pytest.mark.parametrize("vendor", sorted(NEW))
def test_create_writes_the_id_back_and_converges(workspace: Workspace, vendor: str) -> None:
    connection, name, _, shown = NEW[vendor]
    path, original = new_document(workspace, vendor)
    plan = plan_json(workspace)
    entry = next(a for a in plan["assistants"] if a["name"] == name)
    assert entry["status"] == "create"
    assert entry["id"] is None
    assert entry["request"]["method"] == "POST"
    assert entry["request"]["path"] == CREATE_PATHS[vendor]
    assert plan["summary"]["create"] == 1

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", "--auto-approve", "--target", name)
    assert result.exit_code == 0, result.output
    creates = [r for r in workspace.sandbox.requests(vendor) if r.method == "POST"]
    creates = [r for r in creates if r.path == CREATE_PATHS[vendor]]
    assert len(creates) == 1
    body = creates[0].body
    spec = next(a for a in plan["assistants"] if a["name"] == name)["request"]["body"]
    assert body == spec  # the whole spec, as planned

    [created] = live_named(workspace, vendor, shown)
    new_id = str(created["id"])
    assert path.read_text(encoding="utf-8") == with_id(original, connection, new_id)
    assert f"id {new_id} written into" in result.output

    again = workspace.run("plan", "--detailed-exitcode", "--target", name)
    assert again.exit_code == 0, again.output


@pytest.mark.parametrize("vendor", ["invent", "autocalls"])
def test_an_unmanaged_namesake_is_adopted_not_created_again(
    workspace: Workspace, vendor: str
) -> None:
    connection, name, _, shown = NEW[vendor]
    path, original = new_document(workspace, vendor)
    record = {"name": shown}
    existing = workspace.sandbox.add_assistant(vendor, record)
    plan = plan_json(workspace)
    entry = next(a for a in plan["assistants"] if a["name"] == name)
    assert entry["status"] == "adopt"
    assert entry["id"] == existing
    text = workspace.run("plan", "--target", name).output
    assert existing in text

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", "--auto-approve", "--target", name)
    assert result.exit_code == 0, result.output
    assert not [r for r in workspace.sandbox.requests(vendor) if r.method == "POST"]
    assert len(live_named(workspace, vendor, shown)) == 1
    assert path.read_text(encoding="utf-8") == with_id(original, connection, existing)
    assert workspace.run("plan", "--detailed-exitcode").exit_code in (0, 2)
    assert workspace.run("plan", "--detailed-exitcode", "--target", name).exit_code == 0


DELETABLE = {"edmo": ("enrollment-assistant", "asst_123"), "autocalls": ("sales-outreach", "127")}


@pytest.mark.parametrize("vendor", sorted(DELETABLE))
def test_ensure_absent_deletes_and_a_gone_assistant_is_converged(
    workspace: Workspace, vendor: str
) -> None:
    name, assistant_id = DELETABLE[vendor]
    path = workspace.spec_file(name)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1), encoding="utf-8")
    plan = plan_json(workspace)
    entry = next(a for a in plan["assistants"] if a["name"] == name)
    assert entry["status"] == "delete"
    assert entry["request"]["method"] == "DELETE"
    assert plan["summary"]["delete"] == 1

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", "--auto-approve", "--target", name)
    assert result.exit_code == 0, result.output
    deletes = [r for r in workspace.sandbox.requests(vendor) if r.method == "DELETE"]
    assert len(deletes) == 1
    assert all(str(a["id"]) != assistant_id for a in workspace.sandbox.assistants(vendor))
    after = workspace.run("plan", "--detailed-exitcode", "--target", name)
    assert after.exit_code == 0, after.output


def test_deletes_count_toward_the_safety_threshold(workspace: Workspace) -> None:
    for name, _ in DELETABLE.values():
        path = workspace.spec_file(name)
        text = path.read_text(encoding="utf-8")
        path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1))
    config = workspace.config.read_text(encoding="utf-8")
    workspace.config.write_text(config + "safety: {max_update_share: 0.3, min_managed: 1}\n")
    plan = plan_json(workspace)
    assert any("safety threshold" in w for w in plan["warnings"])
    refused = workspace.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "--allow-mass-update" in refused.output
    assert not [r for r in workspace.sandbox.requests() if r.method == "DELETE"]


def test_invent_creates_beyond_the_hourly_limit_are_deferred(workspace: Workspace) -> None:
    for n in range(12):
        path = workspace.root / "assistants" / f"desk-{n}.yaml"
        path.write_text(
            "apiVersion: voiceops/v1\nkind: Assistant\n"
            f"metadata: {{name: desk-{n}}}\nprovider: invent-support\nspec: {{name: Desk {n}}}\n"
        )
    plan = plan_json(workspace)
    assert plan["summary"]["create"] == 12
    assert any("allows 10 creates an hour" in w for w in plan["warnings"])

    report = api_apply(workspace)
    states = outcomes(report)
    created = [n for n, o in states.items() if o is Outcome.CREATED]
    deferred = [n for n, o in states.items() if o is Outcome.DEFERRED]
    assert len(created) == 10
    assert len(deferred) == 2
    assert not report.ok
    unsent = result_of(report, deferred[0]).detail
    assert unsent.startswith("not sent: Invent allows 10 creates an hour, so it was not created")
    assert "the next create is possible in about" in unsent
    names = {a["name"] for a in workspace.sandbox.assistants("invent")}
    assert sum(1 for n in range(12) if f"Desk {n}" in names) == 10

    # Within the hour the vendor refuses the next create, and says until when.
    again = api_apply(workspace)
    refused = [result_of(again, n).detail for n in deferred]
    for detail in refused:
        assert "answered 429" in detail
        assert "not sent" not in detail
        minutes = re.search(r"the next create is possible in about (\d+) min", detail)
        assert minutes is not None, detail
        assert 1 <= int(minutes.group(1)) <= 60


def test_report_unmanaged_lists_the_rest_and_drift_exits_2(workspace: Workspace) -> None:
    config = workspace.config.read_text(encoding="utf-8")
    config = config.replace("type: invent\n", "type: invent\n    report_unmanaged: true\n", 1)
    workspace.config.write_text(config, encoding="utf-8")
    stray = workspace.sandbox.add_assistant("invent", {"name": "Made by hand"})
    plan = plan_json(workspace)
    listed = [u for u in plan["unmanaged"] if u["connection"] == "invent-support"]
    assert {"id": stray, "name": "Made by hand"}.items() <= next(
        u for u in listed if u["id"] == stray
    ).items()
    text = workspace.run("plan").output
    assert f"voiceops import --provider invent-support --id {stray}" in text
    drift = workspace.run("drift")
    assert drift.exit_code == 2, drift.output


def timed_out_after_landing(request: httpx.Request) -> bool:
    return request.method == "POST" and request.url.path.endswith(
        ("/edmo/assistants", "/autocalls/user/assistant")
    )


async def lose_the_answer(request: httpx.Request, send: Callable[..., Any]) -> httpx.Response:
    """The vendor carries out the create, but its answer never arrives."""
    response = await send(request)
    await response.aread()
    raise httpx.ReadTimeout("the answer never came", request=request)


def test_an_edmo_create_of_unknown_outcome_is_never_sent_again(workspace: Workspace) -> None:
    path, _ = new_document(workspace, "edmo")
    report = api_apply(workspace, transport=Intercept(timed_out_after_landing, lose_the_answer))
    assert outcomes(report)["tutor-fr"] is Outcome.UNCERTAIN
    assert "refuses this document until you check" in result_of(report, "tutor-fr").detail
    assert "noted it in .voiceops/pending-creates.json" in result_of(report, "tutor-fr").detail
    assert len(live_named(workspace, "edmo", "Tutor FR")) == 1
    record = json.loads((workspace.root / ".voiceops" / "pending-creates.json").read_text())
    assert list(record["pending"]) == ["edmo-main/tutor-fr"]

    workspace.sandbox.clear_requests()
    refused = workspace.run("apply", "--auto-approve")
    assert refused.exit_code == 1
    assert "check the Edmo dashboard for an assistant named 'Tutor FR'" in refused.output
    assert not [
        r
        for r in workspace.sandbox.requests("edmo")
        if r.method == "POST" and r.path == "/assistants"
    ]
    assert len(live_named(workspace, "edmo", "Tutor FR")) == 1

    # The user finds it in the dashboard and writes its id in: the note is done with.
    [created] = live_named(workspace, "edmo", "Tutor FR")
    text = path.read_text(encoding="utf-8")
    path.write_text(with_id(text, "edmo-main", created["id"]), encoding="utf-8")
    assert workspace.run("apply", "--auto-approve").exit_code == 0
    # Nothing pending any more: the record is gone rather than left empty.
    assert not (workspace.root / ".voiceops" / "pending-creates.json").exists()


def test_a_listed_vendor_adopts_what_an_unknown_create_left(workspace: Workspace) -> None:
    path, original = new_document(workspace, "autocalls")
    report = api_apply(workspace, transport=Intercept(timed_out_after_landing, lose_the_answer))
    assert outcomes(report)["intake-es"] is Outcome.UNCERTAIN
    assert "adopts it" in result_of(report, "intake-es").detail
    [created] = live_named(workspace, "autocalls", "Intake ES")

    again = api_apply(workspace)
    assert outcomes(again)["intake-es"] is Outcome.ADOPTED
    assert len(live_named(workspace, "autocalls", "Intake ES")) == 1
    assert path.read_text(encoding="utf-8") == with_id(
        original, "autocalls-sales", str(created["id"])
    )


def test_sandbox_runs_never_write_into_the_users_files(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    assert run_voiceops("init", str(repo)).returncode == 0
    path, original = write_new(repo / "assistants" / "intake-es.yaml", "autocalls")
    applied = run_voiceops("apply", "--sandbox", "--auto-approve", cwd=repo)
    assert applied.returncode == 0, applied.stderr
    assert "--sandbox runs never change" in applied.stdout
    assert path.read_text(encoding="utf-8") == original
    assert not (repo / ".voiceops").exists()


def test_a_plan_file_cannot_point_an_adopt_at_a_managed_assistant(workspace: Workspace) -> None:
    path, original = new_document(workspace, "invent")
    workspace.sandbox.add_assistant("invent", {"name": "Desk FR"})
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    entry = next(a for a in data["assistants"] if a["name"] == "desk-fr")
    assert entry["status"] == "adopt"
    entry["id"] = "asst_support"  # managed by support-concierge
    plan_file.write_text(json.dumps(data), encoding="utf-8")

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", "desk-fr")
    assert result.exit_code == 1
    assert "not an unmanaged namesake" in result.output
    assert not [r for r in workspace.sandbox.requests("invent") if r.method in ("PATCH", "POST")]
    assert path.read_text(encoding="utf-8") == original


def test_a_saved_create_is_stale_once_a_namesake_appears(workspace: Workspace) -> None:
    path, original = new_document(workspace, "autocalls")
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    workspace.sandbox.add_assistant("autocalls", {"name": "Intake ES"})
    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", "intake-es")
    assert result.exit_code == 1
    assert "appeared since the plan was made" in result.output
    assert not [r for r in workspace.sandbox.requests("autocalls") if r.method == "POST"]
    assert path.read_text(encoding="utf-8") == original


def test_a_plan_file_with_a_failed_create_still_applies_the_rest(workspace: Workspace) -> None:
    new_document(workspace, "invent")
    twin = workspace.root / "assistants" / "desk-fr2.yaml"
    write_new(twin, "invent")
    twin.write_text(twin.read_text().replace("name: desk-fr ", "name: desk-fr2 "))
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 1  # the plan has an error
    saved = json.loads(plan_file.read_text(encoding="utf-8"))
    entry = next(a for a in saved["assistants"] if a["name"] == "desk-fr2")
    assert (entry["status"], entry["id"]) == ("error", None)

    result = workspace.run("apply", str(plan_file))
    assert result.exit_code == 1
    assert "not a valid voiceops plan file" not in result.output
    assert "applied        support-concierge" in result.output
    assert "failed         desk-fr2: " in result.output


def test_a_secret_in_a_new_assistants_name_stays_out_of_every_output(
    workspace: Workspace,
) -> None:
    secret = "Tutor 'FR' \\ sekrit/+%7"
    env = {"TUTOR_NAME": secret}
    path, _ = new_document(workspace, "edmo")
    path.write_text(path.read_text().replace("'Tutor FR'", "${env:TUTOR_NAME}"))
    plan_file = workspace.root / "plan.json"
    planned = workspace.run("plan", "--out", str(plan_file), env=env)
    assert planned.exit_code == 0, planned.output
    report = api_apply(
        workspace,
        planfile=plan_file,
        env=env,
        transport=Intercept(timed_out_after_landing, lose_the_answer),
    )
    assert outcomes(report)["tutor-fr"] is Outcome.UNCERTAIN
    refused = workspace.run("apply", "--auto-approve", env=env)
    assert "check the Edmo dashboard for an assistant named 'tutor-fr'" in refused.output
    record = workspace.root / ".voiceops" / "pending-creates.json"
    channels = {
        "plan output": planned.output,
        "plan file": plan_file.read_text(encoding="utf-8"),
        "apply report": repr(report),
        "refusal": refused.output,
        "pending record": record.read_text(encoding="utf-8"),
    }
    for where, text in channels.items():
        for form in encodings(secret):
            assert form not in text, f"the name leaked as {form!r} into {where}"


def test_a_namesake_whose_id_is_unlike_the_vendors_is_neither_adopted_nor_duplicated(
    workspace: Workspace,
) -> None:
    path, original = new_document(workspace, "invent")
    workspace.sandbox.add_assistant("invent", {"id": "x y/../z", "name": "Desk FR"})
    planned = workspace.run("plan", "--format", "json", "--target", "desk-fr")
    assert planned.exit_code == 1
    [entry] = json.loads(planned.stdout)["assistants"]
    assert entry["status"] == "error"
    assert "unlike invent ids" in entry["error"]

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", "--auto-approve", "--target", "desk-fr")
    assert result.exit_code == 1
    assert not [r for r in workspace.sandbox.requests("invent") if r.method in ("PATCH", "POST")]
    assert path.read_text(encoding="utf-8") == original
    assert workspace.run("validate").exit_code == 0


def test_a_saved_adopt_is_stale_once_a_second_namesake_appears(workspace: Workspace) -> None:
    path, original = new_document(workspace, "invent")
    workspace.sandbox.add_assistant("invent", {"name": "Desk FR", "enabled": False})
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    workspace.sandbox.add_assistant("invent", {"name": "Desk FR"})

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", "desk-fr")
    assert result.exit_code == 1
    assert "not its one unmanaged namesake" in result.output
    assert not [r for r in workspace.sandbox.requests("invent") if r.method in ("PATCH", "POST")]
    assert path.read_text(encoding="utf-8") == original


async def html_not_found(request: httpx.Request, send: Callable[..., Any]) -> httpx.Response:
    """A proxy in front of the vendor answers the delete itself, without passing it on."""
    return httpx.Response(404, text="<html><body>Not Found</body></html>", request=request)


def test_a_delete_answered_404_while_the_assistant_is_still_there_is_not_deleted(
    workspace: Workspace,
) -> None:
    name, assistant_id = DELETABLE["edmo"]
    path = workspace.spec_file(name)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1), encoding="utf-8")
    intercept = Intercept(lambda r: r.method == "DELETE", html_not_found)
    report = api_apply(workspace, transport=intercept, targets=(name,))
    assert outcomes(report)[name] is Outcome.NOT_CONVERGED
    assert "still has it" in result_of(report, name).detail
    assert any(str(a["id"]) == assistant_id for a in workspace.sandbox.assistants("edmo"))


def test_a_plan_file_cannot_turn_a_create_into_an_adopt_where_the_vendor_lists_nothing(
    workspace: Workspace,
) -> None:
    path, original = new_document(workspace, "edmo")
    twin = {"name": "Tutor FR", "firstMessage": "Bonjour !"}
    other = workspace.sandbox.add_assistant(
        "edmo", {**twin, "model": {"provider": "openai", "model": "gpt-4o"}}
    )
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    entry = next(a for a in data["assistants"] if a["name"] == "tutor-fr")
    assert entry["status"] == "create"
    entry.update(status="adopt", id=other, request=None)
    plan_file.write_text(json.dumps(data), encoding="utf-8")

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", "tutor-fr")
    assert result.exit_code == 1
    assert "would now create it, not adopt it" in result.output
    writes = [r for r in workspace.sandbox.requests("edmo") if r.path != "/auth/login"]
    assert not [r for r in writes if r.method in ("PATCH", "POST")]
    assert path.read_text(encoding="utf-8") == original


async def answer_with_a_managed_id(
    request: httpx.Request, send: Callable[..., Any]
) -> httpx.Response:
    """The vendor creates the assistant, but its answer names one that already existed."""
    response = await send(request)
    await response.aread()
    body = {"message": "created", "data": {"id": 127, "name": "Intake ES"}}
    return httpx.Response(201, json=body, request=request)


def test_a_create_answered_with_the_id_of_a_managed_assistant_writes_nothing(
    workspace: Workspace,
) -> None:
    path, original = new_document(workspace, "autocalls")
    assert workspace.run("apply", "--auto-approve", "--target", "sales-outreach").exit_code == 0
    record = workspace.root / ".voiceops" / "write-only.json"
    before = record.read_text(encoding="utf-8")
    intercept = Intercept(lambda r: r.method == "POST", answer_with_a_managed_id)
    report = api_apply(workspace, transport=intercept, targets=("intake-es",))
    assert outcomes(report)["intake-es"] is Outcome.UNCERTAIN
    assert "a document manages already" in result_of(report, "intake-es").detail
    assert path.read_text(encoding="utf-8") == original
    assert record.read_text(encoding="utf-8") == before
    # The note keeps the next apply from creating another until someone checks.
    [created] = live_named(workspace, "autocalls", "Intake ES")
    refused = workspace.run("apply", "--auto-approve", "--target", "intake-es")
    assert refused.exit_code == 1
    assert "did not trust its answer" in refused.output
    assert len(live_named(workspace, "autocalls", "Intake ES")) == 1
    # Checked: the entry removed, what landed is found by its name and adopted.
    (workspace.root / ".voiceops" / "pending-creates.json").unlink()
    assert outcomes(api_apply(workspace, targets=("intake-es",)))["intake-es"] is Outcome.ADOPTED
    assert path.read_text(encoding="utf-8") == with_id(
        original, "autocalls-sales", str(created["id"])
    )


def _pointed_elsewhere(entry: dict[str, Any]) -> None:
    entry["request"]["path"] = entry["request"]["path"].replace("asst_123", "asst_other9")


def _relabelled(entry: dict[str, Any]) -> None:
    entry["status"] = "update"


def _other_id(entry: dict[str, Any]) -> None:
    entry["id"] = "asst_other9"


@pytest.mark.parametrize("edit", [_pointed_elsewhere, _relabelled, _other_id])
def test_an_edited_delete_in_a_plan_file_is_stale(
    workspace: Workspace, edit: Callable[[dict[str, Any]], None]
) -> None:
    other = workspace.sandbox.add_assistant("edmo", {"id": "asst_other9", "name": "Other"})
    name, _ = DELETABLE["edmo"]
    path = workspace.spec_file(name)
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("\nspec:\n", "\nensure: absent\nspec:\n", 1), encoding="utf-8")
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    edit(next(a for a in data["assistants"] if a["name"] == name))
    plan_file.write_text(json.dumps(data), encoding="utf-8")

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", name)
    assert result.exit_code == 1
    assert "stale" in result.output
    assert not [r for r in workspace.sandbox.requests("edmo") if r.method == "DELETE"]
    assert {a["id"] for a in workspace.sandbox.assistants("edmo")} >= {other, "asst_123"}


def test_a_plan_file_cannot_turn_an_update_into_a_delete(workspace: Workspace) -> None:
    name, _ = DELETABLE["edmo"]
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    data = json.loads(plan_file.read_text(encoding="utf-8"))
    entry = next(a for a in data["assistants"] if a["name"] == name)
    entry.update(status="delete", request={"method": "DELETE", "path": "/assistants/asst_123"})
    entry["request"]["body"] = None
    plan_file.write_text(json.dumps(data), encoding="utf-8")

    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(plan_file), "--target", name)
    assert result.exit_code == 1
    assert "stale" in result.output
    assert not [r for r in workspace.sandbox.requests("edmo") if r.method == "DELETE"]


def test_two_creates_answered_with_one_id_write_it_into_one_document_only(
    workspace: Workspace,
) -> None:
    first, _ = new_document(workspace, "autocalls")
    second, _ = write_new(workspace.root / "assistants" / "intake-pt.yaml", "autocalls")
    text = second.read_text(encoding="utf-8")
    second.write_text(
        text.replace("intake-es", "intake-pt").replace("Intake ES", "Intake PT"), encoding="utf-8"
    )
    given: list[object] = []

    async def same_id_twice(request: httpx.Request, send: Callable[..., Any]) -> httpx.Response:
        response = await send(request)
        body = json.loads(await response.aread())
        given.append(given[0] if given else body["data"]["id"])
        body["data"]["id"] = given[-1]
        return httpx.Response(201, json=body, request=request)

    intercept = Intercept(lambda r: r.method == "POST", same_id_twice, times=2)
    report = api_apply(workspace, transport=intercept, targets=("intake-es", "intake-pt"))
    assert sorted(r.outcome.value for r in report.results) == ["created", "uncertain"]
    written = [p for p in (first, second) if f'id: "{given[0]}"' in p.read_text(encoding="utf-8")]
    assert len(written) == 1
    assert workspace.run("validate").exit_code == 0


def test_a_namesake_awaited_by_an_untargeted_document_is_not_offered_for_import(
    workspace: Workspace,
) -> None:
    config = workspace.config.read_text(encoding="utf-8")
    config = config.replace("type: invent\n", "type: invent\n    report_unmanaged: true\n", 1)
    workspace.config.write_text(config, encoding="utf-8")
    new_document(workspace, "invent")
    namesake = workspace.sandbox.add_assistant("invent", {"name": "Desk FR"})
    targeted = plan_json(workspace, "--target", "support-concierge")
    assert namesake not in {u["id"] for u in targeted["unmanaged"]}
    whole = plan_json(workspace)
    assert namesake not in {u["id"] for u in whole["unmanaged"]}
    assert next(a for a in whole["assistants"] if a["name"] == "desk-fr")["id"] == namesake


def test_two_new_documents_of_one_name_are_refused_also_under_target(
    workspace: Workspace,
) -> None:
    for name in ("desk-a", "desk-b"):
        (workspace.root / "assistants" / f"{name}.yaml").write_text(
            "apiVersion: voiceops/v1\nkind: Assistant\n"
            f"metadata: {{name: {name}}}\nprovider: invent-support\nspec: {{name: Desk FR}}\n"
        )
    for args in ((), ("--target", "desk-b")):
        result = workspace.run("plan", "--format", "json", *args)
        assert result.exit_code == 1, result.output
        plan = json.loads(result.stdout)
        second = next(a for a in plan["assistants"] if a["name"] == "desk-b")
        assert second["status"] == "error"
        assert "'desk-a'" in second["error"]
        assert "would also create an assistant named 'Desk FR'" in second["error"]


def test_a_create_found_stale_does_not_use_up_the_hourly_budget(workspace: Workspace) -> None:
    for n in range(11):
        (workspace.root / "assistants" / f"desk-{n}.yaml").write_text(
            "apiVersion: voiceops/v1\nkind: Assistant\n"
            f"metadata: {{name: desk-{n}}}\nprovider: invent-support\nspec: {{name: Desk {n}}}\n"
        )
    plan_file = workspace.root / "plan.json"
    assert workspace.run("plan", "--out", str(plan_file)).exit_code == 0
    stale = workspace.root / "assistants" / "desk-0.yaml"
    stale.write_text(stale.read_text().replace("Desk 0", "Desk zero"))

    report = api_apply(workspace, planfile=plan_file)
    states = outcomes(report)
    assert states["desk-0"] is Outcome.STALE
    created = {n for n, o in states.items() if o is Outcome.CREATED}
    assert created == {f"desk-{n}" for n in range(1, 11)}
    assert Outcome.DEFERRED not in states.values()

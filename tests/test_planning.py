"""Planning one assistant, without a session: what it returns, the secrets included."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from voiceops.errors import ConnectionFailed
from voiceops.live.httpclient import ConnectionRequestFailed, RequestFailed, StatusFailed
from voiceops.live.providers import build_adapter
from voiceops.live.providers.base import Provider
from voiceops.live.session import connection_error
from voiceops.reconcile.plan import Plan, SavedAssistant, Status, dump, load_saved
from voiceops.reconcile.planning import PlanContext, plan_assistant
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.validation import load_project

REPO = Path(__file__).resolve().parents[1]
WEBHOOK_SECRET = "webhook-secret-from-the-environment"
LIVE_SECRET = "webhook-secret-the-vendor-holds"


def clinic_intake() -> tuple[AssistantSpec, Provider, dict[str, str]]:
    project = load_project(REPO / "voiceops.yaml")
    spec = next(s for s in project.specs if s.name == "clinic-intake")
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": WEBHOOK_SECRET}
    connection = project.config.connections[spec.connection]
    return spec, build_adapter(connection, project.schemas, env), env


def live_state() -> dict[str, Any]:
    return {
        "name": "Clinic Intake (old)",
        "assistantServer": {"url": "https://hooks.example.com/voice", "secret": LIVE_SECRET},
    }


def test_plan_assistant_returns_the_secrets_it_handled() -> None:
    spec, provider, env = clinic_intake()
    context = PlanContext(provider, env, WriteOnlyRecord.load(None))
    planned = plan_assistant(spec, live_state(), context)
    assert planned.plan.status is Status.UPDATE
    assert planned.secrets == (WEBHOOK_SECRET,)
    assert any(LIVE_SECRET in json.dumps(value) for value in planned.observed)
    assert WEBHOOK_SECRET not in dump(Plan([planned.plan], managed=1))


def test_a_failed_read_is_an_error_plan_without_secrets() -> None:
    spec, provider, env = clinic_intake()
    context = PlanContext(provider, env, WriteOnlyRecord.load(None))
    planned = plan_assistant(spec, RequestFailed("GET /x answered 500"), context)
    assert planned.plan.status is Status.ERROR
    assert planned.plan.fingerprint is None
    assert (planned.secrets, planned.observed) == ((), ())


def test_an_in_memory_plan_saves_as_its_plan_file_says() -> None:
    spec, provider, env = clinic_intake()
    context = PlanContext(provider, env, WriteOnlyRecord.load(None))
    plan = plan_assistant(spec, live_state(), context).plan
    direct = SavedAssistant.from_plan(plan)
    (loaded,) = load_saved(dump(Plan([plan], managed=1)), "plan.json")
    assert direct.status is loaded.status is Status.UPDATE
    assert (direct.method, direct.path, direct.body) == (loaded.method, loaded.path, loaded.body)
    assert (direct.fingerprint, direct.spec_digest) == (loaded.fingerprint, loaded.spec_digest)
    assert [c.field for c in direct.changes] == [c.field for c in loaded.changes]


def plan_file(status: str) -> str:
    assistant = {"name": "a", "connection": "c", "id": "1", "status": status}
    return json.dumps({"format_version": 1, "assistants": [assistant]})


def test_a_plan_file_with_the_older_no_change_spelling_is_still_read() -> None:
    (old,) = load_saved(plan_file("no-change"), "old.json")
    (new,) = load_saved(plan_file("unchanged"), "new.json")
    assert old.status is new.status is Status.UNCHANGED


def test_the_json_form_spells_every_status_as_the_enum_does() -> None:
    spec, provider, env = clinic_intake()
    context = PlanContext(provider, env, WriteOnlyRecord.load(None))
    plan = plan_assistant(spec, live_state(), context).plan
    data = json.loads(dump(Plan([plan], managed=1)))
    assert set(data["summary"]) == {"managed", *(s.value for s in Status)}
    assert data["assistants"][0]["status"] == Status.UPDATE.value


def test_connection_failures_are_told_apart_by_type() -> None:
    _, provider, _ = clinic_intake()
    after_login = connection_error(
        provider, StatusFailed("GET /a answered 401", status=401, after_login=True)
    )
    assert isinstance(after_login, ConnectionFailed)
    assert "401 right after a successful login" in after_login.message
    rejected = connection_error(provider, StatusFailed("GET /a answered 401", status=401))
    assert rejected.message == provider.rejected_credentials()
    named = ConnectionRequestFailed(f"connection {provider.name!r}: login failed")
    assert connection_error(provider, named) is named
    other = connection_error(provider, RequestFailed("GET /a answered 500"))
    assert other.message == f"connection {provider.name!r}: GET /a answered 500"


def test_an_update_refused_with_401_right_after_a_login_says_so() -> None:
    # One assistant's failed update is told in the same words as a failed connection.
    from voiceops.reconcile.steps import failure_text

    _, provider, _ = clinic_intake()
    after_login = StatusFailed("PATCH /a answered 401", status=401, after_login=True)
    assert "right after a successful login" in failure_text(provider, after_login)
    rejected = StatusFailed("PATCH /a answered 401", status=401)
    assert failure_text(provider, rejected) == provider.rejected_credentials()
    assert failure_text(provider, RequestFailed("PATCH /a answered 500")) == "PATCH /a answered 500"

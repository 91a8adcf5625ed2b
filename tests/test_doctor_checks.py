"""What `doctor` finds in one vendor answer, without I/O."""

from __future__ import annotations

import json

from tests.providers.provider_helpers import provider
from voiceops.live.httpclient import RequestFailed
from voiceops.reconcile.doctor import ConnectionReport, DoctorReport, check_answers
from voiceops.render.doctor import render_json

EDMO = {
    "id": "asst_123",
    "orgId": "org_1",
    "createdAt": "2025-01-01T00:00:00Z",
    "updatedAt": "2025-01-02T00:00:00Z",
    "name": "Enrollment",
    "firstMessage": "Hi",
    "firstMessageMode": "assistant-speaks-first",
    "model": {"provider": "openai", "model": "gpt-4o", "temperature": 0.6, "maxTokens": 10},
    "voice": {"provider": "openai", "voiceId": "alloy"},
    "transcriber": {"provider": "deepgram", "model": "nova-2"},
    "voicemailMessage": None,
    "endCallMessage": None,
    "endCallPhrases": None,
    "metadata": None,
    "maxDurationSeconds": 1800,
}


def kinds(found: list) -> list[tuple[str, str]]:
    return [(f.kind, f.path) for f in found]


def test_a_complete_answer_has_no_finding() -> None:
    assert check_answers(provider("edmo"), {"asst_123": EDMO}) == []


def test_unknown_keys_are_found_by_path_nested_too() -> None:
    live = {**EDMO, "analysisPlan": {}, "model": {**EDMO["model"], "toolIds": []}}
    found = check_answers(provider("edmo"), {"asst_123": live})
    assert kinds(found) == [("unknown-key", "model.toolIds"), ("unknown-key", "analysisPlan")]


def test_numbers_given_as_strings_are_another_type() -> None:
    live = {**EDMO, "maxDurationSeconds": "1800"}
    [found] = check_answers(provider("edmo"), {"asst_123": live})
    assert (found.kind, found.path) == ("type", "maxDurationSeconds")
    assert found.detail == "string where the schema has integer or null"


def test_a_readable_field_the_answer_lacks_is_missing_but_write_only_ones_are_not() -> None:
    live = {k: v for k, v in EDMO.items() if k != "firstMessage"}
    assert kinds(check_answers(provider("edmo"), {"asst_123": live})) == [
        ("missing", "firstMessage")
    ]
    invent = provider("invent")
    answer = {"id": "asst_1", "name": "A", "enabled": True, "config": {}, "boards": []}
    # avatar_id is write-only: reads show avatar_url instead, so it is never missed.
    assert kinds(check_answers(invent, {"asst_1": answer})) == []


def test_ids_of_another_form_and_failed_answers_are_reported() -> None:
    odd = {**EDMO, "id": "../../etc"}
    failure = RequestFailed("GET /assistants/x answered with a web page", unexpected=True)
    found = check_answers(provider("edmo"), {"odd": odd, "x": failure})
    assert kinds(found) == [("id-form", "id"), ("envelope", "")]


def test_an_autocalls_list_in_the_older_names_suggests_the_legacy_set() -> None:
    # The documented list answers in one shape for both sets; a list that shows the older
    # set's own names is the one sign the answers can give.
    current = provider("autocalls")
    evidence = current.field_set_evidence([{"id": 1, "assistant_name": "A", "type": "inbound"}])
    assert evidence is not None
    assert "assistant_name" in evidence
    assert "fields: legacy" in evidence
    assert current.field_set_evidence([{"id": 1, "name": "A", "language": "de"}]) is None
    assert (
        provider("autocalls", fields="legacy").field_set_evidence([{"assistant_name": "A"}]) is None
    )


def test_the_json_report_names_its_environment() -> None:
    report = DoctorReport([ConnectionReport("edmo-main", "edmo", "ok")], environment="staging")
    data = json.loads(render_json(report))
    assert data["environment"] == "staging"
    assert "environment" not in json.loads(render_json(DoctorReport([])))

"""`to_spec_shape` shares nested values with the live object instead of copying it, so it
must never change that object: plans fingerprint it and apply compares it again."""

from __future__ import annotations

import copy
import json

from voiceops.errors import Location
from voiceops.live.providers import Provider, build_adapter
from voiceops.spec.config import Connection
from voiceops.spec.schemas import SchemaStore


def provider(vendor: str, **settings: str) -> Provider:
    settings = {"type": vendor, **settings}
    connection = Connection(f"{vendor}-x", vendor, settings, Location("voiceops.yaml"))
    return build_adapter(connection, SchemaStore(), {})


def test_a_nested_read_only_field_is_dropped_from_the_shape_not_from_live() -> None:
    live = {
        "id": "asst_1",
        "name": "Desk",
        "config": {"conversation": {"enable_update_contact_tool": True, "thread_mode": "new"}},
        "actions": [{"position": 1}],
    }
    before = copy.deepcopy(live)

    shaped = provider("invent").to_spec_shape(live)

    assert live == before
    assert shaped == {"name": "Desk", "config": {"conversation": {"thread_mode": "new"}}}


def test_renamed_and_recoded_fields_leave_live_alone() -> None:
    tools = [{"type": "end_call", "data": {"description": "Bye."}}]
    live = {"id": 7, "name": "Sales", "type": "inbound", "fillers": 1, "tools": tools}
    before = json.dumps(live, sort_keys=True)

    current = provider("autocalls").to_spec_shape(live)
    legacy = provider("autocalls", fields="legacy").to_spec_shape(live)

    assert json.dumps(live, sort_keys=True) == before
    assert current["fillers"] is True
    assert current["tools"] == [{"type": "end_call", "description": "Bye."}]
    assert legacy["assistant_name"] == "Sales"
    assert legacy["calls_direction"] == "receive"
    assert legacy["filler_audios"] is True

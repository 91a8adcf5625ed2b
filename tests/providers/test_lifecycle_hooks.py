"""Each adapter's create and delete endpoints (providers.md), and how a create's answer
gives the new id."""

from __future__ import annotations

import pytest

from tests.providers.provider_helpers import provider
from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import RequestFailed


def test_create_and_delete_targets() -> None:
    assert provider("edmo").create_target() == ("POST", "/assistants")
    assert provider("edmo").delete_target("asst_1") == ("DELETE", "/assistants/asst_1")
    assert provider("invent").create_target() == ("POST", "/orgs/c/assistants")
    assert provider("invent").delete_target("a") is None
    assert provider("autocalls").create_target() == ("POST", "/user/assistant")
    assert provider("autocalls").delete_target("127") == ("DELETE", "/user/assistant/127")
    assert provider("interactly").create_target() is None
    assert provider("interactly").delete_target("5f7b1b1b1b1b1b1b1b1b1b1b") is None


def test_a_delete_path_is_one_segment() -> None:
    assert provider("edmo").delete_request("../x?y").path == "/assistants/..%2Fx%3Fy"


def test_where_there_is_no_endpoint_the_request_is_refused() -> None:
    with pytest.raises(VoiceopsError, match="no endpoint that creates"):
        provider("interactly").create_request({"name": "x"})
    with pytest.raises(VoiceopsError, match="no endpoint that deletes"):
        provider("invent").delete_request("a")


def test_only_vendors_with_a_list_list() -> None:
    assert [p for p in ("interactly", "edmo", "invent", "autocalls") if provider(p).lists] == [
        "invent",
        "autocalls",
    ]
    assert provider("invent").creates_per_hour == 10


def test_created_ids() -> None:
    assert provider("edmo").created_id({"id": "asst_9", "name": "x"}) == "asst_9"
    assert provider("invent").created_id({"id": "asst_abc"}) == "asst_abc"
    answer = {"message": "Assistant created successfully", "data": {"id": 789, "name": "x"}}
    assert provider("autocalls").created_id(answer) == "789"


@pytest.mark.parametrize(
    ("vendor", "answer"),
    [
        ("edmo", {}),
        ("edmo", {"id": ""}),
        ("edmo", []),
        ("autocalls", {"id": 789}),  # not inside "data"
        ("autocalls", {"data": {"id": True}}),
        ("autocalls", {"data": {"id": "../../etc"}}),  # not an Autocalls id
        ("invent", {"id": "x" * 10_000}),
    ],
)
def test_a_create_answer_without_a_usable_id_is_refused(vendor: str, answer: object) -> None:
    with pytest.raises(RequestFailed) as caught:
        provider(vendor).created_id(answer)
    assert len(caught.value.message) < 200

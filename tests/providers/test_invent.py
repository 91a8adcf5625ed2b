"""Invent (providers.md; seed 002): org-scoped PATCH, `config` sent whole, `avatar_id`
write-only; several assistants are read from the paged list, one with a single GET."""

from __future__ import annotations

import httpx

from tests.providers.provider_helpers import provider, read, shown, unchanged

CONFIG = {
    "language": "auto",
    "model": "gpt-4o",
    "stt": {"model": "whisper"},
    "tts": {"model": "eleven", "voice_id": "v1"},
    "conversation": {
        "thread_mode": "new",
        "welcome_banner": "Welcome",
        "suggested_messages": ["Hours?"],
        "enable_update_contact_tool": True,
    },
    "instructions": "Be brief.",
}
LIVE = {
    "id": "asst_support",
    "deleted": False,
    "secret_key": "sk_live_123",
    "avatar_url": "https://cdn.example.com/a.png",
    "integrations": [],
    "actions": [{"id": "act_1", "position": 1}],
    "boards": [],
    "created_at": "2025-01-01T00:00:00Z",
    "updated_at": "2025-01-02T00:00:00Z",
    "name": "Support desk",
    "enabled": True,
    "config": CONFIG,
}
READ_ONLY = ("id", "deleted", "secret_key", "avatar_url", "integrations", "actions")


def test_to_spec_shape_drops_read_only_fields_including_a_nested_one() -> None:
    shaped = unchanged(provider("invent").to_spec_shape, LIVE)
    conversation = {
        k: v for k, v in CONFIG["conversation"].items() if k != "enable_update_contact_tool"
    }
    assert shaped == {
        "name": "Support desk",
        "enabled": True,
        "boards": [],
        "config": {**CONFIG, "conversation": conversation},
    }


def test_a_config_change_sends_what_the_newest_update_page_lists() -> None:
    # docs.useinvent.com/api-reference/orgs-assistants/update-assistant: config takes
    # instructions, language, model, knowledge_scope and timezone; stt, tts and
    # conversation are create-only now and never go out in an update.
    adapter = provider("invent")
    live = adapter.to_spec_shape({**LIVE, "config": {**CONFIG, "x_new_key": 7}})
    desired = {"config": {"model": "gpt-4.1", "tts": {"voice_id": "v2"}}}
    body = unchanged(adapter.build_body, live, desired, ["config"])
    assert body == {
        "config": {
            "language": "auto",
            "model": "gpt-4.1",
            "instructions": "Be brief.",
            # x_new_key is unknown to the schema and not on the page: the update refuses it
        }
    }


def test_create_only_fields_are_marked_from_the_schema() -> None:
    adapter = provider("invent")
    assert adapter.create_only == {
        ("config", "stt"),
        ("config", "tts"),
        ("config", "conversation"),
    }


def test_boards_read_as_links_are_compared_in_their_write_form() -> None:
    adapter = provider("invent")
    board = {
        "id": "ab_1",
        "board_id": "brd_1",
        "board_name": "Leads",
        "created_at": "2025-01-01T00:00:00Z",
        "updated_at": "2025-01-01T00:00:00Z",
        "initial_segment": {"id": "seg_9", "name": "New", "color": "red"},
    }
    shaped = adapter.to_spec_shape({**LIVE, "boards": [board, {**board, "initial_segment": None}]})
    assert shaped["boards"] == [
        {"board_id": "brd_1", "initial_segment_id": "seg_9"},
        {"board_id": "brd_1"},
    ]


def test_a_soft_deleted_assistant_is_gone() -> None:
    adapter = provider("invent")
    assert adapter.gone({**LIVE, "deleted": True})
    assert not adapter.gone(LIVE)


def test_avatar_id_is_write_only_and_sent_when_changed() -> None:
    adapter = provider("invent")
    assert adapter.write_only == {("avatar_id",)}
    live = adapter.to_spec_shape(LIVE)
    assert "avatar_id" not in live
    assert adapter.build_body(
        live, {"avatar_id": "av_9", "enabled": False}, ["avatar_id", "enabled"]
    ) == {
        "avatar_id": "av_9",
        "enabled": False,
    }


def test_the_update_is_a_patch_under_the_org() -> None:
    adapter = provider("invent", org_id="org_42")
    request = adapter.update_request("asst_support", {"enabled": False})
    assert (request.method, request.path) == ("PATCH", "/orgs/org_42/assistants/asst_support")
    assert provider("invent").update_request("a", {}).path == "/orgs/c/assistants/a"


def _listing(assistants: list[dict[str, object]]) -> httpx.Response:
    return httpx.Response(200, json=assistants, headers={"pagination-count": str(len(assistants))})


def test_one_id_is_read_with_a_single_get() -> None:
    adapter = provider("invent")
    assert adapter.reads_by_list
    states, sent = read(adapter, ["asst_support"], lambda r: httpx.Response(200, json=LIVE))
    assert shown(sent) == ["GET /orgs/c/assistants/asst_support"]
    assert states == {"asst_support": LIVE}


def test_several_ids_are_read_from_one_list_page() -> None:
    adapter = provider("invent", org_id="org_42")
    listed = [{**LIVE, "id": f"asst_{n}", "name": f"Desk {n}"} for n in range(5)]

    states, sent = read(adapter, ["asst_1", "asst_3", "asst_unknown"], lambda r: _listing(listed))
    assert shown(sent) == ["GET /orgs/org_42/assistants?page=1&take=100"]
    assert states == {"asst_1": listed[1], "asst_3": listed[3], "asst_unknown": None}


def test_a_long_list_is_paged_only_as_far_as_it_pays() -> None:
    adapter = provider("invent")
    listed = [{**LIVE, "id": f"asst_{n}"} for n in range(250)]

    def vendor(request: httpx.Request) -> httpx.Response:
        page, take = int(request.url.params["page"]), int(request.url.params["take"])
        items = listed[(page - 1) * take : page * take]
        return httpx.Response(200, json=items, headers={"pagination-count": str(len(listed))})

    # Both on the first page: that page is all it takes.
    states, sent = read(adapter, ["asst_0", "asst_99"], vendor)
    assert shown(sent) == ["GET /orgs/c/assistants?page=1&take=100"]
    assert states == {"asst_0": listed[0], "asst_99": listed[99]}
    # Never more requests than one GET per id after the first page.
    ids = ["asst_249", "asst_150", "asst_5"]
    states, sent = read(adapter, ids, vendor)
    assert len(sent) <= 1 + len(ids)
    assert states == {i: listed[int(i.split("_")[1])] for i in ids}

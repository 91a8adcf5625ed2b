"""Interactly (providers.md; seed 000): PATCH with `name` in every body, nested objects sent
whole, one GET per assistant."""

from __future__ import annotations

import httpx

from tests.providers.provider_helpers import provider, read, shown, unchanged

ID = "5f7b1b1b1b1b1b1b1b1b1b1b"
LIVE = {
    "_id": ID,
    "teamId": "1f7b1b1b1b1b1b1b1b1b1b1b",
    "createdAt": "2020-10-05T00:00:00.000Z",
    "updatedAt": "2020-10-05T00:00:00.000Z",
    "name": "Clinic intake",
    "welcomeMessage": "Hello, how can I help you today?",
    "idleTimeout": 20,
    "config": {
        "speech": {
            "stt": {"vendor": "microsoft", "languages": "en-US"},
            "ttsData": [{"vendor": "eleven-labs", "language": "en-US", "voice": "ZeK6O9RfGNGj"}],
        }
    },
    "assistantServer": {
        "url": "https://api.example.com/v1/getUserDetails",
        "timeoutSeconds": 20,
        "secret": "my-secret",
        "headers": {},
        "enabled": False,
    },
}


def test_to_spec_shape_drops_the_read_only_fields_and_keeps_names() -> None:
    shaped = unchanged(provider("interactly").to_spec_shape, LIVE)
    expected = {
        k: v for k, v in LIVE.items() if k not in ("_id", "teamId", "createdAt", "updatedAt")
    }
    assert shaped == expected


def test_every_update_carries_name() -> None:
    adapter = provider("interactly")
    live = adapter.to_spec_shape(LIVE)
    desired = {"welcomeMessage": "Hi there"}
    body = unchanged(adapter.build_body, live, desired, ["welcomeMessage"])
    assert body == {"welcomeMessage": "Hi there", "name": "Clinic intake"}
    # A managed name goes as desired, changed or not.
    body = adapter.build_body(live, {"name": "Intake", "idleTimeout": 30}, ["idleTimeout"])
    assert body == {"idleTimeout": 30, "name": "Intake"}


def test_a_nested_change_sends_the_whole_object_with_live_fields_kept() -> None:
    adapter = provider("interactly")
    live = adapter.to_spec_shape(LIVE)
    desired = {
        "assistantServer": {"url": "https://hooks.example.com/new"},
        "config": {"speech": {"stt": {"vendor": "deepgram"}}},
    }
    body = unchanged(adapter.build_body, live, desired, ["assistantServer", "config"])
    assert body["assistantServer"] == {
        **LIVE["assistantServer"],
        "url": "https://hooks.example.com/new",
    }
    assert body["config"] == {
        "speech": {
            "stt": {"vendor": "deepgram", "languages": "en-US"},
            "ttsData": LIVE["config"]["speech"]["ttsData"],
        }
    }
    assert body["name"] == "Clinic intake"


def test_a_nested_object_the_live_assistant_lacks_is_sent_as_desired() -> None:
    adapter = provider("interactly")
    live = {"name": "Clinic intake", "stopSpeakingOptions": None}
    desired = {
        "stopSpeakingOptions": {"numberOfWords": 3},
        "assistantPredefinedTools": {"endCall": True},
    }
    body = adapter.build_body(live, desired, ["stopSpeakingOptions", "assistantPredefinedTools"])
    assert body == {**desired, "name": "Clinic intake"}


def test_the_sensitive_fields_are_the_server_secret_and_headers() -> None:
    adapter = provider("interactly")
    assert adapter.sensitive == {("assistantServer", "secret"), ("assistantServer", "headers")}
    assert adapter.write_only == frozenset()


def test_each_assistant_is_read_with_its_own_get() -> None:
    adapter = provider("interactly")
    assert not adapter.reads_by_list
    other, unknown = "6a6a6a6a6a6a6a6a6a6a6a6a", "7c7c7c7c7c7c7c7c7c7c7c7c"

    def vendor(request: httpx.Request) -> httpx.Response:
        wanted = request.url.path.rsplit("/", 1)[1]
        if wanted == unknown:
            return httpx.Response(404, json={"statusCode": 404, "message": "Not Found"})
        return httpx.Response(200, json={**LIVE, "_id": wanted})

    states, sent = read(adapter, [ID, other, unknown], vendor)
    assert sorted(shown(sent)) == sorted(
        f"GET /assistants/v1/assistants/{i}" for i in (ID, other, unknown)
    )
    assert states[ID] == LIVE
    assert states[unknown] is None
    assert states[other] == {**LIVE, "_id": other}


def test_an_id_is_one_path_segment_and_the_update_is_a_patch_of_it() -> None:
    adapter = provider("interactly")
    _, sent = read(adapter, ["a/../b?c"], lambda r: httpx.Response(404, json={}))
    assert shown(sent) == ["GET /assistants/v1/assistants/a%2F..%2Fb%3Fc"]
    request = adapter.update_request(ID, {"name": "x"})
    assert (request.method, request.path) == ("PATCH", f"/assistants/v1/assistants/{ID}")
    assert request.body == {"name": "x"}


def test_a_voice_keeps_its_tuning_when_the_items_are_reordered() -> None:
    # ttsData items are matched by language (x-voiceops-item-key), not by position: a
    # reordered list moves no voice tuning to another language.
    adapter = provider("interactly")
    english = {"vendor": "eleven-labs", "language": "en-US", "voice": "A", "config": {"speed": 1}}
    spanish = {"vendor": "eleven-labs", "language": "es-ES", "voice": "B", "config": {"seed": 7}}
    live = {"name": "Clinic", "config": {"speech": {"ttsData": [english, spanish]}}}
    desired_items = [
        {"vendor": "eleven-labs", "language": "es-ES", "voice": "B"},
        {"vendor": "eleven-labs", "language": "en-US", "voice": "A2"},
        {"vendor": "azure", "language": "fr-FR", "voice": "C"},
    ]
    desired = {"config": {"speech": {"ttsData": desired_items}}}
    body = adapter.build_body(live, desired, ["config"])
    assert body["config"]["speech"]["ttsData"] == [
        spanish,
        {**english, "voice": "A2"},
        {"vendor": "azure", "language": "fr-FR", "voice": "C"},
    ]

"""A live assistant whose JSON holds a lone UTF-16 surrogate escape (`"caf\\ud83d"`, as a
vendor that cuts a string between the two halves of an emoji sends it). `json.loads`
accepts it and strict UTF-8 cannot encode it: its digest is still made, the plan in every
form shows it the same way, and no output carries a byte that is not UTF-8."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import EXAMPLES, add_spec, assistant, set_base_url
from tests.misbehaving import Answer, MisbehavingServer, Request, json_answer
from voiceops.live.httpclient import encode_json
from voiceops.reconcile.plan import digest
from voiceops.textsafety import clean_line, clean_text, json_safe

CLINIC = EXAMPLES["clinic-intake"][2]
SECOND = "6a6a6a6a6a6a6a6a6a6a6a6a"
# The stand-in's answer about SECOND (a test may change it).
ANSWER = b'{"_id": "%s", "name": "Second line", "description": "caf\\ud83d"}' % SECOND.encode()
NAME_CUT = b'{"_id": "%s", "name": "Second line \\ud83d"}' % SECOND.encode()


@pytest.fixture
def server(workspace: Workspace) -> Iterator[MisbehavingServer]:
    """clinic-intake as the sandbox has it; a second Interactly assistant with the odd text."""
    live = workspace.sandbox.assistant("interactly", CLINIC)

    def route(request: Request) -> Answer:
        if request.path.endswith(CLINIC):
            return json_answer(live)
        return Answer(200, server.second)

    server = MisbehavingServer(route)
    server.second = ANSWER  # type: ignore[attr-defined]
    with server.serve():
        add_spec(workspace, "second-line", "interactly-prod", SECOND, {"name": "Second line"})
        set_base_url(workspace, "interactly-prod", server.url)
        yield server


def plans(workspace: Workspace) -> tuple[str, dict, dict]:
    text = workspace.run("plan").stdout
    r = workspace.run("plan", "--format", "json")
    as_json = json.loads(r.stdout)
    out = workspace.root / "plan.json"
    workspace.run("plan", "--out", str(out))
    return text, as_json, json.loads(out.read_text(encoding="utf-8"))


def test_a_lone_surrogate_in_a_field_the_spec_does_not_set(
    workspace: Workspace, server: MisbehavingServer
) -> None:
    text, as_json, saved = plans(workspace)
    for plan in (as_json, saved):
        assert assistant(plan, "clinic-intake")["status"] == "update"
        second = assistant(plan, "second-line")
        assert second["status"] == "unchanged"
        assert second["fingerprint"].startswith("sha256:")
    assert "error" not in text.splitlines()[-1].replace("0 error(s)", "")


def test_a_lone_surrogate_in_a_changed_field_is_shown_and_applied(
    workspace: Workspace, server: MisbehavingServer
) -> None:
    server.second = NAME_CUT  # type: ignore[attr-defined]
    add_spec(
        workspace, "second-line", "interactly-prod", SECOND, {"name": "Second line \U0001f600"}
    )
    text, as_json, saved = plans(workspace)
    for plan in (as_json, saved):
        change = assistant(plan, "second-line")["changes"][0]
        assert change["path"] == "name"
        assert change["before"] == "Second line \ud83d"
        assert change["after"] == "Second line \U0001f600"
    assert "Second line \ufffd" in text  # shown as the replacement character
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code in (0, 1), result.output  # the stand-in does not change
    sent = [r for r in server.seen("PATCH") if SECOND in r.path]
    assert sent
    assert json.loads(sent[0].body) == {"name": "Second line \U0001f600"}


def test_text_json_bodies_and_digests_take_a_lone_surrogate() -> None:
    cut = "caf\ud83d"
    assert clean_line(cut) == clean_text(cut) == "caf\ufffd"
    shown = json_safe(json.dumps({"d": cut}, ensure_ascii=False))
    shown.encode("utf-8")  # strict UTF-8 now carries it
    assert json.loads(shown) == {"d": cut}
    assert encode_json({"d": cut, "e": "\u00e9"}) == b'{"d":"caf\\ud83d","e":"\\u00e9"}'
    assert encode_json({"e": "\u00e9"}) == '{"e":"\u00e9"}'.encode()  # raw UTF-8 otherwise
    assert digest({"d": cut}) != digest({"d": "caf"})

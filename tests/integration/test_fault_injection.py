"""Faults from vendors, inputs and the system: every one ends as a result or one sentence.

The CLI runs against the sandbox and, where a vendor must misbehave in a way the sandbox
does not (reset, hang, trickle, an endless body, absurd paging), against a deliberately
misbehaving server on 127.0.0.1 (`tests/misbehaving.py`).
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import Result
from filelock import FileLock

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    EXAMPLES,
    add_spec,
    assert_clean,
    assistant,
    set_base_url,
)
from tests.misbehaving import Answer, MisbehavingServer, Request, json_answer
from voiceops.cli.hooks import RunHooks
from voiceops.live.httpclient import Client, RequestFailed, RetryPolicy
from voiceops.sandbox import Faults, Sandbox

CLINIC = EXAMPLES["clinic-intake"][2]
SECOND = "6a6a6a6a6a6a6a6a6a6a6a6a"  # a second Interactly assistant, on the bad server
QUICK = RetryPolicy(attempts=2, base_delay_s=0.001, max_delay_s=0.002)
UPDATES = ("PATCH", "PUT")


@pytest.fixture(autouse=True)
def quick_retries(request: pytest.FixtureRequest) -> None:
    """CLI runs retry once, without sleeping: the faults are tested, not the waiting."""
    if "workspace" in request.fixturenames:
        workspace = request.getfixturevalue("workspace")
        workspace.hooks = RunHooks(options=lambda o: dataclasses.replace(o, retry=QUICK))


@pytest.fixture
def misbehaving() -> Iterator[Callable[[Callable[[Request], Answer]], MisbehavingServer]]:
    servers: list[Any] = []

    def start(route: Callable[[Request], Answer]) -> MisbehavingServer:
        server = MisbehavingServer(route)
        context = server.serve()
        context.__enter__()
        servers.append(context)
        return server

    yield start
    for context in servers:
        context.__exit__(None, None, None)


def one_sentence(result: Result) -> str:
    """Exit 1, no traceback, and each line on stderr a single `error:` sentence."""
    assert result.exit_code == 1, result.output
    assert_clean(result)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert lines, result.output
    for line in lines:
        assert line.startswith(("error: ", "warning: ")) or ": " in line, line
        assert "internal error" not in line, line
    return "\n".join(lines)


def set_connection(ws: Workspace, connection: str, **settings: Any) -> None:
    config = yaml.safe_load(ws.config.read_text(encoding="utf-8"))
    config["providers"][connection].update(settings)
    ws.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")


def plan_of(result: Result) -> dict[str, Any]:
    return json.loads(result.stdout)


# ---- one assistant's bad read fails only that assistant ---------------------------------


def interactly_beside(
    ws: Workspace, misbehaving: Callable[..., MisbehavingServer], bad: Answer
) -> MisbehavingServer:
    """clinic-intake answered as the sandbox would, a second assistant answered `bad`,
    both on one Interactly connection."""
    live = ws.sandbox.assistant("interactly", CLINIC)

    def route(request: Request) -> Answer:
        if not request.path.endswith(CLINIC):
            return bad
        if request.method == "PATCH":  # Interactly replaces nested objects whole
            live.update(json.loads(request.body))
        return json_answer(live)

    server = misbehaving(route)
    add_spec(ws, "second-line", "interactly-prod", SECOND, {"name": "Second line"})
    set_base_url(ws, "interactly-prod", server.url)
    set_connection(ws, "interactly-prod", timeout_s=1)
    return server


BAD_READS = {
    "reset": (Answer(action="reset"), "failed"),
    "timeout": (Answer(action="hang"), "failed"),
    "html": (
        Answer(200, b"<!doctype html><p>Sign in</p>", {"Content-Type": "text/html"}),
        "answered with a web page, not JSON",
    ),
    "empty body": (Answer(200, b""), "answered with an empty body"),
    "json list": (json_answer([{"_id": SECOND}]), "a JSON list where an object was expected"),
    "truncated": (Answer(200, b'{"name": "Second'), "answered with something that is not JSON"),
    "nan": (Answer(200, b'{"name": NaN}'), "NaN, a number JSON does not allow"),
    "deep": (Answer(200, b"[" * 5000 + b"]" * 5000), "nested over 64 levels deep"),
}


@pytest.mark.parametrize("case", sorted(BAD_READS))
def test_a_bad_answer_to_one_read_fails_only_that_assistant(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer], case: str
) -> None:
    bad, expected = BAD_READS[case]
    interactly_beside(workspace, misbehaving, bad)

    result = workspace.run("plan", "--format", "json")

    errors = one_sentence(result)
    plan = plan_of(result)
    assert assistant(plan, "clinic-intake")["status"] == "update"
    error = assistant(plan, "second-line")["error"]
    assert SECOND in error
    assert expected in error
    assert "\n" not in error
    assert errors == (error if error.startswith("assistants/") else f"error: {error}")
    others = [a for a in plan["assistants"] if a["name"] not in ("clinic-intake", "second-line")]
    assert all(a["status"] == "update" for a in others)


def test_rejected_credentials_fail_the_whole_connection(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    server = interactly_beside(workspace, misbehaving, json_answer({"message": "no"}, 401))
    server.route = lambda request: json_answer({"message": "invalid key"}, 401)

    result = workspace.run("plan", "--format", "json")

    one_sentence(result)
    plan = plan_of(result)
    for name in ("clinic-intake", "second-line"):
        assert "rejected the credentials" in assistant(plan, name)["error"]


def test_apply_goes_on_past_a_bad_read(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    interactly_beside(workspace, misbehaving, Answer(action="reset"))

    result = workspace.run("apply", "--auto-approve")

    assert result.exit_code == 1
    assert_clean(result)
    assert "Apply: 4 applied, 0 unchanged, 0 stale, 1 failed, 0 not converged." in result.stdout
    assert re.search(r"^  failed +second-line", result.stdout, re.MULTILINE)


# ---- bounded by design ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "bad",
    [
        Answer(action="endless"),
        Answer(200, b"", {"Content-Length": str(300 * 1024 * 1024)}),
    ],
    ids=["streamed", "declared"],
)
def test_an_answer_larger_than_the_cap_is_not_read(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer], bad: Answer
) -> None:
    interactly_beside(workspace, misbehaving, bad)

    result = workspace.run("plan", "--format", "json")

    one_sentence(result)
    plan = plan_of(result)
    assert "is larger than 16,777,216 bytes" in assistant(plan, "second-line")["error"]
    assert assistant(plan, "clinic-intake")["status"] == "update"


def test_a_trickled_answer_ends_at_the_total_deadline(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    """Each byte comes well within the read timeout; only a deadline on the whole request
    stops an answer that would take 4 s under `timeout_s: 1`."""
    body = json.dumps({"_id": SECOND, "name": "Second line"}).encode()
    interactly_beside(workspace, misbehaving, Answer(200, body, action="trickle", pace_s=0.1))

    result = workspace.run("plan", "--format", "json")

    one_sentence(result)
    error = assistant(plan_of(result), "second-line")["error"]
    assert "no complete answer within 1 s" in error


def autocalls_list(ws: Workspace, misbehaving: Callable[..., MisbehavingServer], pages: Any):
    """The Autocalls connection on a server that answers each list page with `pages(n)`."""

    def route(request: Request) -> Answer:
        return pages(int(request.query.get("page", "1")))

    server = misbehaving(route)
    set_base_url(ws, "autocalls-sales", server.url)
    return server


OTHER = {"id": 999, "name": "Someone else's", "type": "inbound"}


@pytest.mark.parametrize(
    ("page", "expected", "requests"),
    [
        (
            lambda n: json_answer({"data": [OTHER], "last_page": 1_000_000}),
            "claims 1000000 pages; voiceops reads at most 1000",
            1,
        ),
        (
            lambda n: json_answer({"data": [OTHER], "last_page": 50, "current_page": 1}),
            "page 2 of the Autocalls assistant list repeats an earlier page",
            2,
        ),
        (
            lambda n: json_answer({"data": [OTHER, 7, "x"], "last_page": 1}),
            "the JSON value 7 in the list of assistants",
            1,
        ),
        (
            lambda n: json_answer({"data": [OTHER], "last_page": [2]}),
            "gave a JSON list as last_page, not a page number",
            1,
        ),
        (lambda n: json_answer({"data": {"127": OTHER}}), "a JSON object where a list", 1),
        (
            lambda n: json_answer({"data": [{"name": "no id"}], "last_page": 1}),
            "an assistant without an id",
            1,
        ),
    ],
    ids=["absurd last_page", "repeated page", "non-objects", "last_page list", "data map", "no id"],
)
def test_a_broken_autocalls_list_is_one_sentence(
    workspace: Workspace,
    misbehaving: Callable[..., MisbehavingServer],
    page: Any,
    expected: str,
    requests: int,
) -> None:
    server = autocalls_list(workspace, misbehaving, page)

    result = workspace.run("plan", "--format", "json")

    errors = one_sentence(result)
    assert expected in assistant(plan_of(result), "sales-outreach")["error"]
    assert expected in errors
    assert len(server.seen("GET")) == requests

    imported = workspace.run("import", "--provider", "autocalls-sales", "--all")
    assert expected in one_sentence(imported)


def test_an_empty_page_ends_the_list_whatever_last_page_says(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    def page(n: int) -> Answer:
        return json_answer({"data": [OTHER] if n == 1 else [], "last_page": 900})

    server = autocalls_list(workspace, misbehaving, page)
    result = workspace.run("plan", "--format", "json")
    assert "was not found" in assistant(plan_of(result), "sales-outreach")["error"]
    assert len(server.seen("GET")) == 2


def test_an_invent_list_with_a_garbled_count_is_one_sentence(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    server = misbehaving(
        lambda request: json_answer([{"id": "asst_x"}], **{"pagination-count": "lots"})
    )
    add_spec(workspace, "sales-desk", "invent-support", "asst_sales", {"enabled": False})
    set_base_url(workspace, "invent-support", server.url)

    result = workspace.run("plan", "--format", "json")

    one_sentence(result)
    error = assistant(plan_of(result), "sales-desk")["error"]
    assert "pagination-count 'lots', not a number" in error


def test_spec_files_that_are_not_regular_files_are_refused(workspace: Workspace) -> None:
    os.mkfifo(workspace.root / "assistants" / "pipe.yaml")
    (workspace.root / "assistants" / "gone.yaml").symlink_to("nowhere.yaml")

    result = workspace.run("validate")

    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert "assistants/pipe.yaml:1:1: is a FIFO (named pipe), not a regular file" in result.stderr
    assert "assistants/gone.yaml:1:1: dangling symlink" in result.stderr
    assert workspace.run("plan").exit_code == 1

    device = workspace.run("validate", "/dev/zero")
    assert device.exit_code == 1
    assert "/dev/zero:1:1: is a device, not a regular file" in device.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any directory")
def test_an_unreadable_directory_is_an_error(workspace: Workspace) -> None:
    hidden = workspace.root / "assistants" / "team"
    hidden.mkdir()
    hidden.chmod(0)
    try:
        result = workspace.run("validate")
    finally:
        hidden.chmod(0o755)
    assert result.exit_code == 1
    assert "assistants/team:1:1: cannot read the directory" in result.stderr


# ---- never a traceback ----------------------------------------------------------------------


def test_any_failure_to_build_a_request_is_that_request_s_failure() -> None:
    async def attempt() -> RequestFailed:
        import asyncio

        client = Client("http://127.0.0.1:9", global_limit=asyncio.Semaphore(1), vendor_limit=1)
        try:
            with pytest.raises(RequestFailed) as caught:
                await client.request("GET", "/assistants/a\x01b")
            with pytest.raises(RequestFailed, match="cannot be sent as JSON"):
                await client.request("PATCH", "/assistants/a", json={"x": float("nan")})
            return caught.value
        finally:
            await client.close()

    import asyncio

    failure = asyncio.run(attempt())
    assert "cannot be sent" in failure.message
    assert "\x01" not in failure.message
    assert not failure.maybe_applied


def test_a_control_character_in_an_id_fails_that_assistant(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    path = workspace.root / "assistants" / "ctl.yaml"
    path.write_text(
        "apiVersion: voiceops/v1\nkind: Assistant\nmetadata: {name: ctl}\n"
        'provider: edmo-main\nid: "asst\\x01x"\nspec: {name: X}\n',
        encoding="utf-8",
    )
    result = workspace.run("apply", "--auto-approve")
    assert result.exit_code == 1
    assert_clean(result)
    assert "\x01" not in result.stderr
    if "ctl" in result.stdout:  # validation may refuse such an id before anything runs
        assert "Apply: 4 applied" in result.stdout


def test_import_into_a_file_named_as_out_is_one_sentence(workspace: Workspace) -> None:
    taken = workspace.root / "taken.txt"
    taken.write_text("mine\n", encoding="utf-8")
    result = workspace.run(
        "import", "--provider", "edmo-main", "--id", "asst_123", "--out", str(taken)
    )
    assert "is a file, not a directory" in one_sentence(result)
    assert taken.read_text(encoding="utf-8") == "mine\n"


def test_a_write_only_record_that_is_a_directory_is_refused_before_any_write(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    (workspace.root / ".voiceops" / "write-only.json").mkdir(parents=True)
    sandbox.clear_requests()

    result = workspace.run("apply", "--auto-approve")

    assert "is not a regular file" in one_sentence(result)
    assert not [r for r in sandbox.requests() if r.method in UPDATES]


def test_a_record_that_cannot_be_saved_still_gets_the_summary(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    workspace.hooks = RunHooks(
        options=lambda o: dataclasses.replace(o, retry=QUICK, record_lock_timeout_s=0.2)
    )
    record = workspace.root / ".voiceops" / "write-only.json"
    record.parent.mkdir()
    with FileLock(str(record) + ".lock"):
        result = workspace.run("apply", "--auto-approve")

    assert "Apply: 4 applied" in result.stdout
    errors = one_sentence(result)
    assert "it stayed locked by another voiceops run" in errors
    assert len([r for r in sandbox.requests() if r.method in UPDATES]) == 4


# ---- numbers a vendor can take --------------------------------------------------------------


def test_non_finite_numbers_are_refused_offline(workspace: Workspace, sandbox: Sandbox) -> None:
    path = workspace.spec_file("enrollment-assistant")
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("metadata:\n", "metadata:\n  labels: {team: .nan}\n", 1))
    lines = path.read_text(encoding="utf-8").splitlines()
    line = next(i for i, t in enumerate(lines, 1) if ".nan" in t)
    sandbox.clear_requests()

    for command in ("validate", "plan", "apply"):
        args = ("--auto-approve",) if command == "apply" else ()
        result = workspace.run(command, *args)
        assert result.exit_code == 1, result.output
        assert f"assistants/enrollment-assistant.yaml:{line}:" in result.stderr
        assert ".nan is not a number any vendor can take" in result.stderr
    assert not sandbox.requests()


def test_an_update_does_not_wait_for_another_connection_s_reads(
    workspace: Workspace, sandbox: Sandbox, tmp_path: Path
) -> None:
    """Apply is pipelined per assistant: with Autocalls slow to answer its list read,
    Interactly's update is sent (and answered) before that read is answered. Nothing found
    after the first write can end the run: every body was encoded before the first request."""
    planfile = tmp_path / "plan.json"
    assert workspace.run("plan", "--out", str(planfile)).exit_code == 0
    sandbox.clear_requests()
    sandbox.set_faults(Faults(latency_ms=1500), vendor="autocalls")

    result = workspace.run("apply", str(planfile))

    assert result.exit_code == 0, result.output
    log = [(r.vendor, r.method) for r in sandbox.requests()]  # in the order answered
    assert log.index(("interactly", "PATCH")) < log.index(("autocalls", "GET"))
    # Each assistant was still read again before its own update.
    assert log.index(("interactly", "GET")) < log.index(("interactly", "PATCH"))
    assert log.index(("autocalls", "GET")) < log.index(("autocalls", "PUT"))


def test_live_fields_of_the_wrong_type_are_compared_not_crashed_on(
    workspace: Workspace, misbehaving: Callable[..., MisbehavingServer]
) -> None:
    live = workspace.sandbox.assistant("interactly", CLINIC)
    live.update({"assistantServer": "text", "idleTimeout": None, "_id": SECOND})
    interactly_beside(workspace, misbehaving, json_answer(live))
    spec = {"name": "Second line", "idleTimeout": 30, "assistantServer": {"timeoutSeconds": 20}}
    add_spec(workspace, "second-line", "interactly-prod", SECOND, spec)

    result = workspace.run("plan", "--format", "json")

    assert result.exit_code == 0, result.output
    assert_clean(result)
    second = assistant(plan_of(result), "second-line")
    assert second["status"] == "update"
    assert second["request"]["body"]["assistantServer"] == {"timeoutSeconds": 20}


@pytest.mark.parametrize("url", ["http://127.0.0.1:99999", "http://[::1"])
def test_a_base_url_httpx_cannot_use_is_one_sentence(workspace: Workspace, url: str) -> None:
    set_base_url(workspace, "edmo-main", url)
    result = workspace.run("plan", "--format", "json")
    assert "edmo-main" in one_sentence(result)

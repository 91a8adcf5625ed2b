"""Errors a user can act on, and faults the client rides out."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import (
    FAST_RETRY,
    add_spec,
    assert_clean,
    assistant,
    closed_port,
    comparable,
    error_lines,
    fast_retries,  # noqa: F401  (fixture)
    line_of,
    python_plan,
    read_spec,
    set_base_url,
    write_spec,
)
from voiceops.live.httpclient import RetryPolicy
from voiceops.reconcile.plan import Status
from voiceops.sandbox import Faults, Sandbox

pytestmark = pytest.mark.usefixtures("fast_retries")


def _failed_run(workspace: Workspace, *args: str, env: dict[str, str] | None = None):
    """Run plan in every format; each must exit 1 with the same one-line errors."""
    results = {
        output: workspace.run("plan", "--format", output, *args, env=env)
        for output in ("text", "markdown", "json")
    }
    for output, result in results.items():
        assert result.exit_code == 1, (output, result.output)
        assert_clean(result)
        assert _same(error_lines(result)) == _same(error_lines(results["text"])), output
    json.loads(results["json"].stdout)  # stdout stays a JSON document
    return results["text"], json.loads(results["json"].stdout)


def _same(lines: list[str]) -> list[str]:
    # Runs meet injected faults in their own order: 500 in one may be 503 in the next.
    return [re.sub(r"answered 50\d: [^:]+ after", "answered 5xx after", line) for line in lines]


def _others_reported(plan: dict, failed: set[str]) -> None:
    for item in plan["assistants"]:
        if item["name"] in failed:
            assert item["status"] == "error", item
        else:
            assert item["status"] == "update", item
            assert item["changes"], item


def _refused_before_any_request(workspace: Workspace, *args: str) -> list[str]:
    """plan, in every format, and apply: exit 1, the same lines on stderr, nothing read."""
    sb = workspace.sandbox
    sb.clear_requests()
    runs = [workspace.run("plan", "--format", f, *args) for f in ("text", "markdown", "json")]
    runs.append(workspace.run("apply", "--auto-approve", *args))
    for result in runs:
        assert result.exit_code == 1, result.output
        assert_clean(result)
        assert result.stdout == ""
        assert error_lines(result) == error_lines(runs[0])
    assert sb.requests() == []
    return error_lines(runs[0])


def test_missing_environment_variable(workspace: Workspace) -> None:
    env = dict(workspace.env)
    del env["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"]
    workspace.env = env
    lines = _refused_before_any_request(workspace)
    line = line_of(
        workspace.spec_file("clinic-intake"), "${env:CLINIC_INTAKE_ASSISTANTSERVER_SECRET}"
    )
    assert len(lines) == 1
    assert lines[0].startswith(f"assistants/clinic-intake.yaml:{line}:")
    assert lines[0].endswith("environment variable CLINIC_INTAKE_ASSISTANTSERVER_SECRET is not set")


def test_empty_environment_variable_is_refused_like_a_missing_one(workspace: Workspace) -> None:
    workspace.env = {**workspace.env, "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ""}
    lines = _refused_before_any_request(workspace)
    line = line_of(
        workspace.spec_file("clinic-intake"), "${env:CLINIC_INTAKE_ASSISTANTSERVER_SECRET}"
    )
    assert lines == [
        f"assistants/clinic-intake.yaml:{line}:13: environment variable "
        "CLINIC_INTAKE_ASSISTANTSERVER_SECRET is set but empty; an empty value is never sent"
    ]


def test_missing_environment_variable_inside_a_list(workspace: Workspace) -> None:
    document = read_spec(workspace, "clinic-intake")
    document["spec"]["hints"] = ["Riverside", "${env:HINT_NOT_SET}"]
    write_spec(workspace, "clinic-intake", document)
    lines = _refused_before_any_request(workspace)
    line = line_of(workspace.spec_file("clinic-intake"), "${env:HINT_NOT_SET}")
    assert lines == [
        f"assistants/clinic-intake.yaml:{line}:5: environment variable HINT_NOT_SET is not set"
    ]


@pytest.mark.parametrize("value", [None, ""])
def test_missing_credential_variable(workspace: Workspace, value: str | None) -> None:
    env = dict(workspace.env)
    del env["AUTOCALLS_TOKEN"]
    if value is not None:
        env["AUTOCALLS_TOKEN"] = value
    workspace.env = env
    lines = _refused_before_any_request(workspace)
    line = line_of(workspace.config, "autocalls-sales:")
    assert len(lines) == 1
    assert lines[0].startswith(f"voiceops.yaml:{line}:")
    assert "'autocalls-sales'" in lines[0]
    assert "AUTOCALLS_TOKEN" in lines[0]


def test_every_missing_credential_and_reference_is_named_at_once(workspace: Workspace) -> None:
    env = dict(workspace.env)
    for variable in ("AUTOCALLS_TOKEN", "EDMO_PASSWORD", "CLINIC_INTAKE_ASSISTANTSERVER_SECRET"):
        del env[variable]
    workspace.env = env
    lines = _refused_before_any_request(workspace)
    assert len(lines) == 3
    assert [
        v
        for v in ("AUTOCALLS_TOKEN", "EDMO_PASSWORD", "CLINIC_INTAKE_ASSISTANTSERVER_SECRET")
        if any(v in line for line in lines)
    ] == ["AUTOCALLS_TOKEN", "EDMO_PASSWORD", "CLINIC_INTAKE_ASSISTANTSERVER_SECRET"]


@pytest.mark.parametrize(
    ("value", "flaw"),
    [
        ("sandbox-autocalls-token\n", "it ends with a line break"),
        ("tökën", "it contains non-ASCII characters"),
        ("tok\x07en", "it contains control characters"),
        (" token", "it starts or ends with white space"),
    ],
)
def test_a_token_that_cannot_be_a_header_is_refused_by_name(
    workspace: Workspace, value: str, flaw: str
) -> None:
    workspace.env = {**workspace.env, "AUTOCALLS_TOKEN": value}
    lines = _refused_before_any_request(workspace)
    assert len(lines) == 1
    assert lines[0].endswith(
        "connection 'autocalls-sales': the value of the environment variable AUTOCALLS_TOKEN "
        f"cannot be sent in an HTTP header: {flaw}; set it to the credential alone"
    )
    assert value.strip() not in lines[0]


@pytest.mark.parametrize(
    ("variable", "name", "connection"),
    [
        ("INTERACTLY_API_KEY", "clinic-intake", "interactly-prod"),
        ("INVENT_API_KEY", "support-concierge", "invent-support"),
        ("AUTOCALLS_TOKEN", "sales-outreach", "autocalls-sales"),
    ],
)
def test_rejected_token(workspace: Workspace, variable: str, name: str, connection: str) -> None:
    result, plan = _failed_run(workspace, env={variable: "wrong-token-value"})
    expected = f"connection {connection!r}: the vendor rejected the credentials in {variable} (401)"
    assert assistant(plan, name)["error"] == expected
    assert error_lines(result) == [f"error: {expected}"]
    assert "wrong-token-value" not in result.output
    _others_reported(plan, {name})


def test_rejected_credentials_for_every_assistant_of_the_connection(
    workspace: Workspace,
) -> None:
    add_spec(
        workspace, "after-hours", "interactly-prod", "6a1c2e3f4b5d6e7f8a9b0c1d", {"idleTimeout": 15}
    )
    result, plan = _failed_run(workspace, env={"INTERACTLY_API_KEY": "nope-nope"})
    assert assistant(plan, "after-hours")["status"] == "error"
    assert assistant(plan, "clinic-intake")["status"] == "error"
    # One sentence, said once.
    assert len(error_lines(result)) == 1


def test_assistant_not_found(workspace: Workspace) -> None:
    add_spec(workspace, "ghost", "edmo-main", "asst_nope", {"name": "Ghost"})
    result, plan = _failed_run(workspace)
    path = workspace.spec_file("ghost")
    error = assistant(plan, "ghost")["error"]
    assert error == (
        f"assistants/ghost.yaml:{line_of(path, 'id: asst_nope')}:5: assistant 'asst_nope' "
        "was not found on connection 'edmo-main' (404)"
    )
    assert error_lines(result) == [error]  # located: no `error:` before the path
    assert "ghost" in result.stdout
    _others_reported(plan, {"ghost"})


def test_another_accounts_assistant_is_not_found(workspace: Workspace) -> None:
    add_spec(workspace, "other-team", "interactly-prod", "7c0d4e4e4e4e4e4e4e4e4e4e", {"name": "x"})
    _, plan = _failed_run(workspace)
    assert "(404)" in assistant(plan, "other-team")["error"]
    _others_reported(plan, {"other-team"})


def test_unreachable_network(workspace: Workspace) -> None:
    port = closed_port()
    set_base_url(workspace, "autocalls-sales", f"http://127.0.0.1:{port}")
    result, plan = _failed_run(workspace)
    error = assistant(plan, "sales-outreach")["error"]
    assert error.startswith(f"connection 'autocalls-sales': cannot reach http://127.0.0.1:{port}")
    assert "\n" not in error
    assert error_lines(result) == [f"error: {error}"]
    _others_reported(plan, {"sales-outreach"})


class _Always200(BaseHTTPRequestHandler):
    """A web server (say, the vendor's dashboard at a wrong base_url): 200 for anything."""

    body = b"<!doctype html><html><body>Sign in</body></html>"
    content_type = "text/html"

    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", self.content_type)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    do_POST = do_GET

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def web_page() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Always200)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.mark.parametrize(
    ("connection", "name"),
    [
        ("interactly-prod", "clinic-intake"),
        ("invent-support", "support-concierge"),
        ("autocalls-sales", "sales-outreach"),
    ],
)
def test_base_url_answering_with_a_web_page(
    workspace: Workspace, web_page: str, connection: str, name: str
) -> None:
    add_spec(workspace, "sales-desk", "invent-support", "asst_sales", {"enabled": False})
    set_base_url(workspace, connection, web_page)
    _result, plan = _failed_run(workspace)
    error = assistant(plan, name)["error"]
    assert error.startswith(f"connection {connection!r}: {web_page} did not answer with the JSON")
    assert error.endswith("check its base_url")
    _others_reported(plan, {name, "sales-desk"} if connection == "invent-support" else {name})


def test_edmo_base_url_answering_with_a_web_page(workspace: Workspace, web_page: str) -> None:
    set_base_url(workspace, "edmo-main", web_page)
    _, plan = _failed_run(workspace)
    error = assistant(plan, "enrollment-assistant")["error"]
    assert error == "connection 'edmo-main': login did not set the auth-token cookie"
    _others_reported(plan, {"enrollment-assistant"})


def test_plain_http_to_a_remote_host_is_refused(workspace: Workspace, sandbox: Sandbox) -> None:
    # Refused for the whole run, before any request: a setting of one connection must not
    # let the run write to the others first.
    set_base_url(workspace, "autocalls-sales", "http://autocalls.example.com/api")
    lines = _refused_before_any_request(workspace)
    line = line_of(workspace.config, "http://autocalls.example.com/api")
    assert len(lines) == 1
    assert lines[0].startswith(f"voiceops.yaml:{line}:")
    assert "must use https://" in lines[0]
    assert "'autocalls-sales'" in lines[0]


@pytest.mark.parametrize(
    ("vendor", "name"),
    [
        ("interactly", "clinic-intake"),
        ("edmo", "enrollment-assistant"),
        ("invent", "support-concierge"),
        ("autocalls", "sales-outreach"),
    ],
)
def test_persistent_server_error(
    workspace: Workspace, sandbox: Sandbox, vendor: str, name: str
) -> None:
    sandbox.set_faults(Faults(rate_5xx=1.0), vendor=vendor)
    result, plan = _failed_run(workspace)
    error = assistant(plan, name)["error"]
    connection = assistant(plan, name)["connection"]
    # Reading one assistant failed: the error names it and its file, not just the connection.
    assert error.startswith(("assistants/", f"connection {connection!r}: "))
    assert connection in error
    assert " answered 50" in error
    assert error.endswith(f"after {FAST_RETRY.attempts} attempts")
    located = error.startswith("assistants/")
    assert error_lines(result) == [error if located else f"error: {error}"]
    _others_reported(plan, {name})


def test_persistent_rate_limit(workspace: Workspace, sandbox: Sandbox) -> None:
    sandbox.set_faults(Faults(rate_429=1.0, retry_after_s=0), vendor="autocalls")
    _, plan = _failed_run(workspace)
    assert "answered 429" in assistant(plan, "sales-outreach")["error"]
    _others_reported(plan, {"sales-outreach"})


def test_several_errors_at_once(workspace: Workspace, sandbox: Sandbox) -> None:
    workspace.env = {**workspace.env, "INVENT_API_KEY": "wrong-token-value"}
    sandbox.set_faults(Faults(rate_5xx=1.0), vendor="edmo")
    add_spec(workspace, "ghost", "autocalls-sales", 999, {"record": True})
    result, plan = _failed_run(workspace)
    assert plan["summary"] == {
        "managed": 5,
        "update": 2,
        "create": 0,
        "adopt": 0,
        "delete": 0,
        "unchanged": 0,
        "error": 3,
    }
    assert len(error_lines(result)) == 3
    assert "Plan: 2 to update, 0 unchanged, 3 error(s)." in result.stdout


# ---- retries -----------------------------------------------------------------------------

FAULTS = Faults(rate_429=0.3, rate_5xx=0.3, retry_after_s=0)


def _more_assistants(workspace: Workspace) -> None:
    add_spec(
        workspace, "after-hours", "interactly-prod", "6a1c2e3f4b5d6e7f8a9b0c1d", {"idleTimeout": 15}
    )
    add_spec(workspace, "financial-aid", "edmo-main", "asst_456", {"name": "Financial Aid"})
    add_spec(workspace, "sales-desk", "invent-support", "asst_sales", {"enabled": False})
    add_spec(workspace, "reminders", "autocalls-sales", 128, {"record": True})


def test_faults_are_retried_and_the_plan_is_unchanged(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    _more_assistants(workspace)
    expected, _ = python_plan(workspace)
    assert not expected.has_errors
    sandbox.set_faults(FAULTS)
    sandbox.clear_requests()
    faulty, _ = python_plan(workspace)
    assert comparable(faulty) == comparable(expected)
    injected = [r for r in sandbox.requests() if r.fault]
    assert {r.fault for r in injected} >= {"429", "503", "500"}
    assert len({r.vendor for r in injected}) >= 3


def test_faults_through_the_cli(workspace: Workspace, sandbox: Sandbox) -> None:
    expected = workspace.run("plan", "--format", "json")
    sandbox.set_faults(FAULTS)
    sandbox.clear_requests()
    faulty = workspace.run("plan", "--format", "json")
    assert faulty.exit_code == 0, faulty.output
    assert faulty.stderr == ""
    assert comparable(json.loads(faulty.stdout)) == comparable(json.loads(expected.stdout))
    assert any(r.fault for r in sandbox.requests())


def test_retry_after_is_honoured_with_the_default_policy(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    # Retry-After: 0 means the default (slower) backoff is never waited for on a 429.
    sandbox.set_faults(Faults(rate_429=0.5, retry_after_s=0), vendor="interactly")
    plan, _ = python_plan(workspace, retry=RetryPolicy())
    assert assistant_status(plan, "clinic-intake") is Status.UPDATE


def assistant_status(plan, name: str) -> Status:  # type: ignore[no-untyped-def]
    return next(a.status for a in plan.assistants if a.name == name)

"""`voiceops --debug`: one stderr line per HTTP attempt, secrets masked, nothing else changed."""

from __future__ import annotations

import asyncio
import io
import logging
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner, Result

from tests.conftest import REPO
from tests.leaks import encodings
from voiceops.cli import main
from voiceops.cli.debuglog import Scrubbing
from voiceops.live.httpclient import LOGGER, Client, RequestFailed, RetryPolicy
from voiceops.live.providers.base import segment
from voiceops.reconcile.redaction import Redactor
from voiceops.sandbox import Sandbox

LINE = re.compile(r"debug: voiceops\.http: (GET|POST|PUT|PATCH) (/\S*) (\d{3}|failed: .+) (\d+) ms")
# Every character an encoding changes.
SECRET = "p@ss/w rd+&=?%é~\"'"
WEBHOOK_SECRET = "hook s3cret/+?&=é"


async def _no_sleep(_seconds: float) -> None:
    await asyncio.sleep(0)


@pytest.fixture
def logged() -> Iterator[tuple[io.StringIO, Redactor]]:
    """Records of the HTTP client, scrubbed by a redactor that knows SECRET."""
    redactor = Redactor()
    redactor.add(SECRET)
    scrubbing = Scrubbing()
    scrubbing.scrubbers.append(redactor.redact)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(scrubbing)
    logger = logging.getLogger(LOGGER)
    before = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield stream, redactor
    finally:
        logger.removeHandler(handler)
        logger.setLevel(before)


def test_one_record_per_attempt_with_no_secret_in_path_or_query(
    logged: tuple[io.StringIO, Redactor],
) -> None:
    stream, _ = logged
    answers = iter(["503", "unreachable", "200"])

    def vendor(request: httpx.Request) -> httpx.Response:
        answer = next(answers)
        if answer == "unreachable":
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(int(answer), json={})

    async def run() -> None:
        client = Client(
            "http://127.0.0.1:9",
            global_limit=asyncio.Semaphore(1),
            vendor_limit=1,
            retry=RetryPolicy(attempts=3, sleep=_no_sleep),
            transport=httpx.MockTransport(vendor),
        )
        try:
            await client.request("GET", f"/things/{segment(SECRET)}", params={"q": SECRET})
        finally:
            await client.close()

    asyncio.run(run())
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" ", 2)[0] for line in lines] == [
        "GET /things/***?q=*** 503",
        "GET /things/***?q=*** failed: connection refused",
        "GET /things/***?q=*** 200",
    ]
    assert all(re.search(r" \d+ ms$", line) for line in lines)
    for form in encodings(SECRET):
        assert form not in stream.getvalue()


def test_a_failed_update_is_logged_once(logged: tuple[io.StringIO, Redactor]) -> None:
    stream, _ = logged

    async def run() -> None:
        client = Client(
            "http://127.0.0.1:9",
            global_limit=asyncio.Semaphore(1),
            vendor_limit=1,
            retry=RetryPolicy(attempts=3, sleep=_no_sleep),
            transport=httpx.MockTransport(lambda r: httpx.Response(400, json={})),
        )
        try:
            with pytest.raises(RequestFailed):
                await client.request("PATCH", "/things/1", json={"a": 1})
        finally:
            await client.close()

    asyncio.run(run())
    [line] = stream.getvalue().splitlines()
    assert re.fullmatch(r"PATCH /things/1 400 \d+ ms", line)


def test_without_a_handler_nothing_is_formatted() -> None:
    assert not logging.getLogger(LOGGER).isEnabledFor(logging.DEBUG)


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the example repository; --sandbox points it at the embedded sandbox."""
    shutil.copytree(REPO / "assistants", tmp_path / "assistants")
    shutil.copytree(REPO / "schemas", tmp_path / "schemas")
    shutil.copy(REPO / "voiceops.yaml", tmp_path / "voiceops.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _run(*args: str) -> Result:
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": WEBHOOK_SECRET, "NO_COLOR": "1"}
    return CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)


def _secrets() -> set[str]:
    values = {*Sandbox().credentials.values(), WEBHOOK_SECRET}
    values.discard("ops@example.com")  # the Edmo login name is not a secret
    return {form for value in values for form in encodings(value)}


def _debug_lines(stderr: str) -> list[re.Match[str]]:
    lines = stderr.splitlines()
    matches = [LINE.fullmatch(line) for line in lines]
    assert all(matches), [line for line, m in zip(lines, matches, strict=True) if not m]
    return [m for m in matches if m]


@pytest.mark.usefixtures("scratch")
def test_debug_plan_and_apply_log_requests_and_change_nothing_else() -> None:
    plain, debug = _run("plan", "--sandbox"), _run("--debug", "plan", "--sandbox")
    assert plain.stderr == ""
    assert (debug.exit_code, debug.stdout) == (plain.exit_code, plain.stdout)
    reads = _debug_lines(debug.stderr)
    assert {m.group(1) for m in reads} >= {"GET", "POST"}  # POST: Edmo's login
    assert all(m.group(3) == "200" for m in reads)

    applied = _run("--debug", "apply", "--auto-approve", "--sandbox")
    assert applied.exit_code == 0, applied.output
    writes = _debug_lines(applied.stderr)
    assert {m.group(1) for m in writes} >= {"GET", "PATCH", "PUT"}
    without = _run("apply", "--auto-approve", "--sandbox")
    # (Results are listed as the vendors answer: compared as sets of lines.)
    assert sorted(without.stdout.splitlines()) == sorted(applied.stdout.splitlines())
    assert without.stderr == ""

    output = "".join(r.stdout + r.stderr for r in (plain, debug, applied, without))
    assert [s for s in _secrets() if s in output] == []


def test_nothing_passes_before_a_redactor_is_handed_in() -> None:
    scrubbing = Scrubbing()
    record = logging.LogRecord(LOGGER, logging.DEBUG, __file__, 1, "GET /%s", (SECRET,), None)
    assert not scrubbing.filter(record)
    redactor = Redactor()
    redactor.add(SECRET)
    scrubbing.scrubbers.append(redactor.redact)
    assert scrubbing.filter(record)
    assert (record.getMessage(), record.args) == ("GET /***", None)


def test_a_record_with_control_characters_stays_one_plain_line() -> None:
    # A failure reason can quote what a vendor sent: it must not start a line of its own
    # or steer the terminal.
    redactor = Redactor()
    scrubbing = Scrubbing()
    scrubbing.scrubbers.append(redactor.redact)
    reason = "bad answer\n::error::forged\x1b[2J\r"
    record = logging.LogRecord(
        LOGGER, logging.DEBUG, __file__, 1, "GET /a failed: %s", (reason,), None
    )
    assert scrubbing.filter(record)
    message = record.getMessage()
    assert "\n" not in message
    assert "\r" not in message
    assert "\x1b" not in message
    assert message.startswith("GET /a failed: bad answer")

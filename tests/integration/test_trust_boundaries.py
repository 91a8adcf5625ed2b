"""Trust boundaries, tried adversarially through the real CLI.

- Secrets never reach an output in any encoding, whatever a vendor echoes.
- Vendor text stays data: no escape sequences on a terminal, no markdown that closes a
  fence or a `<details>` or mentions someone, no workflow command under GitHub Actions, and
  `${` in an imported value stays literal.
- A saved plan is applied exactly or not at all.
- Ids are data; nothing is sent until every connection and every document is valid.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner, Result

from tests.conftest import REPO, Workspace, example_repository
from tests.integration.apply_helpers import CLINIC, updates
from tests.integration.evil_vendor import INJECTION, EvilVendor, serve_evil_vendor
from tests.integration.plan_helpers import FAST_HOOKS, FAST_RETRY
from tests.leaks import encodings
from voiceops.cli import main
from voiceops.errors import Location
from voiceops.live.httpclient import Client
from voiceops.live.providers import PROVIDER_TYPES, build_adapter
from voiceops.reconcile.redaction import SECRET_REF
from voiceops.sandbox.standins import STAND_INS
from voiceops.spec.config import Connection
from voiceops.spec.schemas import SchemaStore

# Credentials and a spec secret with every character an encoding changes; one is short.
SECRETS = {
    "INTERACTLY_API_KEY": 'ia-"key\\/+%20=',
    "EDMO_EMAIL": "ops+ci@example.com",
    "EDMO_PASSWORD": 'pä"ss\\wörd/+%',
    "INVENT_API_KEY": "inv+key/=%2F'x",
    "AUTOCALLS_TOKEN": "Zq7",
    "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": "wh'sec\"ret\\ü/+%",
}
VENDORS = PROVIDER_TYPES
CONNECTIONS = {s.name: s.connection[0] for s in STAND_INS}


def assert_no_secret(channels: dict[str, str], secrets: dict[str, str] = SECRETS) -> None:
    for where, text in channels.items():
        for variable, secret in secrets.items():
            for form in encodings(secret):
                assert form not in text, f"{variable} leaked as {form!r} into {where}"


def assert_plain(result: Result) -> None:
    """One or more plain lines, never a traceback."""
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.exception is None or isinstance(result.exception, SystemExit), output


# ---- a repository whose connections point at the misbehaving vendor ------------------------


class EvilRepo:
    def __init__(self, root: Path, vendor: EvilVendor) -> None:
        self.root = root
        self.vendor = vendor
        self.channels: dict[str, str] = {}

    @property
    def config(self) -> Path:
        return self.root / "voiceops.yaml"

    def run(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        command, *rest = args
        result = CliRunner().invoke(
            main,
            [command, "--config", str(self.config), *rest],
            env={**SECRETS, **(env or {})},
            catch_exceptions=False,
            obj=FAST_HOOKS,
        )
        assert_plain(result)
        label = " ".join(args) + (" (Actions)" if env and env.get("GITHUB_ACTIONS") else "")
        self.channels[f"stdout of {label}"] = result.stdout
        self.channels[f"stderr of {label}"] = result.stderr
        return result

    def collect_files(self) -> None:
        for path in self.root.rglob("*"):
            if path.is_file() and path.suffix in (".json", ".yaml", ".md"):
                self.channels[str(path)] = path.read_text(encoding="utf-8")


@pytest.fixture
def evil_repo(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> Iterator[EvilRepo]:
    mode = getattr(request, "param", "echo")
    with serve_evil_vendor(mode) as vendor:
        root = example_repository(tmp_path / "repo", vendor.base_url)
        monkeypatch.chdir(root)
        yield EvilRepo(root, vendor)


# ---- 1. secrets in every encoding ---------------------------------------------------------


def test_a_vendor_echoing_tokens_and_bodies_reveals_no_secret(evil_repo: EvilRepo) -> None:
    repo = evil_repo
    planfile = repo.root / "plan.json"
    for actions in (None, "true"):
        env = {"GITHUB_ACTIONS": actions}
        for output in ("text", "markdown", "json"):
            assert (
                repo.run("plan", "--format", output, "--out", str(planfile), env=env).exit_code == 1
            )
            assert repo.run("drift", "--format", output, env=env).exit_code == 1
        assert repo.run("apply", "--auto-approve", env=env).exit_code == 1
        for vendor, connection in CONNECTIONS.items():
            assistant_id = {"interactly": CLINIC[1], "edmo": "asst_123"}.get(vendor, "127")
            if vendor == "invent":
                assistant_id = "asst_support"
            out = repo.root / "imported"
            result = repo.run("import", "--provider", connection, "--id", assistant_id,
                              "--out", str(out), env=env)  # fmt: skip
            assert result.exit_code == 1
    repo.collect_files()
    assert planfile.exists()

    # Not vacuous: the vendor got every credential and echoed it in each of its ways.
    received = repo.vendor.received
    assert any(
        SECRETS["INTERACTLY_API_KEY"] in r.headers.get("Authorization", "") for r in received
    )
    assert any(SECRETS["AUTOCALLS_TOKEN"] in r.headers.get("Authorization", "") for r in received)
    assert any("ops+ci@example.com" in r.body for r in received)
    stderr = "\n".join(t for k, t in repo.channels.items() if k.startswith("stderr"))
    assert "answered 400: token *** rejected; header was 'Bearer ***'" in stderr
    assert "a redirect to https://evil.example/login?next=***&t=***&p=***&r=***" in stderr
    assert "answered 422: validation failed for" in stderr
    assert_no_secret(repo.channels)


def test_an_empty_or_unsendable_credential_sends_nothing(evil_repo: EvilRepo) -> None:
    repo = evil_repo
    cases = {
        "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": (
            "",
            "environment variable CLINIC_INTAKE_ASSISTANTSERVER_SECRET is set but empty",
        ),
        "INVENT_API_KEY": ("tok\n", "INVENT_API_KEY cannot be sent in an HTTP header"),
        "AUTOCALLS_TOKEN": ("tökén", "AUTOCALLS_TOKEN cannot be sent in an HTTP header"),
    }
    for variable, (value, message) in cases.items():
        for command in (("plan",), ("apply", "--auto-approve"), ("drift",)):
            result = repo.run(*command, env={variable: value})
            assert result.exit_code == 1
            assert message in result.stderr
            if variable == "CLINIC_INTAKE_ASSISTANTSERVER_SECRET":
                assert "assistants/clinic-intake.yaml:" in result.stderr
            else:
                assert result.stderr.startswith("voiceops.yaml:")
            assert len(result.stderr.splitlines()) == 1
    assert repo.vendor.received == []


# ---- 3. vendor text stays data --------------------------------------------------------------


def assert_markdown_contained(markdown: str) -> None:
    """Vendor text sits only inside code spans and fences it cannot close; no mentions."""
    fence = ""
    for line in markdown.splitlines():
        run = re.match(r"^(`{3,})", line)
        if fence:
            if run and set(line.strip()) == {"`"} and len(line.strip()) >= len(fence):
                fence = ""
            continue
        if run:
            fence = run.group(1)
            continue
        outside = re.sub(r"`[^`]*`", "", line)
        assert "</details>" not in outside or outside == "</details>", line
        assert "</summary>" not in outside or "<summary>" in outside, line
        assert not re.search(r"@[A-Za-z0-9]", outside), line
    assert not fence, "a fence was left open"
    assert not re.search(r"@[A-Za-z0-9]", markdown)


def assert_terminal_safe(text: str) -> None:
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), text


def assert_no_workflow_command(text: str) -> None:
    for line in text.splitlines():
        assert not line.lstrip().startswith("::"), line
    assert "##[" not in text


@pytest.mark.parametrize("evil_repo", ["inject"], indirect=True)
def test_vendor_text_cannot_steer_a_terminal_a_comment_or_the_actions_log(
    evil_repo: EvilRepo,
) -> None:
    repo = evil_repo
    outputs: dict[str, Result] = {}
    for output in ("text", "markdown", "json"):
        outputs[f"plan {output}"] = repo.run(
            "plan", "--format", output, env={"GITHUB_ACTIONS": "true"}
        )
        outputs[f"drift {output}"] = repo.run(
            "drift", "--format", output, env={"GITHUB_ACTIONS": "true"}
        )
    outputs["import"] = repo.run(
        "import", "--provider", "autocalls-sales", "--all", "--out", str(repo.root / "imp"),
        env={"GITHUB_ACTIONS": "true"},
    )  # fmt: skip
    assert outputs["drift text"].exit_code == 2, outputs["drift text"].output
    assert outputs["plan json"].exit_code == 0
    # The hostile text did reach the reports (masked of nothing, just made inert).
    assert "Evil" in outputs["drift text"].stdout
    for name, result in outputs.items():
        for text in (result.stdout, result.stderr):
            assert_terminal_safe(text)
            assert_no_workflow_command(text)
        if name.endswith("markdown"):
            assert_markdown_contained(result.stdout)
    # JSON stays the same data: the vendor's text decodes back exactly.
    plan = json.loads(outputs["plan json"].stdout)
    names = [c["before"] for a in plan["assistants"] for c in a["changes"] if c["path"] == "name"]
    assert INJECTION in names
    assert "the vendor gave it the id '4243/../127', which is not a valid autocalls id" in (
        outputs["import"].stdout
    )
    # The imported file holds the text as data, and loads back to it.
    (imported,) = (repo.root / "imp").glob("*.yaml")
    document = yaml.safe_load(imported.read_text(encoding="utf-8"))
    assert document["spec"]["name"] == INJECTION


def test_import_keeps_a_dollar_brace_in_a_live_value_literal(workspace: Workspace) -> None:
    sb = workspace.sandbox
    token = workspace.env["INTERACTLY_API_KEY"]
    edited = "Hi ${env:INTERACTLY_API_KEY}, and $${ stays too"
    sb.edit(*CLINIC, {"welcomeMessage": edited})
    result = workspace.run("import", "--provider", "interactly-prod", "--id", CLINIC[1], "--force")
    assert result.exit_code == 0, result.output
    text = workspace.spec_file("clinic-intake").read_text(encoding="utf-8")
    assert "Hi $${env:INTERACTLY_API_KEY}, and $$${ stays too" in text
    assert token not in text
    # Import wrote the live webhook secret as a reference to a new variable: set it.
    variable = re.search(r"\$\{env:(CLINIC_INTAKE_ASSISTANTSERVER_SECRET)\}", text)
    assert variable is not None
    env = {variable.group(1): sb.stored(*CLINIC)["assistantServer"]["secret"]}

    sb.clear_requests()
    planned = workspace.run("plan", "--detailed-exitcode", "--target", "clinic-intake", env=env)
    assert planned.exit_code == 0, planned.output
    assert (
        workspace.run("apply", "--auto-approve", "--target", "clinic-intake", env=env).exit_code
        == 0
    )
    assert updates(sb, "interactly") == []
    assert sb.stored(*CLINIC)["welcomeMessage"] == edited


# ---- 4. a saved plan is applied exactly or not at all ---------------------------------------


def _saved_plan(ws: Workspace) -> tuple[Path, dict]:
    planfile = ws.root / "plan.json"
    result = ws.run("plan", "--out", str(planfile))
    assert result.exit_code == 0, result.output
    return planfile, json.loads(planfile.read_text(encoding="utf-8"))


def _clinic(plan: dict) -> dict:
    return next(a for a in plan["assistants"] if a["name"] == "clinic-intake")


def _apply_edited(ws: Workspace, planfile: Path, plan: dict) -> Result:
    planfile.write_text(json.dumps(plan), encoding="utf-8")
    ws.sandbox.clear_requests()
    return ws.run("apply", str(planfile))


def _stale_line(result: Result, name: str) -> str:
    lines = [line for line in result.stdout.splitlines() if f" {name}:" in line]
    assert len(lines) == 1, result.stdout
    assert lines[0].split()[0] == "stale", lines[0]
    return lines[0]


def test_an_edited_request_body_is_stale_and_not_sent(workspace: Workspace) -> None:
    planfile, plan = _saved_plan(workspace)
    _clinic(plan)["request"]["body"]["assistantLLMUrl"] = "https://attacker.example/llm"
    result = _apply_edited(workspace, planfile, plan)
    assert result.exit_code == 1
    assert "plan again" in _stale_line(result, "clinic-intake")
    assert updates(workspace.sandbox, "interactly") == []
    assert len(updates(workspace.sandbox)) == 3  # the others, exactly as planned
    assert "assistantLLMUrl" not in workspace.sandbox.stored(*CLINIC)


def test_a_secret_rotated_after_the_plan_is_stale(workspace: Workspace) -> None:
    """The plan holds a reference, not the value: a secret that changes between plan and
    apply would add a change nobody reviewed. The assistant is stale; nothing is sent."""
    sb = workspace.sandbox
    env = {"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": sb.stored(*CLINIC)["assistantServer"]["secret"]}
    planfile = workspace.root / "plan.json"
    planned = workspace.run("plan", "--target", "clinic-intake", "--out", str(planfile), env=env)
    assert planned.exit_code == 0, planned.output
    assert "secret" not in planned.stdout  # the secret was no change when planned
    sb.clear_requests()
    result = workspace.run(
        "apply", str(planfile), env={"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": "rotated-later"}
    )
    assert result.exit_code == 1
    assert "secret rotated" in _stale_line(result, "clinic-intake")
    assert updates(sb, "interactly") == []
    assert sb.stored(*CLINIC)["assistantServer"]["secret"] == env[next(iter(env))]


def test_a_secret_reference_pointed_elsewhere_is_stale(workspace: Workspace) -> None:
    sb = workspace.sandbox
    planfile, plan = _saved_plan(workspace)
    body = _clinic(plan)["request"]["body"]
    # Send the webhook secret as the welcome message, where anyone calling would hear it.
    reference = body["assistantServer"]["secret"]
    assert SECRET_REF in reference
    body["welcomeMessage"] = reference
    result = _apply_edited(workspace, planfile, plan)
    assert result.exit_code == 1
    _stale_line(result, "clinic-intake")
    assert updates(sb, "interactly") == []
    assert (
        sb.stored(*CLINIC)["welcomeMessage"]
        != workspace.env["CLINIC_INTAKE_ASSISTANTSERVER_SECRET"]
    )


def test_a_reference_re_pointed_at_live_state_is_stale(workspace: Workspace) -> None:
    planfile, plan = _saved_plan(workspace)
    body = _clinic(plan)["request"]["body"]
    body["assistantServer"]["secret"] = {SECRET_REF: {"from": "live", "path": ["name"]}}
    result = _apply_edited(workspace, planfile, plan)
    assert result.exit_code == 1
    _stale_line(result, "clinic-intake")
    assert updates(workspace.sandbox, "interactly") == []


def test_a_duplicated_entry_is_stale_and_never_sent_twice(workspace: Workspace) -> None:
    planfile, plan = _saved_plan(workspace)
    plan["assistants"].append(json.loads(json.dumps(_clinic(plan))))
    result = _apply_edited(workspace, planfile, plan)
    assert result.exit_code == 1
    assert "holds it 2 times" in _stale_line(result, "clinic-intake")
    assert updates(workspace.sandbox, "interactly") == []
    assert "Apply: 3 applied, 0 unchanged, 1 stale" in result.stdout


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda a: a["request"].update(path=a["request"]["path"] + "/../other"), "stale"),
        (lambda a: a["request"].update(method="DELETE"), "stale"),
        (lambda a: a.update(id="6a1c2e3f4b5d6e7f8a9b0c1d"), "stale"),
        (lambda a: a["request"]["body"].update(name=True), "stale"),
    ],
    ids=["path", "method", "id", "value-type"],
)
def test_any_other_edit_of_a_request_is_stale(workspace: Workspace, edit, expected: str) -> None:
    planfile, plan = _saved_plan(workspace)
    edit(_clinic(plan))
    result = _apply_edited(workspace, planfile, plan)
    assert result.exit_code == 1
    _stale_line(result, "clinic-intake")
    assert updates(workspace.sandbox, "interactly") == []


MALFORMED: dict[str, object] = {
    "binary": b"\x89PNG\r\n\x1a\n\x00\xff\xfe",
    "empty": b"",
    "not-json": b"{format_version: 1",
    "a-list": b"[]",
    "format-version-true": {"format_version": True, "assistants": []},
    "format-version-5": {"format_version": 5, "assistants": []},
    "format-version-a-string": {"format_version": "2", "assistants": []},
    "assistants-mapping": {"format_version": 1, "assistants": {"clinic-intake": {}}},
    "entry-a-string": {"format_version": 1, "assistants": ["clinic-intake"]},
    "missing-name": "name",
    "name-a-number": ("name", 7),
    "request-a-list": ("request", []),
    "body-a-string": ("request.body", "x"),
    "method-null": ("request.method", None),
    "fingerprint-a-number": ("fingerprint", 1),
    "unknown-status": ("status", "destroy"),
    "changes-an-object": ("changes", {}),
    "error-a-number": ("error", 3),
    "warnings-a-string": lambda plan: plan.update(warnings="none"),
    "summary-a-list": lambda plan: plan.update(summary=[]),
    "nested-deep": b"[" * 100_000 + b"]" * 100_000,
    "change-a-string": lambda plan: _clinic(plan)["changes"].__setitem__(0, "idleTimeout"),
    "change-without-path": lambda plan: _clinic(plan)["changes"][0].pop("path_parts"),
    "change-path-empty": lambda plan: _clinic(plan)["changes"][0].update(path_parts=[]),
    "change-path-a-bool": lambda plan: _clinic(plan)["changes"][0].update(path_parts=[True]),
    "change-flag-a-string": lambda plan: _clinic(plan)["changes"][0].update(sensitive="no"),
    "change-origin-a-number": lambda plan: _clinic(plan)["changes"][0].update(origin=1),
    "change-labels-a-string": lambda plan: _clinic(plan)["changes"][0].update(labels="model"),
    "update-without-id": ("id", None),
    "body-null-not-a-delete": ("request.body", None),
    "create-with-an-id": ("status", "create"),
    "adopt-without-id": lambda plan: _clinic(plan).update(status="adopt", id=None),
}


@pytest.mark.parametrize("case", list(MALFORMED), ids=list(MALFORMED))
def test_a_malformed_plan_file_is_one_sentence(workspace: Workspace, case: str) -> None:
    planfile, plan = _saved_plan(workspace)
    value = MALFORMED[case]
    if isinstance(value, bytes):
        planfile.write_bytes(value)
    else:
        if callable(value):
            value(plan)
        elif isinstance(value, dict):
            plan = value
        else:
            key, replacement = (value, None) if isinstance(value, str) else value
            target = _clinic(plan)
            *parents, last = key.split(".")
            for part in parents:
                target = target[part]
            if isinstance(value, str):
                del target[last]
            else:
                target[last] = replacement
        planfile.write_text(json.dumps(plan), encoding="utf-8")
    workspace.sandbox.clear_requests()
    result = workspace.run("apply", str(planfile))
    assert_plain(result)
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: "), result.stderr
    assert "plan file" in lines[0]
    assert workspace.sandbox.requests() == []


def test_a_directory_or_a_missing_file_as_plan_file(workspace: Workspace) -> None:
    for target in (workspace.root / "assistants", workspace.root / "no-such-plan.json"):
        result = workspace.run("apply", str(target))
        assert_plain(result)
        assert result.exit_code == 1
        assert len(result.stderr.splitlines()) == 1, result.stderr
    assert workspace.sandbox.requests() == []


# ---- 5. ids are data ----------------------------------------------------------------------


def _line_of(path: Path, start: str) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return next(n for n, text in enumerate(lines, 1) if text.strip().startswith(start))


def _write_document(
    ws: Workspace, connection: str, assistant_id: object, name: str, provider: str = ""
) -> Path:
    spec = {
        "interactly-prod": {"idleTimeout": 20},
        "edmo-main": {"name": "X"},
        "invent-support": {"enabled": True},
        "autocalls-sales": {"record": True},
    }[connection]
    document = {
        "apiVersion": "voiceops/v1",
        "kind": "Assistant",
        "metadata": {"name": name},
        "provider": provider or connection,
        "id": assistant_id,
        "spec": spec,
    }
    path = ws.root / "assistants" / f"{name}.yaml"
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("connection", "assistant_id"),
    [
        ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1c/../5f7b1b1b1b1b1b1b1b1b1b1b"),
        ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b#b"),
        ("edmo-main", "asst_123?a=b"),
        ("edmo-main", ".."),
        ("invent-support", "asst_support/../asst_sales"),
        ("invent-support", "asst support"),
        ("autocalls-sales", "127abc"),
        ("autocalls-sales", "%31%32%37"),
    ],
)
def test_an_id_that_is_not_one_plain_segment_is_refused(
    workspace: Workspace, connection: str, assistant_id: str
) -> None:
    path = _write_document(workspace, connection, assistant_id, "crafted")
    for command in (("validate",), ("plan",), ("apply", "--auto-approve")):
        result = workspace.run(*command)
        assert_plain(result)
        assert result.exit_code == 1
        line = _line_of(path, "id:")
        assert f"assistants/crafted.yaml:{line}:5: id " in result.stderr
    assert workspace.sandbox.requests() == []


@pytest.mark.parametrize(
    ("connection", "first", "second"),
    [
        ("autocalls-sales", 127, "0127"),
        ("interactly-prod", "5f7b1b1b1b1b1b1b1b1b1b1b", "5F7B1B1B1B1B1B1B1B1B1B1B"),
        (
            "edmo-main",
            "3f2a1c9e-0b7d-4e15-9a3c-2d4e6f8a0b1c",
            "3F2A1C9E-0B7D-4E15-9A3C-2D4E6F8A0B1C",
        ),
    ],
)
def test_two_spellings_of_one_id_are_one_assistant(
    workspace: Workspace, connection: str, first: object, second: object
) -> None:
    _write_document(workspace, connection, first, "first-spelling")
    _write_document(workspace, connection, second, "second-spelling")
    result = workspace.run("validate")
    assert result.exit_code == 1
    assert "is already managed by" in result.stderr


def test_a_second_connection_to_the_same_account_cannot_manage_the_same_assistant(
    workspace: Workspace,
) -> None:
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config["providers"]["autocalls-copy"] = dict(config["providers"]["autocalls-sales"])
    workspace.config.write_text(yaml.safe_dump(config), encoding="utf-8")
    _write_document(workspace, "autocalls-sales", 127, "copy-of-sales", "autocalls-copy")
    result = workspace.run("validate")
    assert result.exit_code == 1
    assert "(the same account as 'autocalls-" in result.stderr


@pytest.mark.parametrize("vendor", VENDORS)
def test_every_id_travels_as_one_encoded_path_segment(vendor: str) -> None:
    """Over real HTTP: whatever an id holds, the vendor receives it as one path segment."""
    crafted = "x/../y?a=b#c%2F.."
    with serve_evil_vendor("echo") as server:
        connection = Connection(
            CONNECTIONS.get(vendor, f"{vendor}-x"),
            vendor,
            {"type": vendor, "base_url": server.base_url(vendor), "org_id": "c/../d"},
            Location("voiceops.yaml"),
        )
        provider = build_adapter(connection, SchemaStore(), {})

        async def send() -> None:
            client = Client(
                provider.base_url, global_limit=asyncio.Semaphore(4), vendor_limit=4,
                retry=FAST_RETRY,
            )  # fmt: skip
            try:
                method, path = provider.update_target(crafted)
                await client.http.request(method, path, json={})
            finally:
                await client.close()

        if vendor == "edmo":
            # (Edmo reads and updates the same path.)
            assert provider.read_path(crafted) == provider.update_target(crafted)[1]
        asyncio.run(send())
        (received,) = server.received
    encoded = "x%2F..%2Fy%3Fa%3Db%23c%252F.."
    assert received.raw_path.endswith("/" + encoded), received.raw_path
    assert "?" not in received.raw_path
    if vendor == "invent":
        assert "/orgs/c%2F..%2Fd/" in received.raw_path


def test_dot_segments_are_encoded_too() -> None:
    from voiceops.live.providers.base import segment

    assert segment("..") == "%2E%2E"
    assert segment(".") == "%2E"
    assert segment("a.b") == "a.b"


# ---- 6. nothing is sent until everything is valid -----------------------------------------


@pytest.mark.parametrize(
    ("base_url", "says"),
    [
        ("http://evil.example", "must use https://"),
        ("https://user:pass@api.useinvent.com", "must not contain user info"),
        ("https://api.useinvent.com/?debug=1", "must not contain a query"),
        ("https://api.useinvent.com/#x", "must not contain a query (?…) or a fragment"),
        ("https://api.useinvent.com:99999", "is not a valid URL"),
        ("http://[::1", "is not a valid URL"),
    ],
)
def test_a_bad_connection_setting_stops_every_vendor(
    workspace: Workspace, base_url: str, says: str
) -> None:
    config = yaml.safe_load(workspace.config.read_text(encoding="utf-8"))
    config["providers"]["invent-support"]["base_url"] = base_url
    workspace.config.write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    lines = workspace.config.read_text(encoding="utf-8").splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "base_url:" in text and base_url in text)
    for command in (("validate",), ("plan",), ("apply", "--auto-approve"), ("drift",)):
        result = workspace.run(*command)
        assert_plain(result)
        assert result.exit_code == 1
        assert f"voiceops.yaml:{line}:" in result.stderr
        assert says in result.stderr
        assert "user:pass@" not in result.stderr  # a password in the URL is never repeated
    assert workspace.sandbox.requests() == []


def test_an_empty_variable_is_refused_under_sandbox_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--sandbox fills in unset variables, but one set to "" is refused as in a real run."""
    shutil.copytree(REPO / "assistants", tmp_path / "assistants")
    shutil.copy(REPO / "voiceops.yaml", tmp_path / "voiceops.yaml")
    monkeypatch.chdir(tmp_path)
    for command in (("plan",), ("apply", "--auto-approve")):
        result = CliRunner().invoke(
            main,
            [*command, "--sandbox"],
            env={"CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ""},
        )
        assert_plain(result)
        assert result.exit_code == 1
        assert result.stderr.startswith("assistants/clinic-intake.yaml:")
        assert "CLINIC_INTAKE_ASSISTANTSERVER_SECRET is set but empty" in result.stderr


def test_a_file_name_cannot_start_a_workflow_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(REPO / "assistants", tmp_path / "assistants")
    shutil.copy(REPO / "voiceops.yaml", tmp_path / "voiceops.yaml")
    (tmp_path / "assistants" / "::warning::x.yaml").write_text("- not a mapping\n")
    (tmp_path / "assistants" / "##[error]y\x1b[2J.yaml").write_text("- not a mapping\n")
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["validate"], env={"GITHUB_ACTIONS": "true"})
    assert_plain(result)
    assert result.exit_code == 1
    lines = (result.stdout + result.stderr).splitlines()
    annotations = [line for line in lines if line.startswith("::error ")]
    assert len(annotations) == 2  # voiceops's own, with the file name escaped inside
    for line in lines:
        assert line in annotations or not line.lstrip().startswith("::"), line
        assert "##[" not in line, line
        assert "\x1b" not in line, line


def test_import_refuses_an_id_of_the_wrong_form_before_any_request(workspace: Workspace) -> None:
    workspace.sandbox.clear_requests()
    crafted = f"{CLINIC[1]}/../6a1c2e3f4b5d6e7f8a9b0c1d"
    result = workspace.run("import", "--provider", "interactly-prod", "--id", crafted)
    assert_plain(result)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: --id ")
    assert "24 hexadecimal digits" in result.stderr
    assert workspace.sandbox.requests() == []

"""Secret values never leave the process: not in stdout, stderr, plan files, the write-only
record or log records, whatever the command and however it ends."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from click.testing import Result

from tests.conftest import Workspace
from tests.integration.apply_helpers import (
    CLINIC,
    SALES,
    Intercept,
    add_document,
    api_apply,
    is_update,
    sandbox_fault,
    updates,
)
from voiceops.sandbox import Faults

ROTATED = "rotated-clinic-webhook-secret"
DASHBOARD = "secret-typed-into-the-dashboard"
PROMPT_SECRET = "prompt-token-7f1c9a"
WEBHOOK_SECRET_URL = "https://hooks.example.com/sales?token=url-token-51d2"
AFTER_HOURS = "6a1c2e3f4b5d6e7f8a9b0c1d"


def secrets_of(ws: Workspace) -> set[str]:
    sb = ws.sandbox
    return {
        *sb.credentials.values(),  # API keys, the Edmo password and the webhook secret
        ROTATED,
        DASHBOARD,
        PROMPT_SECRET,
        WEBHOOK_SECRET_URL,
        sb.stored("interactly", AFTER_HOURS)["assistantServer"]["secret"],
        sb.stored("interactly", AFTER_HOURS)["assistantServer"]["headers"]["X-Clinic"],
        sb.stored("invent", "asst_support")["secret_key"],
    }


class Outputs:
    def __init__(self, ws: Workspace) -> None:
        self.ws = ws
        self.texts: list[tuple[str, str]] = []

    def run(self, *args: str, env: dict[str, str | None] | None = None) -> Result:
        result = self.ws.run(*args, env=env)
        self.texts.append((f"stdout of {args}", result.stdout))
        self.texts.append((f"stderr of {args}", result.stderr))
        return result

    def file(self, path: Path) -> None:
        if path.exists():
            self.texts.append((str(path), path.read_text(encoding="utf-8")))


@pytest.fixture
def secret_specs(workspace: Workspace) -> dict[str, str]:
    """Specs that use secrets in several ways; returns the environment they need."""
    prompt = "\n".join(
        [
            "You are the front-desk assistant of Riverside Family Clinic.",
            "Quote the internal reference ${env:PROMPT_SECRET} when you hand over.",
            "Never give medical advice.",
        ]
        * 3
    )
    workspace.edit_spec("clinic-intake", assistantSystemPrompt=prompt)
    workspace.edit_spec("sales-outreach", webhook_url="${env:SALES_WEBHOOK_URL}")
    # An assistant whose live secret and headers git does not manage: they ride along in
    # the replaced-whole assistantServer.
    add_document(
        workspace,
        "after-hours",
        "interactly-prod",
        AFTER_HOURS,
        {"assistantServer": {"url": "https://hooks.example.com/after-hours-v2"}},
    )
    return {"PROMPT_SECRET": PROMPT_SECRET, "SALES_WEBHOOK_URL": WEBHOOK_SECRET_URL}


def test_no_secret_in_any_output(
    workspace: Workspace, secret_specs: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    sb = workspace.sandbox
    out = Outputs(workspace)
    env = secret_specs
    planfile = workspace.root / "plan.json"

    for output in ("text", "markdown", "json"):
        out.run("plan", "--format", output, env=env)
    # A new webhook secret, planned and then applied (a saved plan is applied with the
    # secrets it was planned with; a rotation after planning would make it stale).
    rotated = {**env, "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    assert out.run("plan", "--out", str(planfile), env=rotated).exit_code == 0
    out.file(planfile)
    applied = out.run("apply", str(planfile), env=rotated)
    assert applied.exit_code == 0, applied.output
    out.file(workspace.root / ".voiceops" / "write-only.json")

    # The secrets really were sent: the scan below is not vacuous.
    # (The sandbox's log redacts secret values; what the stand-ins stored shows them.)
    sent = {r.path: r.body for r in updates(sb)}
    assert sb.stored(*CLINIC)["assistantServer"]["secret"] == ROTATED
    after_hours = sent[f"/assistants/v1/assistants/{AFTER_HOURS}"]["assistantServer"]
    # The replaced-whole object carried the live secret and headers along, or they'd be gone.
    assert after_hours["secret"] == "<redacted>"
    assert after_hours["headers"] == {"X-Clinic": "<redacted>"}
    stored = sb.stored("interactly", AFTER_HOURS)["assistantServer"]
    assert stored["secret"] == "sandbox-after-hours-secret"
    assert stored["headers"] == {"X-Clinic": "riverside"}
    assert sent[f"/user/assistant/{SALES[1]}"]["webhook_url"] == "<redacted>"
    assert sb.stored(*SALES)["webhook_url"] == WEBHOOK_SECRET_URL

    # Someone changes the secret in the dashboard: drift and the next plan report it, masked.
    server = sb.stored(*CLINIC)["assistantServer"]
    sb.edit(*CLINIC, {"assistantServer": {**server, "secret": DASHBOARD}})
    for output in ("text", "markdown", "json"):
        assert out.run("drift", "--format", output, env=rotated).exit_code == 2
    out.run("plan", "--detailed-exitcode", env=rotated)
    assert out.run("apply", "--auto-approve", env=rotated).exit_code == 0
    assert sb.stored(*CLINIC)["assistantServer"]["secret"] == ROTATED

    # Failures: rejected credentials, a missing variable, a stale plan, a vendor error.
    out.run("plan", env={**rotated, "INTERACTLY_API_KEY": "sandbox-interactly-other-key"})
    out.run("apply", "--auto-approve", env={**rotated, "EDMO_PASSWORD": ROTATED})
    missing = out.run("plan", env={**env, "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": None})  # type: ignore[dict-item]
    assert "CLINIC_INTAKE_ASSISTANTSERVER_SECRET is not set" in missing.stderr
    assert out.run("plan", "--out", str(planfile), env=env).exit_code == 0
    out.file(planfile)
    sb.edit(*CLINIC, {"idleTimeout": 44})
    out.run("apply", str(planfile), env=env)
    out.run("apply", "--auto-approve", env={**rotated, "SALES_WEBHOOK_URL": "https://"})

    secrets = secrets_of(workspace)
    for where, text in [*out.texts, ("log records", caplog.text)]:
        for secret in secrets:
            assert secret not in text, f"{secret!r} leaked into {where}"


def test_no_secret_in_failures_under_faults(
    workspace: Workspace, secret_specs: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    sb = workspace.sandbox
    rotated = {**secret_specs, "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": ROTATED}
    for faults in (Faults(drop_rate=1.0), Faults(rate_5xx=1.0), Faults(slow_rate=1.0, slow_s=3)):
        transport = Intercept(is_update, sandbox_fault(sb, faults), times=99)
        api_apply(workspace, env=rotated, transport=transport, timeout_s=0.5)
    captured = capsys.readouterr()
    for secret in secrets_of(workspace):
        assert secret not in captured.out
        assert secret not in captured.err

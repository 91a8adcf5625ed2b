"""What several walkthroughs share: the sandbox's connections and its dummy credentials."""

from __future__ import annotations

from tools.walkthroughs.runner import Export, Step


def providers_block(port: int) -> str:
    """The `providers:` block `voiceops sandbox --port PORT` prints."""
    base = f"http://127.0.0.1:{port}"
    return f"""\
providers:
  interactly-prod:
    type: interactly
    base_url: {base}/interactly
    token_env: INTERACTLY_API_KEY
  edmo-main:
    type: edmo
    base_url: {base}/edmo
    email_env: EDMO_EMAIL
    password_env: EDMO_PASSWORD
  invent-support:
    type: invent
    base_url: {base}/invent
    org_id: c
    token_env: INVENT_API_KEY
  autocalls-sales:
    type: autocalls
    base_url: {base}/autocalls
    token_env: AUTOCALLS_TOKEN
"""


# The `export` lines the sandbox prints: its dummy credentials.
SANDBOX_CREDENTIALS = {
    "INTERACTLY_API_KEY": "sandbox-interactly-key",
    "EDMO_EMAIL": "ops@example.com",
    "EDMO_PASSWORD": "sandbox-edmo-password",
    "INVENT_API_KEY": "sandbox-invent-key",
    "AUTOCALLS_TOKEN": "sandbox-autocalls-token",
    "CLINIC_INTAKE_ASSISTANTSERVER_SECRET": "sandbox-webhook-secret",
}


def sandbox_exports() -> list[Step]:
    return [Export(name, value) for name, value in SANDBOX_CREDENTIALS.items()]

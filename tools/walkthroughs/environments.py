"""Staging and production: two sandboxes stand in for two Edmo accounts."""

from __future__ import annotations

from tools.walkthroughs.runner import Comment, Export, Run, Sandbox, Walkthrough, Write

STAGING, PRODUCTION = 8801, 8802

CONFIG = f"""\
assistants: assistants/
providers:
  edmo-main:
    type: edmo
    base_url: http://127.0.0.1:{PRODUCTION}/edmo          # production (a sandbox here)
    email_env: EDMO_EMAIL
    password_env: EDMO_PASSWORD
environments:
  staging:
    providers:                                    # merged over providers (RFC 7396)
      edmo-main:
        base_url: http://127.0.0.1:{STAGING}/edmo
        email_env: EDMO_STAGING_EMAIL
        password_env: EDMO_STAGING_PASSWORD
  production: {{}}
"""

TUTOR = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: tutor}
provider: edmo-main
spec:
  name: Tutor
  firstMessage: Hi! What are we studying today?
  model: {provider: openai, model: gpt-4o}
  metadata: {webhook: "https://hooks.example.com/prod"}
environments:
  staging:
    spec: {metadata: {webhook: "https://hooks.example.com/staging"}}   # merged over spec
  production: {}
"""

STAGING_URL = f"http://127.0.0.1:{STAGING}/edmo"
LOGIN = (
    f"curl -s -c cookies.txt -H 'Content-Type: application/json'"
    """ -d '{"email": "ops@example.com", "password": "sandbox-edmo-password"}'"""
    f" {STAGING_URL}/auth/login"
)
DASHBOARD_EDIT = (
    "curl -s -o /dev/null -w '%{http_code}\\n' -b cookies.txt -X PATCH"
    " -H 'Content-Type: application/json'"
    """ -d '{"firstMessage": "Hello from the dashboard"}'"""
    f' "{STAGING_URL}/assistants/$STAGING_ID"'
)

ENVIRONMENTS = Walkthrough(
    name="environments",
    pages=["docs/environments.md"],
    steps=[
        Sandbox(STAGING, show_banner=False),
        Sandbox(PRODUCTION, show_banner=False),
        # Both sandboxes hand out the same dummy credentials.
        Export("EDMO_EMAIL", "ops@example.com"),
        Export("EDMO_PASSWORD", "sandbox-edmo-password"),
        Export("EDMO_STAGING_EMAIL", "ops@example.com"),
        Export("EDMO_STAGING_PASSWORD", "sandbox-edmo-password"),
        Write("voiceops.yaml", CONFIG),
        Write("assistants/tutor.yaml", TUTOR),
        Run("voiceops plan", exit_code=1),
        Run("voiceops plan --env staging"),
        Run("cp assistants/tutor.yaml before.yaml"),
        Run("voiceops apply --env staging --auto-approve"),
        Run("voiceops apply --env production --auto-approve", note="the promotion, after review"),
        Run("diff before.yaml assistants/tutor.yaml"),
        Run("voiceops render --env staging"),
        Comment("someone changes the staging assistant in the Edmo dashboard (here: with curl)"),
        Export(
            "STAGING_ID",
            command="""voiceops render --env staging | sed -n 's/^id: "\\(.*\\)"$/\\1/p'""",
        ),
        Run(LOGIN),
        Run(DASHBOARD_EDIT),
        Run("voiceops drift --env staging", exit_code=2),
        Run("voiceops drift --env production"),
    ],
    volatile=[(r"asst_[0-9]{9}", "asst_10000000{}")],
)

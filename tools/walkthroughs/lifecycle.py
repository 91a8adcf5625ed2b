"""Creating, adopting and deleting assistants, and seeing the unmanaged ones."""

from __future__ import annotations

from tools.walkthroughs.common import providers_block, sandbox_exports
from tools.walkthroughs.runner import Block, Edit, Run, Sandbox, Walkthrough, Write

PORT = 8799

INTAKE_ES = """\
# yaml-language-server: $schema=../schemas/assistant.schema.json
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: intake-es
  labels: {team: care}
provider: autocalls-sales
# no id yet: apply creates the assistant and writes its id here
spec:
  name: Intake ES
  voice_id: 12
  language_id: 2
  type: inbound
  mode: multimodal
  multimodal_model_id: 1
  tts_emotion_enabled: false
  timezone: Europe/Madrid
  initial_message: "Hola, ¿en qué puedo ayudarle?"
  system_prompt: Take the caller's name, date of birth and reason for calling.
"""

FRONT_DESK = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: front-desk}
provider: interactly-prod
spec:
  name: Front Desk
---
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: front-desk-edmo}
provider: edmo-main
spec:
  name: Front Desk
  model:
    provider: openai
---
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: front-desk-invent}
provider: invent-support
id: asst_sales
ensure: absent
"""

CAREERS = """\
apiVersion: voiceops/v1
kind: Assistant
metadata: {name: careers}
provider: invent-support
spec:
  name: Careers
"""

ENROLLMENT = """\
apiVersion: voiceops/v1
kind: Assistant
metadata:
  name: enrollment-assistant
provider: edmo-main
id: asst_123
ensure: absent
"""

LIFECYCLE = Walkthrough(
    name="lifecycle",
    pages=["docs/lifecycle.md"],
    steps=[
        Block("lifecycle-setup"),
        Sandbox(PORT, show_banner=False),
        Write("voiceops.yaml", "assistants: assistants/\n" + providers_block(PORT)),
        *sandbox_exports(),
        Block("lifecycle-create"),
        Write("assistants/intake-es.yaml", INTAKE_ES),
        Run("cp assistants/intake-es.yaml before.yaml"),
        Run("voiceops plan --target intake-es"),
        Run("voiceops apply --auto-approve --target intake-es"),
        Run("diff before.yaml assistants/intake-es.yaml"),
        Run("voiceops plan --detailed-exitcode --target intake-es"),
        Block("lifecycle-validate"),
        Write("assistants/front-desk.yaml", FRONT_DESK),
        Run("voiceops validate", exit_code=1),
        Run("rm assistants/front-desk.yaml"),
        Block("lifecycle-adopt"),
        Write("assistants/careers.yaml", CAREERS),
        Run("voiceops plan --target careers"),
        Run("voiceops apply --auto-approve --target careers"),
        Run("cat assistants/careers.yaml"),
        Block("lifecycle-delete"),
        Write("assistants/enrollment-assistant.yaml", ENROLLMENT),
        Run("voiceops plan --target enrollment-assistant"),
        Run("voiceops apply --auto-approve --target enrollment-assistant"),
        Run("voiceops plan --detailed-exitcode --target enrollment-assistant"),
        Block("lifecycle-unmanaged"),
        Edit(
            "voiceops.yaml",
            "    org_id: c\n",
            "    org_id: c\n    report_unmanaged: true\n",
            "report_unmanaged: true on invent-support",
        ),
        Run("voiceops drift", exit_code=2),
    ],
)

"""Day one: the sandbox, then import → plan → apply → drift in an empty repository."""

from __future__ import annotations

from tools.walkthroughs.common import providers_block, sandbox_exports
from tools.walkthroughs.runner import Block, Comment, Edit, Run, Sandbox, Walkthrough, Write

PORT = 8799
DASHBOARD_EDIT = (
    f"curl -s -X PUT http://127.0.0.1:{PORT}/autocalls/user/assistant/127"
    ' -H "Authorization: Bearer $AUTOCALLS_TOKEN" -H "Content-Type: application/json"'
    """ -d '{"max_duration": 600}'"""
)

DAY_ONE = Walkthrough(
    name="day-one",
    pages=["docs/day-one.md"],
    steps=[
        Block("day-one-sandbox"),
        Sandbox(PORT),
        Block("day-one"),
        Write("voiceops.yaml", "assistants: assistants/\n" + providers_block(PORT)),
        *sandbox_exports(),
        Run("voiceops doctor", note="first: does voiceops' model match the account?"),
        Run("voiceops import --provider autocalls-sales --all"),
        Run("voiceops import --provider interactly-prod --id 5f7b1b1b1b1b1b1b1b1b1b1b"),
        Run("voiceops validate"),
        Run("voiceops plan --detailed-exitcode"),
        Edit(
            "assistants/sales-outreach.yaml",
            "  max_duration: 600\n",
            "  max_duration: 900\n  tts_emotion_enabled: false\n",
            "max_duration: 900, and a new line tts_emotion_enabled: false",
        ),
        Edit(
            "assistants/clinic-intake.yaml",
            "  idleTimeout: 30\n",
            "  idleTimeout: 20\n",
            "idleTimeout: 20",
        ),
        Run("voiceops plan --out plan.json"),
        Run("voiceops apply plan.json"),
        Run("voiceops apply plan.json", note="the same plan again: nothing is sent"),
        Comment("someone changes sales-outreach in the dashboard (here: with curl):"),
        Run(DASHBOARD_EDIT),
        Run("voiceops drift", exit_code=2),
        Run("voiceops apply --auto-approve"),
        Run("voiceops drift"),
    ],
)

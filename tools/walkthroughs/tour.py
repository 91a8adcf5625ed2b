"""The README's five-minute tour: a starter repository, planned and applied against the
sandbox that `--sandbox` starts inside the command."""

from __future__ import annotations

from tools.walkthroughs.runner import Comment, Edit, Run, Walkthrough

TEMPERATURE = "  model:\n    provider: openai\n    model: gpt-4o\n    temperature: {}\n"

TOUR = Walkthrough(
    name="tour",
    pages=["README.md"],  # and docs/index.md, which is the README
    steps=[
        Run("voiceops init"),
        Run("cat assistants/enrollment-assistant.yaml"),
        Run("voiceops validate"),
        Run("voiceops plan --sandbox"),
        Edit(
            "assistants/enrollment-assistant.yaml",
            TEMPERATURE.format("0.6"),
            TEMPERATURE.format("6"),
            "a typo, model.temperature: 6",
        ),
        Run("voiceops validate", exit_code=1),
        Edit(
            "assistants/enrollment-assistant.yaml",
            TEMPERATURE.format("6"),
            TEMPERATURE.format("0.6"),
            "fixed, model.temperature: 0.6",
        ),
        Run("voiceops apply --sandbox --auto-approve --target enrollment-assistant"),
        Comment("every --sandbox run starts a fresh sandbox from its seed: the apply is gone"),
        Run("voiceops drift --sandbox --connection edmo-main", exit_code=2),
    ],
)

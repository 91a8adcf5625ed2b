"""The pull-request comment stays under GitHub's limit and says when it left things out."""

from __future__ import annotations

import re

import pytest

from tests.conftest import Workspace
from tests.integration.plan_helpers import add_spec
from voiceops.reconcile.changes import ABSENT, Change
from voiceops.reconcile.plan import AssistantPlan, Plan
from voiceops.render import markdown
from voiceops.sandbox import Sandbox

LIMIT = 65_536


def _assistant(number: int, value: str, *, changes: int = 6, error: str | None = None):
    plan = AssistantPlan(
        name=f"assistant-{number:04d}",
        connection="interactly-prod",
        provider_type="interactly",
        id=f"id-{number}",
        source=f"assistants/assistant-{number:04d}.yaml:4:9",
        error=error,
    )
    plan.changes = [
        Change((f"field{i}",), f"{value} before {i}", f"{value} after {i}") for i in range(changes)
    ]
    return plan


def _synthetic(count: int, value: str = "x" * 80, **kwargs: object) -> Plan:
    return Plan([_assistant(n, value, **kwargs) for n in range(count)], managed=count)  # type: ignore[arg-type]


def _shown(text: str) -> int:
    return len(re.findall(r"<details", text))


def _left_out(text: str) -> int:
    match = re.search(r"\*\*Truncated:\*\* (\d+) more assistant\(s\) are not shown", text)
    assert match, text[-500:]
    return int(match.group(1))


def test_small_plan_is_whole() -> None:
    text = markdown.render(_synthetic(3))
    assert _shown(text) == 3
    assert "Truncated" not in text


@pytest.mark.parametrize("count", [150, 400, 2000])
def test_many_changed_assistants_are_truncated_with_a_note(count: int) -> None:
    text = markdown.render(_synthetic(count))
    assert len(text) < LIMIT
    shown = _shown(text)
    assert 0 < shown < count
    assert _left_out(text) == count - shown
    assert "The job log has the full report." in text
    assert text.rstrip().endswith("The job log has the full report.")
    assert f"| {count} | 0 | 0 |" in text  # the summary still counts every assistant


def test_mentions_are_escaped_within_the_budget() -> None:
    # Every "@" becomes two characters; the budget must count them.
    text = markdown.render(_synthetic(300, value="@" * 250))
    assert len(text) < LIMIT
    assert "@@" not in text
    assert _left_out(text) == 300 - _shown(text)


def test_one_huge_assistant_alone_is_left_out_with_the_note() -> None:
    huge = _assistant(1, "y" * 250, changes=400)
    text = markdown.render(Plan([huge], managed=1))
    assert len(text) < LIMIT
    assert _left_out(text) == 1


def test_long_text_diffs_count_too() -> None:
    plan = Plan(
        [_assistant(n, "z", changes=0) for n in range(60)],
        managed=60,
    )
    for item in plan.assistants:
        before = "\n".join(f"line {i} of the old prompt" for i in range(200))
        after = "\n".join(f"line {i} of the new prompt" for i in range(200))
        item.changes = [Change(("assistantSystemPrompt",), before, after)]
    text = markdown.render(plan)
    assert len(text) < LIMIT
    assert _left_out(text) == 60 - _shown(text)


def test_errors_come_first_and_count_in_the_note() -> None:
    items = [_assistant(n, "x" * 200, error="connection 'c': answered 503") for n in range(5)]
    items += [_assistant(n, "x" * 200) for n in range(5, 400)]
    text = markdown.render(Plan(items, managed=len(items)))
    assert len(text) < LIMIT
    first = text.index("<details")
    assert text[first:].startswith("<details open><summary>❌ <b>assistant-0000</b> — error")
    assert _left_out(text) == 400 - _shown(text)


def test_absent_and_sensitive_values_in_cells() -> None:
    item = _assistant(1, "v", changes=0)
    item.changes = [
        Change(("assistantServer", "secret"), "old-secret-value", "new-secret-value", True),
        Change(("stopSpeakingOptions",), ABSENT, {"numberOfWords": 2}),
        Change(("welcomeMessage",), "a | b", "c `d`"),
    ]
    text = markdown.render(Plan([item], managed=1))
    assert "secret-value" not in text
    assert "| `assistantServer.secret` | `(sensitive)` | `(sensitive)` |" in text
    assert '| `stopSpeakingOptions` | `(absent)` | `{"numberOfWords": 2}` |' in text
    assert '| `welcomeMessage` | `"a \\| b"` | `"c \'d\'"` |' in text


def test_real_plan_with_many_assistants_stays_under_the_limit(
    workspace: Workspace, sandbox: Sandbox
) -> None:
    prompt = "\n".join(
        f"Rule {i}: be helpful, precise and brief about topic {i}." for i in range(60)
    )
    count = 80
    for number in range(count):
        assistant_id = f"{number + 1:024x}"
        sandbox.add_assistant("interactly", {"_id": assistant_id, "name": f"Bulk {number}"})
        add_spec(
            workspace,
            f"prompted-{number:02d}",
            "interactly-prod",
            assistant_id,
            {"assistantSystemPrompt": f"{prompt}\nVariant {number}"},
        )
    result = workspace.run("plan", "--format", "markdown")
    assert result.exit_code == 0, result.stderr
    text = result.stdout
    assert len(text) < LIMIT
    assert f"| {count + 4} | 0 | 0 |" in text
    assert _left_out(text) == count + 4 - _shown(text)

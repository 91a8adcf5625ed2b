"""Creates, adopts and deletes in the text and markdown plans and the drift report, the live
assistants no document manages, and the lifecycle outcomes of the apply report."""

from __future__ import annotations

import re

import pytest

from voiceops.live.providers.base import UpdateRequest
from voiceops.reconcile.apply import ApplyReport, AssistantResult, Outcome
from voiceops.reconcile.changes import ABSENT, Change
from voiceops.reconcile.plan import Action, AssistantPlan, Plan, Status, Unmanaged
from voiceops.render import apply_report, markdown, text
from voiceops.render.values import DRIFT, PLAN
from voiceops.textsafety import ZWSP

ANSI = re.compile(r"\x1b\[[0-9;]*m")
SECRET = "sk-live-0123456789"
HOSTILE = (
    "Evil\n\x1b[31mred\x1b[0m\x1b]8;;http://x\x07 `|` <img src=x onerror=alert(1)> @team **b**"
)


def create() -> AssistantPlan:
    return AssistantPlan(
        name="intake-es",
        connection="autocalls-sales",
        provider_type="autocalls",
        id=None,
        source="assistants/intake-es.yaml:1:1",
        changes=[
            Change(("name",), ABSENT, "Intake ES"),
            Change(("voice_id",), ABSENT, 12),
            Change(("api_key",), ABSENT, SECRET, sensitive=True),
            Change(("system_prompt",), ABSENT, "Greet the caller.\nAsk for the name."),
        ],
        action=Action.CREATE,
        request=UpdateRequest("POST", "/assistants", {}),
    )


def adopt() -> AssistantPlan:
    return AssistantPlan(
        name="front-desk",
        connection="edmo-main",
        provider_type="edmo",
        id="asst_77",
        source="assistants/front-desk.yaml:1:1",
        changes=[Change(("model", "temperature"), 0.7, 0.3)],
        action=Action.ADOPT,
        request=UpdateRequest("PATCH", "/assistant/asst_77", {}),
    )


def update() -> AssistantPlan:
    return AssistantPlan(
        name="clinic",
        connection="edmo-main",
        provider_type="edmo",
        id="asst_1",
        source="assistants/clinic.yaml:1:1",
        changes=[Change(("firstMessage",), "Hi", "Hello")],
    )


def delete(gone: bool = False) -> AssistantPlan:
    return AssistantPlan(
        name="old-line" if not gone else "older-line",
        connection="edmo-main",
        provider_type="edmo",
        id="asst_42" if not gone else "asst_43",
        source="assistants/old-line.yaml:1:1",
        action=Action.DELETE,
        request=None if gone else UpdateRequest("DELETE", "/assistant/asst_42", None),
    )


def error() -> AssistantPlan:
    return AssistantPlan(
        "broken", "edmo-main", "edmo", "asst_9", "assistants/broken.yaml:1:1", error="it broke"
    )


def full_plan(**kwargs: object) -> Plan:
    assistants = [create(), adopt(), update(), delete(), delete(gone=True), error()]
    return Plan(assistants=assistants, managed=len(assistants), **kwargs)  # type: ignore[arg-type]


def test_statuses_of_the_sample() -> None:
    statuses = [a.status for a in full_plan().assistants]
    assert statuses == [
        Status.CREATE,
        Status.ADOPT,
        Status.UPDATE,
        Status.DELETE,
        Status.UNCHANGED,
        Status.ERROR,
    ]


# ---- text --------------------------------------------------------------------------


def test_text_plan_shows_each_lifecycle_status() -> None:
    output = text.render(full_plan())
    lines = output.splitlines()
    assert "+ intake-es (autocalls-sales)  assistants/intake-es.yaml:1:1" in lines
    assert '    + name          = "Intake ES"' in lines
    assert "    + voice_id      = 12" in lines
    assert "    + api_key       = (sensitive)" in lines
    assert "    + system_prompt:" in lines
    assert "        +Greet the caller." in lines
    assert "        +Ask for the name." in lines
    assert "= front-desk (edmo-main, id asst_77)  assistants/front-desk.yaml:1:1" in lines
    assert "    adopts the unmanaged live assistant with the same name" in lines
    assert "    ~ model.temperature: 0.7 -> 0.3" in lines
    assert "~ clinic (edmo-main, id asst_1)  assistants/clinic.yaml:1:1" in lines
    assert "- old-line (edmo-main, id asst_42)  assistants/old-line.yaml:1:1" in lines
    assert "older-line" not in output  # already gone: unchanged, not listed
    assert "! broken (edmo-main, id asst_9)  assistants/broken.yaml:1:1" in lines
    assert lines[-1] == (
        "Plan: 1 to create, 1 to adopt, 1 to update, 1 to delete, 1 unchanged, 1 error(s)."
    )
    assert SECRET not in output
    assert "voiceops import" not in output  # a plan offers no import


def test_text_plan_colours_each_status() -> None:
    output = text.render(full_plan(), color=True)
    assert "\x1b[" in output
    headers = {
        line.split(" ", 1)[0].lstrip("\x1b[0123456789;m"): line
        for line in output.splitlines()
        if line.startswith("\x1b[") and "assistants/" in line
    }
    colours = {"+": "32", "=": "36", "~": "33", "-": "31", "!": "31"}
    for symbol, code in colours.items():
        assert f"\x1b[{code}m" in headers[symbol], symbol
    assert ANSI.sub("", output) == text.render(full_plan())


def test_text_summary_counts_only_the_lifecycle_statuses_present() -> None:
    plan = Plan(assistants=[update(), delete(gone=True)], managed=2)
    assert text.summary(plan, PLAN) == "Plan: 1 to update, 1 unchanged, 0 error(s)."
    quiet = Plan(assistants=[delete(gone=True)], managed=1)
    assert text.summary(quiet, PLAN) == "No changes: 1 assistant(s) match git."
    only_create = Plan(assistants=[create()], managed=1)
    assert text.summary(only_create, PLAN) == (
        "Plan: 1 to create, 0 to update, 0 unchanged, 0 error(s)."
    )


def test_text_drift_words() -> None:
    output = text.render(full_plan(), DRIFT)
    lines = output.splitlines()
    assert "    no id yet: not created at the vendor yet" in lines
    assert "    marked ensure: absent, but the vendor still has it" in lines
    assert "    ~ model.temperature: live 0.7, git 0.3" in lines
    assert (
        "Drift: 1 not created yet, 1 not adopted yet, 1 drifted, 1 still exists, "
        "1 unchanged, 1 error(s)." in lines
    )
    # Keeping the live values is offered only where there is an id and a live value differs.
    keep = [line for line in lines if "to keep the live values" in line]
    assert keep == [
        "    to keep the live values: voiceops import --provider edmo-main --id asst_77 --force",
        "    to keep the live values: voiceops import --provider edmo-main --id asst_1 --force",
    ]


def test_text_unmanaged_section() -> None:
    plan = Plan(
        assistants=[update()],
        managed=1,
        unmanaged=[Unmanaged("autocalls-sales", "autocalls", "314", "Old Bot")],
    )
    output = text.render(plan)
    assert (
        'Unmanaged on autocalls-sales: "Old Bot" (id 314)  take it over: '
        "voiceops import --provider autocalls-sales --id 314"
    ) in output.splitlines()
    assert output.splitlines()[-1] == (
        "Plan: 1 to update, 0 unchanged, 0 error(s). "
        "1 live assistant(s) not managed by any document."
    )


def test_unmanaged_alone_is_no_change_in_a_plan_but_drift_in_a_drift_report() -> None:
    plan = Plan(
        assistants=[],
        managed=0,
        unmanaged=[Unmanaged("edmo-main", "edmo", "a1", "x")],
    )
    assert text.summary(plan, PLAN).startswith("No changes: 0 assistant(s) match git.")
    assert text.summary(plan, DRIFT).startswith("Drift: 0 drifted, 0 unchanged, 0 error(s).")
    assert markdown.CHANGES_MARKER not in markdown.render(plan, PLAN)
    assert markdown.CHANGES_MARKER in markdown.render(plan, DRIFT)


@pytest.mark.parametrize("color", [False, True])
def test_text_unmanaged_hostile_vendor_name_and_id(color: bool) -> None:
    plan = Plan(
        assistants=[],
        managed=0,
        unmanaged=[Unmanaged("edmo-main", "edmo", "a1; rm -rf ~\n\x1b[2J", HOSTILE)],
    )
    output = text.render(plan, color=color)
    unmanaged = [line for line in output.splitlines() if line.startswith("Unmanaged on")]
    assert len(unmanaged) == 1  # the newlines did not break out of the line
    line = unmanaged[0]
    assert "\x1b" not in line
    assert "\x07" not in line
    # The id is quoted for a shell: pasting the command runs nothing else.
    assert line.endswith("--id 'a1; rm -rf ~ '")
    # The name is shown quoted, its line break and escapes as inert, visible text.
    assert '"Evil\\n\\u001b[31mred' in line


# ---- markdown ----------------------------------------------------------------------


def test_markdown_summary_table_has_lifecycle_columns() -> None:
    report = markdown.render(full_plan())
    assert "| to create | to adopt | to update | to delete | unchanged | errors |" in report
    assert "| 1 | 1 | 1 | 1 | 1 | 1 |" in report
    assert markdown.CHANGES_MARKER in report
    drift = markdown.render(full_plan(), DRIFT)
    assert (
        "| not created yet | not adopted yet | drifted | still exists | unchanged | errors |"
        in drift
    )


def test_markdown_sections_for_each_status() -> None:
    report = markdown.render(full_plan())
    assert (
        "<details><summary>+ <b>intake-es</b> (autocalls-sales) — to create — 4 field(s)"
        "</summary>" in report
    )
    assert "| field | git |" in report
    assert '| `name` | `"Intake ES"` |' in report
    assert "| `api_key` | `(sensitive)` |" in report
    assert "| `system_prompt` | *(text, see below)* |" in report
    assert "```diff\n+Greet the caller.\n+Ask for the name.\n```" in report
    assert "No id yet: apply creates it and writes its id into the document." in report
    assert (
        "<details><summary>= <b>front-desk</b> (edmo-main, id <code>asst_77</code>) — to adopt"
        " — 1 change(s)</summary>" in report
    )
    assert "Adopts the unmanaged live assistant with the same name." in report
    assert "| `model.temperature` | `0.7` | `0.3` |" in report
    assert "<details><summary>~ <b>clinic</b> (edmo-main) — 1 change(s)</summary>" in report
    assert (
        "<details><summary>- <b>old-line</b> (edmo-main, id <code>asst_42</code>) — to delete"
        "</summary>" in report
    )
    assert "Marked ensure: absent; apply deletes it at the vendor." in report
    assert "older-line" not in report
    assert SECRET not in report
    # Errors first, then deletes, then the rest in plan order.
    order = [report.index(f"<b>{n}</b>") for n in ("broken", "old-line", "intake-es", "clinic")]
    assert order == sorted(order)


def test_markdown_drift_words_and_import_only_where_there_is_an_id() -> None:
    report = markdown.render(full_plan(), DRIFT)
    assert "— not created yet — 4 field(s)" in report
    assert "— still exists</summary>" in report
    assert "Marked ensure: absent, but the vendor still has it." in report
    assert report.count("To keep the live values:") == 2
    assert "`voiceops import --provider edmo-main --id asst_77 --force`" in report


def test_markdown_unmanaged_table() -> None:
    plan = Plan(
        assistants=[update()],
        managed=1,
        unmanaged=[Unmanaged("autocalls-sales", "autocalls", "314", "Old Bot")],
    )
    report = markdown.render(plan)
    assert "| to create | to adopt | to update | to delete | unchanged | errors | unmanaged |" in (
        report
    )
    assert "### Unmanaged" in report
    assert (
        "| `autocalls-sales` | `Old Bot` | `314` | "
        "`voiceops import --provider autocalls-sales --id 314` |"
    ) in report
    assert report.index("<b>clinic</b>") < report.index("### Unmanaged")


def test_markdown_unmanaged_hostile_vendor_name() -> None:
    plan = Plan(
        assistants=[],
        managed=0,
        unmanaged=[Unmanaged("edmo-main", "edmo", "<b>id</b>`@x", HOSTILE)],
    )
    report = markdown.render(plan)
    rows = [line for line in report.splitlines() if line.startswith("| `edmo-main`")]
    assert len(rows) == 1  # one table row: the line break in the name did not end it
    row = rows[0]
    assert "\x1b" not in report
    assert "\x07" not in report
    assert "@team" not in report
    assert f"@{ZWSP}team" in row
    cells = row[2:-2].split(" | ")
    assert len(cells) == 4  # the `|` in the name is escaped, so no extra cell
    for cell in cells:
        assert cell.startswith("`")
        assert cell.endswith("`")
        assert cell.count("`") == 2
    # HTML only ever inside a code span, where it is shown, not rendered.
    outside = re.sub(r"`[^`]*`", "", row)
    assert "<" not in outside


def test_markdown_adopted_id_from_the_vendor_is_escaped_in_the_summary_html() -> None:
    hostile = adopt()
    hostile.id = "<img src=x onerror=alert(1)>\n@owner"
    report = markdown.render(Plan(assistants=[hostile], managed=1))
    summary = next(line for line in report.splitlines() if line.startswith("<details>"))
    assert "<img" not in summary
    assert "&lt;img src=x onerror=alert(1)&gt; @" in summary
    assert "@owner" not in report


def test_markdown_truncation_counts_unmanaged_rows() -> None:
    many = [Unmanaged("edmo-main", "edmo", f"id{n}", f"bot {n}") for n in range(400)]
    plan = Plan(assistants=[update()], managed=1, unmanaged=many)
    report = markdown.render(plan, limit=6000)
    assert len(report) <= 6000
    shown = sum(1 for line in report.splitlines() if line.startswith("| `edmo-main`"))
    assert 0 < shown < 400
    assert f"**Truncated:** {400 - shown} more assistant(s) are not shown" in report


# ---- apply report ------------------------------------------------------------------


def test_apply_report_lifecycle_outcomes() -> None:
    report = ApplyReport(
        [
            AssistantResult(
                "intake-es",
                "autocalls-sales",
                "901",
                Outcome.CREATED,
                "created, id 901 written to assistants/intake-es.yaml",
            ),
            AssistantResult("front-desk", "edmo-main", "asst_77", Outcome.ADOPTED),
            AssistantResult("old-line", "edmo-main", "asst_42", Outcome.DELETED),
            AssistantResult(
                "next-one", "invent-support", None, Outcome.DEFERRED, "Invent allows 10 an hour"
            ),
            AssistantResult("clinic", "edmo-main", "asst_1", Outcome.APPLIED),
        ]
    )
    lines = apply_report.render(report).splitlines()
    assert [line.split()[0] for line in lines[:5]] == [
        "created",
        "adopted",
        "deleted",
        "deferred",
        "applied",
    ]
    assert lines[0].endswith("intake-es: created, id 901 written to assistants/intake-es.yaml")
    assert lines[1].endswith("front-desk: id asst_77")  # a taken-over id is always shown
    assert lines[2].endswith("old-line")
    assert lines[3].endswith("next-one: Invent allows 10 an hour")
    assert lines[-1] == (
        "Apply: 1 applied, 1 created, 1 adopted, 1 deleted, 1 deferred, 0 unchanged, 0 stale, "
        "0 failed, 0 not converged."
    )
    assert not report.ok  # a deferred create is not converged


def test_apply_report_detail_from_the_vendor_stays_one_line() -> None:
    result = AssistantResult(
        "intake-es", "autocalls-sales", "9\n\x1b[2J", Outcome.CREATED, "id 9\n\x1b[31mX"
    )
    line = apply_report.result_line(result)
    assert "\n" not in line
    assert "\x1b" not in line
    bare = AssistantResult("intake-es", "autocalls-sales", "9\n\x1b[2J", Outcome.CREATED)
    assert apply_report.result_line(bare).endswith("intake-es: id 9 ")


def test_a_long_write_only_text_of_a_create_keeps_its_note() -> None:
    long_text = "Ends the call politely. " * 10
    plan = create()
    plan.changes = [Change(("end_call_tool", "description"), ABSENT, long_text, write_only=True)]
    shown = text.render(Plan(assistants=[plan], managed=1), PLAN, color=False)
    assert "+ end_call_tool.description:  (write-only)" in shown
    assert "(write-only)" in markdown.render(Plan(assistants=[plan], managed=1))

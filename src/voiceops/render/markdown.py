"""Markdown for a pull-request comment: a summary table, then one <details> per assistant.

GitHub rejects comments over 65,536 characters; the report stops adding assistants before
that and says how many it left out.
"""

from __future__ import annotations

from voiceops.reconcile.plan import AssistantPlan, Plan, Status
from voiceops.render.values import (
    PLAN,
    Framing,
    after_text,
    before_text,
    import_command,
    is_long,
    text_diff,
)
from voiceops.textsafety import clean_line, markdown_code, markdown_fence, no_mentions

COMMENT_LIMIT = 65_536
MARKER = "<!-- voiceops -->"
# A line of its own when the report holds changes, for workflows that also get exit 1.
CHANGES_MARKER = "<!-- voiceops:changes -->"


def render(plan: Plan, framing: Framing = PLAN, *, limit: int = COMMENT_LIMIT) -> str:
    changed = plan.with_status(Status.UPDATE)
    errors = plan.with_status(Status.ERROR)
    head = [
        MARKER,
        *([CHANGES_MARKER] if changed else []),
        f"## voiceops {framing.title.lower()}",
        "",
        f"| {framing.changed} | {Status.UNCHANGED} | errors |",
        "|---:|---:|---:|",
        f"| {len(changed)} | {len(plan.with_status(Status.UNCHANGED))} | {len(errors)} |",
        "",
    ]
    head += [f"> [!WARNING]\n> {clean_line(w)}\n" for w in plan.warnings]
    if framing.advice and plan.has_changes:
        head += [framing.advice, ""]
    text = _escape_mentions("\n".join(head) + "\n")
    pending = errors + changed
    reserve = len(_truncation_note(len(pending)))
    shown = 0
    for assistant in pending:
        section = _escape_mentions(_section(assistant, framing))
        if len(text) + len(section) + reserve > limit:
            break
        text += section
        shown += 1
    if shown < len(pending):
        text += _truncation_note(len(pending) - shown)
    return text


def _truncation_note(left_out: int) -> str:
    return (
        f"\n**Truncated:** {left_out} more assistant(s) are not shown, to stay under GitHub's "
        f"{COMMENT_LIMIT:,}-character comment limit. The job log has the full report.\n"
    )


def _section(a: AssistantPlan, framing: Framing) -> str:
    if a.status is Status.ERROR:
        return (
            f"<details open><summary>❌ <b>{a.name}</b> — error</summary>\n\n"
            f"{markdown_fence(clean_line(a.error or ''))}\n</details>\n\n"
        )
    rows = [
        f"<details><summary>{framing.symbol} <b>{a.name}</b> ({a.connection}) — "
        f"{len(a.changes)} change(s)</summary>\n",
        f"{markdown_code(a.source)}\n",
        *(
            [f"To keep the live values: {markdown_code(import_command(a.connection, a.id))}\n"]
            if framing.offer_import and a.id is not None
            else []
        ),
        f"| field | {framing.before} | {framing.after} |",
        "|---|---|---|",
    ]
    diffs = []
    for change in a.changes:
        if is_long(change):
            rows.append(
                f"| {markdown_code(change.field)} | *(text, see below)* | *(text, see below)* |"
            )
            diffs.append(
                f"{markdown_code(change.field)}\n"
                + markdown_fence("\n".join(text_diff(change)), "diff")
            )
            continue
        note = " *(write-only)*" if change.write_only else ""
        before, after = _cell(before_text(change)), _cell(after_text(change))
        rows.append(f"| {markdown_code(change.field)} | {before} | {after}{note} |")
    return "\n".join([*rows, "", *diffs]) + "\n</details>\n\n"


def _cell(text: str) -> str:
    if len(text) > 300:
        text = text[:297] + "..."
    return markdown_code(text)


def _escape_mentions(text: str) -> str:
    return no_mentions(text)

"""Markdown for a pull-request comment: a summary table, then one <details> per assistant.

GitHub rejects comments over 65,536 characters; the report stops adding assistants before
that and says how many it left out.
"""

from __future__ import annotations

import html

from voiceops.reconcile.changes import Change
from voiceops.reconcile.plan import AssistantPlan, Plan, Status, Unmanaged
from voiceops.render.values import (
    COUNTED,
    PLAN,
    SYMBOLS,
    Framing,
    added_lines,
    after_text,
    before_text,
    import_command,
    is_long,
    is_long_added,
    keep_command,
    not_applied_lines,
    overwritten_edits,
    text_diff,
    word_diff,
)
from voiceops.textsafety import clean_line, markdown_code, markdown_fence, no_mentions

COMMENT_LIMIT = 65_536
MARKER = "<!-- voiceops -->"
# A line of its own when the report holds changes, for workflows that also get exit 1.
CHANGES_MARKER = "<!-- voiceops:changes -->"


def render(plan: Plan, framing: Framing = PLAN, *, limit: int = COMMENT_LIMIT) -> str:
    framing = framing.in_environment(plan.environment)
    text = _escape_mentions(_head(plan, framing))
    # Errors and deletes first: they need a reader most, and are the last to be cut.
    pending = [
        *plan.with_status(Status.ERROR),
        *plan.with_status(Status.DELETE),
        *(a for a in plan.assistants if a.status in (Status.CREATE, Status.ADOPT, Status.UPDATE)),
    ]
    # Each piece with the number of assistants it shows.
    pieces = [(_escape_mentions(_section(a, framing)), 1) for a in pending]
    if plan.unmanaged:
        pieces.append((_UNMANAGED_HEAD, 0))
        pieces += [
            (_escape_mentions(_unmanaged_row(u, plan.environment)), 1) for u in plan.unmanaged
        ]
    total = len(pending) + len(plan.unmanaged)
    reserve = len(_truncation_note(total))
    shown = 0
    for piece, assistants in pieces:
        if len(text) + len(piece) + reserve > limit:
            break
        text += piece
        shown += assistants
    if shown < total:
        text += _truncation_note(total - shown)
    not_applied = not_applied_lines(plan)
    if not_applied and len(text) + sum(len(n) + 4 for n in not_applied) < limit:
        text += _escape_mentions("\n" + "".join(f"- {markdown_code(n)}\n" for n in not_applied))
    return text


def _head(plan: Plan, framing: Framing) -> str:
    columns = [*COUNTED, Status.UNCHANGED, Status.ERROR]
    names = [framing.word(s) if s is not Status.ERROR else "errors" for s in columns]
    counts = [str(len(plan.with_status(s))) for s in columns]
    if plan.unmanaged:
        names.append("unmanaged")
        counts.append(str(len(plan.unmanaged)))
    findings = framing.has_findings(plan)
    head = [
        MARKER,
        *([CHANGES_MARKER] if findings else []),
        f"## voiceops {framing.title.lower()}",
        "",
        *_dashboard_edits(plan, framing),
        f"| {' | '.join(names)} |",
        "|" + "---:|" * len(names),
        f"| {' | '.join(counts)} |",
        "",
        *_label_counts(plan),
    ]
    head += [f"> [!WARNING]\n> {clean_line(w)}\n" for w in plan.warnings]
    if framing.advice and plan.has_changes:
        head += [framing.advice_text, ""]
    return "\n".join(head) + "\n"


def _dashboard_edits(plan: Plan, framing: Framing) -> list[str]:
    """A warning block, first thing in the comment, naming each dashboard edit the apply
    would overwrite, with its live value (masked where secret)."""
    edits = overwritten_edits(plan)
    if not edits or framing.title != PLAN.title:
        return []
    lines = ["> [!CAUTION]", "> Applying this overwrites edits made in the vendor's dashboard:"]
    for a, change in edits:
        live = markdown_code(clean_line(before_text(change))[:200])
        both = " (also changed in git)" if change.origin == "both" else ""
        lines.append(f"> - **{_html(a.name)}** {markdown_code(change.field)}: live {live}{both}")
    return [*lines, ""]


def _label_counts(plan: Plan) -> list[str]:
    """How many changes touch each risk label, for deciding who reviews."""
    counts: dict[str, int] = {}
    for a in plan.assistants:
        if a.status is Status.ERROR:
            continue
        labels = [a.status.value] if a.status in (Status.CREATE, Status.DELETE) else []
        labels += [label for change in a.changes for label in change.labels]
        for label in labels:
            counts[label] = counts.get(label, 0) + 1
    if not counts:
        return []
    cells = ", ".join(f"{markdown_code(k)} {v}" for k, v in sorted(counts.items()))
    return [f"Changes by label: {cells}", ""]


def _truncation_note(left_out: int) -> str:
    return (
        f"\n**Truncated:** {left_out} more assistant(s) are not shown, to stay under GitHub's "
        f"{COMMENT_LIMIT:,}-character comment limit. The job log has the full report.\n"
    )


_UNMANAGED_HEAD = (
    "### Unmanaged\n\n"
    "Live assistants that no document manages. Nothing is done to them; to manage one, "
    "import it and commit the file.\n\n"
    "| connection | name | id | take it over |\n"
    "|---|---|---|---|\n"
)


def _unmanaged_row(u: Unmanaged, environment: str | None = None) -> str:
    """Name and id come from the vendor: each stays inside one code span."""
    command = import_command(u.connection, u.id, force=False, environment=environment)
    cells = [u.connection, u.name, u.id, command]
    return "| " + " | ".join(markdown_code(c) for c in cells) + " |\n"


def _section(a: AssistantPlan, framing: Framing) -> str:
    status = a.status
    if status is Status.ERROR:
        return (
            f"<details open><summary>❌ <b>{_html(a.name)}</b> — error</summary>\n\n"
            f"{markdown_fence(clean_line(a.error or ''))}\n</details>\n\n"
        )
    keep = keep_command(a, framing)
    rows = [
        _summary_line(a, framing),
        f"{markdown_code(a.source)}\n",
        *([f"{_sentence(framing.note(status))}\n"] if framing.note(status) else []),
        *([f"To keep the live values: {markdown_code(keep)}\n"] if keep else []),
    ]
    if status is Status.CREATE:
        body = _fields_table(a.changes, framing)
    else:
        body = _changes_table(a.changes, framing) if a.changes else []
    return "\n".join([*rows, *body]) + "\n</details>\n\n"


def _summary_line(a: AssistantPlan, framing: Framing) -> str:
    # Raw HTML, where a code span is not markdown: vendor text (an adopted id) is escaped.
    where = _html(a.connection)
    if a.id is not None and a.status in (Status.ADOPT, Status.DELETE):
        where += f", id <code>{_html(a.id)}</code>"
    what = {
        Status.CREATE: f"{framing.create} — {len(a.changes)} field(s)",
        Status.ADOPT: f"{framing.adopt} — {len(a.changes)} change(s)",
        Status.DELETE: framing.delete,
    }.get(a.status, f"{len(a.changes)} change(s)")
    symbol = SYMBOLS.get(a.status, framing.symbol)
    return f"<details><summary>{symbol} <b>{_html(a.name)}</b> ({where}) — {what}</summary>\n"


def _html(text: str) -> str:
    return html.escape(clean_line(text))


def _sentence(note: str) -> str:
    return note[0].upper() + note[1:] + "."


def _fields_table(changes: list[Change], framing: Framing) -> list[str]:
    """A new assistant's fields: the git value of each."""
    rows = [f"| field | {framing.after} |", "|---|---|"]
    texts = []
    for change in changes:
        note = " *(write-only)*" if change.write_only else ""
        if is_long_added(change):
            rows.append(f"| {markdown_code(change.field)} | *(text, see below)*{note} |")
            texts.append(
                f"{markdown_code(change.field)}\n"
                + markdown_fence("\n".join(added_lines(change)), "diff")
            )
            continue
        rows.append(f"| {markdown_code(change.field)} | {_cell(after_text(change))}{note} |")
    return [*rows, "", *texts]


def _changes_table(changes: list[Change], framing: Framing) -> list[str]:
    header = f"| field | {framing.before} | {framing.after} | origin · labels |"
    rows = [header, "|---|---|---|---|"]
    diffs = []
    for change in changes:
        if is_long(change):
            rows.append(
                f"| {markdown_code(change.field)} | *(text, see below)* | *(text, see below)* "
                f"| {_origin_cell(change)} |"
            )
            diffs.append(_prose_diff(change))
            continue
        note = " *(write-only)*" if change.write_only else ""
        before, after = _cell(before_text(change)), _cell(after_text(change))
        rows.append(
            f"| {markdown_code(change.field)} | {before} | {after}{note} | {_origin_cell(change)} |"
        )
    return [*rows, "", *diffs]


def _origin_cell(change: Change) -> str:
    cell = change.origin or ""
    if change.labels:
        cell += (" · " if cell else "") + ", ".join(change.labels)
    return _html(cell)


def _prose_diff(change: Change) -> str:
    """A long text's line diff, then its changed words (`[-old-]{+new+}`) line by line."""
    text = f"{markdown_code(change.field)}\n" + markdown_fence("\n".join(text_diff(change)), "diff")
    words = word_diff(change)
    if words:
        text += "\nChanged words:\n" + markdown_fence("\n".join(words))
    return text


def _cell(text: str) -> str:
    if len(text) > 300:
        text = text[:297] + "..."
    return markdown_code(text)


def _escape_mentions(text: str) -> str:
    return no_mentions(text)

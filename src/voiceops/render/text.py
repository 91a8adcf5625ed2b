"""Terraform-like terminal output."""

from __future__ import annotations

from collections.abc import Callable

import click

from voiceops.reconcile.changes import Change
from voiceops.reconcile.plan import AssistantPlan, Plan, Status, Unmanaged
from voiceops.render.values import (
    COLOURS,
    COUNTED,
    PLAN,
    SYMBOLS,
    Framing,
    added_lines,
    after_text,
    before_text,
    change_tag,
    import_command,
    is_long,
    is_long_added,
    keep_command,
    not_applied_lines,
    overwritten_edits,
    show,
    text_diff,
)
from voiceops.textsafety import clean_line

Style = Callable[..., str]


def render(plan: Plan, framing: Framing = PLAN, *, color: bool = False) -> str:
    def style(text: str, fg: str | None, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color and fg else text

    framing = framing.in_environment(plan.environment)
    lines: list[str] = []
    notes = [*plan.warnings, *dashboard_warning(plan, framing)]
    for note in notes:
        lines.append(style(f"Warning: {clean_line(note)}", "yellow", bold=True))
    if notes:
        lines.append("")
    for assistant in plan.assistants:
        if assistant.status is Status.UNCHANGED:
            continue
        lines.extend(_assistant(assistant, framing, style))
        lines.append("")
    if plan.unmanaged:
        lines.extend(unmanaged_line(u, plan.environment) for u in plan.unmanaged)
        lines.append("")
    pending = not_applied_lines(plan)
    lines += [*pending, ""] if pending else []
    lines.append(summary(plan, framing))
    if framing.advice and plan.has_changes:
        lines.append(framing.advice_text)
    return "\n".join(lines)


def summary(plan: Plan, framing: Framing) -> str:
    count = {status: len(plan.with_status(status)) for status in Status}
    unmanaged = len(plan.unmanaged)
    if not (framing.has_findings(plan) or count[Status.ERROR]):
        line = f"{framing.quiet}: {count[Status.UNCHANGED]} assistant(s) match git."
    else:
        # Updates are always counted; creates, adopts and deletes when there are any.
        parts = [f"{count[s]} {framing.word(s)}" for s in COUNTED if count[s] or s is Status.UPDATE]
        parts += [
            f"{count[Status.UNCHANGED]} {Status.UNCHANGED}",
            f"{count[Status.ERROR]} error(s)",
        ]
        # A saved plan's counts are those of when it was made: said, so that the apply
        # results below (of now) do not seem to contradict them.
        title = framing.title if plan.saved_in is None else f"{framing.title} in {plan.saved_in}"
        line = f"{title}: {', '.join(parts)}."
    if unmanaged:
        line += f" {unmanaged} live assistant(s) not managed by any document."
    return line


def dashboard_warning(plan: Plan, framing: Framing) -> list[str]:
    """One line naming the dashboard edits applying the plan would overwrite."""
    edits = overwritten_edits(plan)
    if not edits or framing.title != PLAN.title:
        return []
    fields = ", ".join(f"{a.name} {c.field}" for a, c in edits)
    return [f"applying this overwrites edits made in the vendor's dashboard: {fields}"]


def unmanaged_line(u: Unmanaged, environment: str | None = None) -> str:
    """One live assistant no document manages. Its name and id come from the vendor."""
    command = import_command(u.connection, u.id, force=False, environment=environment)
    return clean_line(
        f"Unmanaged on {u.connection}: {show(u.name)} (id {u.id})  take it over: {command}"
    )


def _assistant(a: AssistantPlan, framing: Framing, style: Style) -> list[str]:
    where = f"{a.connection}, id {a.id}" if a.id is not None else a.connection
    header = clean_line(f"{a.name} ({where})  {a.source}")
    status = a.status
    if status is Status.ERROR:
        return [style(f"! {header}", "red", bold=True), f"    {clean_line(a.error or '')}"]
    symbol = SYMBOLS.get(status, framing.symbol)
    lines = [style(f"{symbol} {header}", COLOURS[status], bold=True)]
    if a.labels:
        lines.append(f"    labels: {', '.join(a.labels)}")
    if framing.note(status):
        lines.append(f"    {framing.note(status)}")
    if status is Status.CREATE:
        lines += _fields(a.changes, style)
    else:
        lines += _changes(a.changes, framing, style)
    if a.write_only_fields:
        lines.append(
            "    write-only fields cannot be read back; voiceops records a hash of what it applied"
        )
    keep = keep_command(a, framing)
    if keep:
        lines.append(f"    to keep the live values: {keep}")
    return lines


def _fields(changes: list[Change], style: Style) -> list[str]:
    """A new assistant's fields, one `+ field = value` each."""
    lines = []
    width = max((len(c.field) for c in changes), default=0)
    for change in changes:
        name = change.field.ljust(width)
        note = "  (write-only)" if change.write_only else ""
        if is_long_added(change):
            lines.append(f"    + {name}:{note}")
            lines += ["        " + style(line, "green") for line in added_lines(change)]
            continue
        lines.append(f"    + {name} = {style(after_text(change), 'green')}{note}")
    return lines


def _changes(changes: list[Change], framing: Framing, style: Style) -> list[str]:
    lines = []
    width = max((len(c.field) for c in changes), default=0)
    for change in changes:
        name = change.field.ljust(width)
        tag = f"  {change_tag(change)}" if change_tag(change) else ""
        if is_long(change):
            lines.append(f"    ~ {name}:{tag}")
            for line in text_diff(change):
                colour = (
                    "red" if line.startswith("-") else "green" if line.startswith("+") else None
                )
                lines.append("        " + style(line, colour))
            continue
        note = "  (write-only)" if change.write_only else ""
        pair = framing.pair.format(
            before=style(before_text(change), "red"), after=style(after_text(change), "green")
        )
        lines.append(f"    ~ {name}: {pair}{note}{tag}")
    return lines

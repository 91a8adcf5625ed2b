"""Terraform-like terminal output."""

from __future__ import annotations

from collections.abc import Callable

import click

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
from voiceops.textsafety import clean_line


def render(plan: Plan, framing: Framing = PLAN, *, color: bool = False) -> str:
    def style(text: str, fg: str, bold: bool = False) -> str:
        return click.style(text, fg=fg, bold=bold) if color else text

    lines: list[str] = []
    for note in plan.warnings:
        lines.append(style(f"Warning: {clean_line(note)}", "yellow", bold=True))
    if plan.warnings:
        lines.append("")
    for assistant in plan.assistants:
        if assistant.status is Status.UNCHANGED:
            continue
        lines.extend(_assistant(assistant, framing, style))
        lines.append("")
    lines.append(summary(plan, framing))
    if framing.advice and plan.has_changes:
        lines.append(framing.advice)
    return "\n".join(lines)


def summary(plan: Plan, framing: Framing) -> str:
    changed = len(plan.with_status(Status.UPDATE))
    unchanged = len(plan.with_status(Status.UNCHANGED))
    errors = len(plan.with_status(Status.ERROR))
    if not changed and not errors:
        nothing = "No drift" if framing is not PLAN else "No changes"
        return f"{nothing}: {unchanged} assistant(s) match git."
    return (
        f"{framing.title}: {changed} {framing.changed}, {unchanged} {Status.UNCHANGED}, "
        f"{errors} error(s)."
    )


def _assistant(a: AssistantPlan, framing: Framing, style: Callable[..., str]) -> list[str]:
    header = clean_line(f"{a.name} ({a.connection}, id {a.id})  {a.source}")
    if a.status is Status.ERROR:
        return [style(f"! {header}", "red", bold=True), f"    {clean_line(a.error or '')}"]
    lines = [style(f"{framing.symbol} {header}", "yellow", bold=True)]
    width = max(len(c.field) for c in a.changes)
    for change in a.changes:
        name = change.field.ljust(width)
        if is_long(change):
            lines.append(f"    ~ {name}:")
            for line in text_diff(change):
                colour = (
                    "red" if line.startswith("-") else "green" if line.startswith("+") else None
                )
                lines.append("        " + (style(line, colour) if colour else line))
            continue
        note = "  (write-only)" if change.write_only else ""
        pair = framing.pair.format(
            before=style(before_text(change), "red"), after=style(after_text(change), "green")
        )
        lines.append(f"    ~ {name}: {pair}{note}")
    if a.write_only_fields:
        lines.append(
            "    write-only fields cannot be read back; voiceops records a hash of what it applied"
        )
    if framing.offer_import and a.id is not None:
        lines.append(f"    to keep the live values: {import_command(a.connection, a.id)}")
    return lines

"""What apply prints: one line per assistant as it finishes (applied, created, adopted,
deleted, deferred, ...), then the counts."""

from __future__ import annotations

import signal

from voiceops.reconcile.apply import ApplyReport, AssistantResult, Outcome
from voiceops.textsafety import clean_line

# Always counted; the others only when they occur.
USUAL = (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.STALE, Outcome.FAILED, Outcome.NOT_CONVERGED)
WIDTH = max(len(o.value) for o in Outcome)


# A new id is worth a line of its own even when apply gave no detail.
_NEW_ID = (Outcome.CREATED, Outcome.ADOPTED)


def result_line(result: AssistantResult) -> str:
    text = result.detail
    if not text and result.outcome in _NEW_ID and result.id is not None:
        text = f"id {result.id}"
    detail = f": {clean_line(text)}" if text else ""
    return f"  {result.outcome.value.ljust(WIDTH)}  {result.name}{detail}"


def render(report: ApplyReport) -> str:
    """Every assistant's line, then the summary (for a report that was not streamed)."""
    return "\n".join([*(result_line(r) for r in report.results), render_summary(report)])


def render_summary(report: ApplyReport) -> str:
    shown = [o for o in Outcome if o in USUAL or report.count(o)]
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in shown)
    lines = [f"Apply: {counts}."]
    if report.signals:
        name = signal.Signals(report.signals[0]).name
        lines.append(
            f"Stopped by {name}: nothing new was sent after it; run apply again to finish."
        )
    return "\n".join(lines)

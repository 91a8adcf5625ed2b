"""The closing summary of an apply: one line per assistant, then the counts."""

from __future__ import annotations

import signal

from voiceops.apply import ApplyReport, Outcome
from voiceops.textsafety import clean_line

# Always counted; the others only when they occur.
USUAL = (Outcome.APPLIED, Outcome.UNCHANGED, Outcome.STALE, Outcome.FAILED, Outcome.NOT_CONVERGED)


def render(report: ApplyReport) -> str:
    width = max((len(r.outcome.value) for r in report.results), default=0)
    lines = []
    for result in report.results:
        detail = f": {clean_line(result.detail)}" if result.detail else ""
        lines.append(f"  {result.outcome.value.ljust(width)}  {result.name}{detail}")
    shown = [o for o in Outcome if o in USUAL or report.count(o)]
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in shown)
    lines.append(f"Apply: {counts}.")
    if report.signals:
        name = signal.Signals(report.signals[0]).name
        lines.append(
            f"Stopped by {name}: nothing new was sent after it; run apply again to finish."
        )
    return "\n".join(lines)

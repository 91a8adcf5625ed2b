"""The closing summary of an apply: one line per assistant, then the counts."""

from __future__ import annotations

from voiceops.apply import ApplyReport, Outcome
from voiceops.textsafety import clean_line


def render(report: ApplyReport) -> str:
    width = max((len(r.outcome.value) for r in report.results), default=0)
    lines = []
    for result in report.results:
        detail = f": {clean_line(result.detail)}" if result.detail else ""
        lines.append(f"  {result.outcome.value.ljust(width)}  {result.name}{detail}")
    counts = ", ".join(f"{report.count(o)} {o.value}" for o in Outcome)
    lines.append(f"Apply: {counts}.")
    return "\n".join(lines)

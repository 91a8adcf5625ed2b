"""What `voiceops doctor` prints: a table per connection, or JSON for CI."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import asdict

from voiceops.reconcile.doctor import MAX_LISTED, ConnectionReport, DoctorReport
from voiceops.textsafety import clean_line

# What each kind of finding means, in the words a reader of the table needs.
KINDS = {
    "unknown-key": "key the schema does not know",
    "type": "value of another type than the schema's",
    "missing": "readable field not in the answer",
    "id-form": "id unlike the vendor's id form",
    "envelope": "answer not in the expected envelope",
    "read": "read failed",
    "not-found": "managed assistant not found",
    "field-set": "field set",
}


def render_text(report: DoctorReport) -> str:
    blocks = [_connection_text(c) for c in report.connections]
    matching = sum(1 for c in report.connections if c.matches)
    blocks.append(
        f"Doctor: {matching} of {len(report.connections)} connection(s) match voiceops' model."
    )
    return "\n\n".join(blocks)


def _connection_text(report: ConnectionReport) -> str:
    lines = [
        f"{report.connection} ({report.vendor})",
        f"  credentials   {report.credentials}",
    ]
    if report.error is not None:
        lines.append(f"  error         {clean_line(report.error)}")
        return "\n".join(lines)
    lines.append(f"  assistants    {report.assistants} read")
    if not report.findings:
        lines.append("  findings      none: the answers match the schema")
        return "\n".join(lines)
    rows = [(KINDS.get(f.kind, f.kind), f.assistant, f.path, f.detail) for f in report.findings]
    widths = [max(len(_HEADER[i]), *(len(clean_line(row[i])) for row in rows)) for i in range(3)]
    header = "  ".join(h.ljust(w) for h, w in zip(_HEADER, widths, strict=False))
    lines.append(f"  {header}  detail")
    for row in rows[:MAX_LISTED]:
        cells = [clean_line(cell).ljust(w) for cell, w in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, clean_line(row[3])]).rstrip())
    if len(rows) > MAX_LISTED:
        counts = Counter(f.kind for f in report.findings[MAX_LISTED:])
        rest = ", ".join(f"{n} {KINDS.get(k, k)}" for k, n in counts.items())
        lines.append(f"  … and {len(rows) - MAX_LISTED} more ({rest})")
    return "\n".join(lines)


_HEADER = ("finding", "assistant", "path")


def render_json(report: DoctorReport) -> str:
    data: dict[str, object] = {
        "format_version": 1,
        "connections": [
            {**asdict(c), "matches": c.matches, "findings": [asdict(f) for f in c.findings]}
            for c in report.connections
        ],
        "summary": {
            "connections": len(report.connections),
            "matching": sum(1 for c in report.connections if c.matches),
            "errors": sum(1 for c in report.connections if c.error is not None),
            "findings": sum(len(c.findings) for c in report.connections),
        },
    }
    if report.environment is not None:
        data["environment"] = report.environment
    return json.dumps(data, indent=2)

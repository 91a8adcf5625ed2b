"""Diagnostics as plain lines, as JSON, or as GitHub Actions annotations."""

from __future__ import annotations

import json
from typing import Any

from voiceops.errors import Diagnostic
from voiceops.spec.validation import ValidationReport
from voiceops.textsafety import clean_line, no_legacy_command


def as_json(report: ValidationReport) -> str:
    """The report of `voiceops validate --format json`."""
    items: list[dict[str, Any]] = []
    for d in report.diagnostics:
        where = d.location
        items.append(
            {
                "severity": d.severity.value,
                "path": where.path if where else None,
                "line": where.line if where else None,
                "col": where.col if where else None,
                "message": d.message,
                "environment": d.environment,
                "environments": list(d.environments),
            }
        )
    return json.dumps(
        {
            "format_version": 1,
            "valid": report.ok,
            "documents": report.documents,
            "diagnostics": items,
            "write_only_record": report.write_only_record,
            "assistants": report.assistants,
            "environments": list(report.environments),
        },
        indent=2,
    )


def github_annotation(d: Diagnostic) -> str:
    """A workflow command that shows `d` on the pull request's diff. The message and the
    file name cannot end it early or start another command."""
    level = d.severity.value
    message = _escape(clean_line(d.worded))
    if d.location is None:
        return no_legacy_command(f"::{level}::{message}")
    where = d.location
    path = _escape_property(clean_line(where.path))
    properties = f"file={path},line={where.line},col={where.col}"
    return no_legacy_command(f"::{level} {properties}::{message}")


def _escape(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape(text).replace(":", "%3A").replace(",", "%2C")

"""What the GitHub workflows show: the pull-request comment of a plan, the issue body of a
drift report, and the job summaries, as markdown.

The reports come from voiceops itself (already scrubbed of secrets); the logs quoted in a
failure are cut to their last lines, each cut short, inside a fence they cannot close.
"""

from __future__ import annotations

import re

from voiceops.render.markdown import CHANGES_MARKER, MARKER

# GitHub refuses a comment or issue body over 65,536 characters; the workflow adds a footer.
BODY_LIMIT = 65_536 - 1_000
LOG_LINES = 60
LINE_WIDTH = 400
_FENCE = "````"
_LONG_BACKTICKS = re.compile(r"`{4,}")


def environment_marker(environment: str | None) -> str:
    """The hidden line that tells one environment's comment or issue from another's."""
    return f"<!-- voiceops:env:{environment} -->" if environment else MARKER


def log_excerpt(log: str, lines: int = LOG_LINES) -> str:
    """The end of a log, fenced: no workflow-command lines, each line cut short."""
    kept = [line[:LINE_WIDTH] for line in log.splitlines() if not line.startswith("::")]
    body = "\n".join(_LONG_BACKTICKS.sub("```", line) for line in kept[-lines:])
    return f"{_FENCE}text\n{body}\n{_FENCE}\n"


def failure(what: str, environment: str | None, code: int, log: str) -> str:
    where = f" in {environment}" if environment else ""
    return f"### ❌ {what} failed{where} (exit {code})\n\n{log_excerpt(log)}"


def succeeded(code: int) -> bool:
    """0 (nothing to do) and 2 (changes present) are both a finished run."""
    return code in (0, 2)


def report_body(what: str, report: str, environment: str | None, code: int, errors: str) -> str:
    """One environment's plan or drift report as a comment or issue body: the markers, the
    environment's heading, the report, and after a failure the error."""
    text = report.replace(MARKER + "\n", "", 1) if report.startswith(MARKER) else report
    parts = [MARKER]
    if environment:
        parts += [environment_marker(environment), f"## Environment `{environment}`", ""]
    if text.strip():
        parts.append(text.rstrip("\n"))
    if not succeeded(code):
        parts += ["", failure(what, environment, code, errors).rstrip("\n")]
    return cut("\n".join(parts) + "\n")


def one_comment(sections: list[tuple[str | None, str | None]]) -> str:
    """The plan comment: one marker, then each environment's body (None: its job wrote no
    plan, e.g. it failed before planning) in the order given."""
    parts = [MARKER]
    for environment, body in sections:
        if body is None:
            where = f"## Environment `{environment}`\n\n" if environment else ""
            body = f"{where}### ❌ no plan: the job failed before planning; see its log\n"
        parts.append(body.replace(MARKER + "\n", "", 1).rstrip("\n"))
    return cut("\n\n".join(parts) + "\n")


def cut(body: str, limit: int = BODY_LIMIT) -> str:
    """`body` within GitHub's limit, saying so when it was cut."""
    if len(body) <= limit:
        return body
    return body[: limit - 100] + "\n\n… cut short; the whole report is in the job summary.\n"


def drift_state(code: int, report: str) -> str:
    """`found` (open or update the issue), `none` (close it), or empty: an error kept
    voiceops from checking everything and it found no drift, so the issue is left alone."""
    if code == 2 or CHANGES_MARKER in report.splitlines():
        return "found"
    return "none" if code == 0 else ""


def apply_summary(environment: str | None, code: int, log: str) -> str:
    where = f" in {environment}" if environment else ""
    title = (
        f"### ✅ voiceops apply succeeded{where}"
        if code == 0
        else f"### ❌ voiceops apply failed{where} (exit {code})"
    )
    return f"{title}\n\n{log_excerpt(log, 400)}"


def publish_summary(branch: str, commit: str, pushed: bool, conflicts: list[str]) -> str:
    """What the commit step did, for the job summary; conflicts keep the created ids."""
    lines = [f"### voiceops: records on `{branch}`", ""]
    lines.append(f"Pushed {commit[:12]}." if pushed else f"Nothing new to push ({commit[:12]}).")
    if conflicts:
        lines += ["", "**Conflicts** (the created ids are kept in the pending record):", ""]
        lines += [f"- {_inline(c)}" for c in conflicts]
    return "\n".join(lines) + "\n"


def _inline(text: str) -> str:
    return text.replace("\n", " ").replace("`", "'")

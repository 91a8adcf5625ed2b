"""What `voiceops import` prints: the files it wrote or skipped, and what the user must do."""

from __future__ import annotations

from voiceops.errors import display_path
from voiceops.reconcile.importer import ImportedAssistant
from voiceops.textsafety import clean_line


def render(results: list[ImportedAssistant], write_only: list[str]) -> str:
    lines = []
    variables: dict[str, str] = {}
    for result in results:
        where = display_path(result.path)
        if result.written:
            lines.append(clean_line(_written(result, where)))
        else:
            lines.append(clean_line(f"skipped {result.name}: {result.note}"))
        variables.update(result.env_vars)
        lines += [
            "  not imported (schema rejects the live value): " + clean_line(d)
            for d in result.dropped
        ]
    if variables:
        lines.append("Sensitive values were replaced by references; set these variables:")
        lines += [f"  {name}  ({field})" for name, field in sorted(variables.items())]
    if write_only:
        lines.append(
            "Write-only fields cannot be read, so they were not imported: " + ", ".join(write_only)
        )
    return "\n".join(lines)


def _written(result: ImportedAssistant, where: str) -> str:
    what = f"({result.name}, id {result.id})"
    if result.updated is None:
        return f"wrote {where} {what}"
    if not result.updated:
        return f"unchanged {where} {what}: it holds the live values already"
    return f"updated {where} {what} in place: {', '.join(result.updated)}"

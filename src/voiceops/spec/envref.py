"""`${env:NAME}` references inside string values of a spec.

A reference is replaced by the variable's value when a command runs. `$${` writes a literal
`${`. Anything else that starts with `${` is a malformed reference.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from voiceops.paths import walk
from voiceops.spec.yamlsource import YamlPath

_TOKEN = re.compile(r"\$\$\{|\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}|\$\{")


def malformed_reference(text: str) -> str | None:
    """A message describing the first malformed reference in `text`, or None."""
    for match in _TOKEN.finditer(text):
        if match.group(0) == "${":
            rest = text[match.start() :]
            end = rest.find("}")
            snippet = rest[: end + 1] if 0 <= end < 40 else rest[:24]
            if rest.startswith("${env:") and (end < 0 or "\n" in rest[:end]):
                return f"environment reference {snippet!r} is missing its closing }}"
            return (
                f"malformed environment reference {snippet!r}: write ${{env:NAME}}, where NAME "
                "is letters, digits and _ and does not start with a digit "
                "(write $${ for a literal ${)"
            )
    return None


def malformed_references(data: Any, path: YamlPath = ()) -> list[tuple[YamlPath, str]]:
    """(path, message) for every string in a JSON-shaped value with a malformed reference."""
    if not _any_malformed(data):
        return []
    found: list[tuple[YamlPath, str]] = []
    for at, value in walk(data, path):
        if isinstance(value, str) and "${" in value:
            message = malformed_reference(value)
            if message:
                found.append((at, message))
    return found


def _any_malformed(data: Any) -> bool:
    # Without building paths: almost every spec has none, and this runs for each one.
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, str):
            if "${" in value and malformed_reference(value):
                return True
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return False


def variable_names(text: str) -> list[str]:
    return [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]


def substitute(text: str, env: Mapping[str, str]) -> str:
    """`text` with every reference replaced; the caller has checked that all names are set."""

    def replace(match: re.Match[str]) -> str:
        if match.group(0) == "$${":
            return "${"
        return env[match.group(1)]

    return _TOKEN.sub(replace, text)


def problem(variable: str, env: Mapping[str, str]) -> str | None:
    """Why the reference to `variable` cannot be resolved, or None when it can.
    An empty value is refused like a missing one: in CI a missing secret expands to ""."""
    if variable not in env:
        return f"environment variable {variable} is not set"
    if env[variable] == "":
        return f"environment variable {variable} is set but empty; an empty value is never sent"
    return None


def references_in(data: Any) -> list[tuple[YamlPath, str]]:
    """(path, variable name) for every reference in a JSON-shaped value."""
    found: list[tuple[YamlPath, str]] = []
    for path, value in walk(data):
        if isinstance(value, str):
            found.extend((path, name) for name in variable_names(value))
    return found


def resolve(data: Any, env: Mapping[str, str]) -> Any:
    """A copy of `data` with references in every string replaced."""
    if isinstance(data, str):
        return substitute(data, env) if "${" in data else data
    if isinstance(data, dict):
        return {key: resolve(value, env) for key, value in data.items()}
    if isinstance(data, list):
        return [resolve(value, env) for value in data]
    return data

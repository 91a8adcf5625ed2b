"""Keeping secret values inside the process.

Every output passes through a `Redactor` that knows the secret values of the run
(credentials, values read from `${env:…}`, sensitive live values). Plan files never hold
secret values at all: they hold references that `apply` resolves again.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from voiceops.changes import ABSENT, ValuePath, lookup
from voiceops.schemas import FieldPath

MASK = "(sensitive)"
SECRET_REF = "$secret"
# Shorter values would mask ordinary words; secrets are longer than this in practice.
MIN_SECRET_LENGTH = 4


class Redactor:
    def __init__(self) -> None:
        self._values: set[str] = set()
        self._pattern: re.Pattern[str] | None = None

    def add(self, *values: Any) -> None:
        for value in values:
            for text in _strings(value):
                if len(text) >= MIN_SECRET_LENGTH and text not in self._values:
                    self._values.add(text)
                    self._pattern = None

    def redact(self, text: str) -> str:
        if not self._values:
            return text
        if self._pattern is None:
            ordered = sorted(self._values, key=len, reverse=True)
            self._pattern = re.compile("|".join(re.escape(v) for v in ordered))
        return self._pattern.sub("***", text)


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def is_sensitive(
    path: ValuePath, sensitive: frozenset[FieldPath], secret_paths: frozenset[ValuePath]
) -> bool:
    """A path is sensitive when it is, or lies under, a sensitive field or an env-derived value."""
    return any(path[: len(s)] == s for s in sensitive) or any(
        path[: len(s)] == s for s in secret_paths
    )


def body_template(
    body: dict[str, Any],
    spec: dict[str, Any],
    sensitive: frozenset[FieldPath],
    secret_paths: frozenset[ValuePath],
    env_names: dict[ValuePath, list[str]],
) -> dict[str, Any]:
    """`body` (spec names) with every sensitive leaf replaced by a reference to its source:
    the spec (resolved again from the environment at apply time) or the live assistant."""

    def walk(value: Any, path: ValuePath) -> Any:
        if isinstance(value, dict):
            return {key: walk(item, (*path, key)) for key, item in value.items()}
        if isinstance(value, list):
            # A list item may come from the environment (`- ${env:NAME}`) on its own.
            return [walk(item, (*path, index)) for index, item in enumerate(value)]
        if not is_sensitive(path, sensitive, secret_paths):
            return value
        if lookup(spec, path) is ABSENT:
            return {SECRET_REF: {"from": "live", "path": list(path)}}
        ref: dict[str, Any] = {"from": "spec", "path": list(path)}
        names = [n for p, ns in env_names.items() if p[: len(path)] == path for n in ns]
        if names:
            ref["env"] = sorted(set(names))
        return {SECRET_REF: ref}

    return {key: walk(value, (key,)) for key, value in body.items()}


def resolve_template(template: Any, spec: dict[str, Any], live: dict[str, Any]) -> Any:
    """The real body: references replaced from the resolved spec or the live assistant."""
    if isinstance(template, dict):
        ref = template.get(SECRET_REF)
        if isinstance(ref, dict) and len(template) == 1:
            source = spec if ref.get("from") == "spec" else live
            value = lookup(source, tuple(ref.get("path", [])))
            return None if value is ABSENT else value
        return {key: resolve_template(value, spec, live) for key, value in template.items()}
    if isinstance(template, list):
        return [resolve_template(value, spec, live) for value in template]
    return template

"""Keeping secret values inside the process.

Every output passes through a `Redactor` that knows the secret values of the run
(credentials, values read from `${env:…}`, sensitive live values). Plan files never hold
secret values at all: they hold references; `apply` rebuilds the real request itself and
only compares it with the saved one, so a reference in a plan file can point nowhere else.

A secret can reach an output in another form than its own: a vendor echoes it inside a JSON
string, a redirect carries it URL-encoded, a list of messages is shown with `repr`. The
redactor masks every such form, and does it in one pass over the output (Aho-Corasick), so
that its cost grows with the output and not with secrets times output.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus

import ahocorasick

from voiceops.paths import is_under
from voiceops.reconcile.changes import ABSENT, Change, ValuePath, lookup
from voiceops.spec.schemas import FieldPath
from voiceops.textsafety import clean_line, json_safe, no_mentions

if TYPE_CHECKING:
    from voiceops.reconcile.plan import Plan

MASK = "(sensitive)"
SECRET_REF = "$secret"
REDACTED = "***"
# Secrets shorter than this are masked only where they stand on their own (see Redactor).
SHORT = 4

_PERCENT = re.compile(r"%[0-9A-F]{2}")
_PLAIN = re.compile(r"[A-Za-z0-9._~-]+\Z")


def _json(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)[1:-1]


def _json_ascii(text: str) -> str:
    return json.dumps(text)[1:-1]


def _json_slashes(text: str) -> str:
    # PHP's json_encode (Laravel: Autocalls) also escapes "/".
    return _json_ascii(text).replace("/", "\\/")


def _repr(text: str) -> str:
    return repr(text)[1:-1]


def _ascii(text: str) -> str:
    return ascii(text)[1:-1]


# A lone surrogate (half an emoji a vendor cut) is URL-encoded as its UTF-8-like bytes, as
# `surrogatepass` writes them, instead of ending the run.
def _url(text: str) -> str:
    return quote(text, safe="", errors="surrogatepass")


def _url_path(text: str) -> str:
    return quote(text, errors="surrogatepass")


def _url_form(text: str) -> str:
    return quote_plus(text, errors="surrogatepass")


def _url_form_path(text: str) -> str:
    return quote_plus(text, safe="/", errors="surrogatepass")


def _lower_hex(text: str) -> str:
    return _PERCENT.sub(lambda m: m.group(0).lower(), text)


_ENCODINGS: tuple[Callable[[str], str], ...] = (
    _json,
    _json_ascii,
    _json_slashes,
    _repr,
    _ascii,
    _url,
    _url_path,
    _url_form,
    _url_form_path,
)


def encodings(secret: str) -> set[str]:
    """Every form in which `secret` may reach an output: raw, JSON-escaped, repr and
    URL-encoded, each also once more JSON-escaped or repr'd (a vendor message quoting a
    request body, shown inside JSON), URL forms also with lower-case hex digits."""
    if _PLAIN.match(secret):
        return {secret}  # no encoding changes it (the common case: generated tokens)
    forms = {secret}
    for encode in _ENCODINGS:
        once = encode(secret)
        forms.add(once)
        forms.add(_lower_hex(once))
        forms.add(_json(once))
        forms.add(_json_ascii(once))
        forms.add(_repr(once))
    # What is left of it after a terminal's control characters are stripped, or markdown
    # has broken up its `@`.
    forms.update({json_safe(form) for form in list(forms)})
    forms.update({clean_line(form) for form in list(forms)})
    forms.update({no_mentions(form) for form in list(forms)})
    forms.discard("")
    return forms


class Redactor:
    """Masks every known secret, in every encoding, in any text.

    A secret shorter than `SHORT` characters is masked wherever it stands on its own, i.e.
    not as part of a longer word (`eu` is masked in `region eu` but not in `queue`):
    masking it inside every word would make the output unreadable. Values that are only
    observed (sensitive fields read from a vendor, already masked field by field) are
    added with `observed=True` and, when that short, not at all.
    """

    def __init__(self) -> None:
        self._values: set[str] = set()
        self._automaton: Any = None

    def add(self, *values: Any, observed: bool = False) -> None:
        for value in values:
            for text in _strings(value):
                if not text or text in self._values or (observed and len(text) < SHORT):
                    continue
                self._values.add(text)
                self._automaton = None

    @property
    def secrets(self) -> frozenset[str]:
        return frozenset(self._values)

    def redact(self, text: str) -> str:
        if not self._values or not text:
            return text
        automaton = self._build()
        pieces: list[str] = []
        position = 0
        # Leftmost, longest, non-overlapping: a secret that contains another is masked whole.
        for end, length in automaton.iter_long(text):
            start = end - length + 1
            if length < SHORT and not _stands_alone(text, start, end + 1):
                continue
            pieces.append(text[position:start])
            pieces.append(REDACTED)
            position = end + 1
        if not pieces:
            return text
        pieces.append(text[position:])
        return "".join(pieces)

    def _build(self) -> Any:
        if self._automaton is None:
            automaton = ahocorasick.Automaton()
            for secret in self._values:
                for form in encodings(secret):
                    automaton.add_word(form, len(form))
            automaton.make_automaton()
            self._automaton = automaton
        return self._automaton


def _stands_alone(text: str, start: int, end: int) -> bool:
    """No letter or digit continues the match on a side where it begins or ends with one."""
    if text[start].isalnum() and start > 0 and text[start - 1].isalnum():
        return False
    return not (text[end - 1].isalnum() and end < len(text) and text[end].isalnum())


def scrub_plan(plan: Plan, redactor: Redactor) -> Plan:
    """`plan` with secrets masked in its error messages and shown values, before any
    renderer transforms them (a markdown escape or a stripped control character would
    otherwise hide a secret from the final pass over the output)."""
    for assistant in plan.assistants:
        if assistant.error:
            assistant.error = redactor.redact(assistant.error)
        assistant.changes = [_scrubbed(change, redactor) for change in assistant.changes]
    plan.warnings = [redactor.redact(w) for w in plan.warnings]
    plan.unmanaged = [
        dataclasses.replace(u, id=redactor.redact(u.id), name=redactor.redact(u.name))
        for u in plan.unmanaged
    ]
    return plan


def _scrubbed(change: Change, redactor: Redactor) -> Change:
    before = redact_value(change.before, redactor)
    after = redact_value(change.after, redactor)
    if before is change.before and after is change.after:
        return change  # nothing masked (the common case): no copy
    return dataclasses.replace(change, before=before, after=after)


def redact_value(value: Any, redactor: Redactor) -> Any:
    """A JSON-shaped value with every string (keys too) redacted."""
    if isinstance(value, str):
        return redactor.redact(value)
    if isinstance(value, dict):
        return {redact_value(k, redactor): redact_value(v, redactor) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_value(v, redactor) for v in value]
    return value


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
    return any(is_under(path, s) for s in sensitive) or any(is_under(path, s) for s in secret_paths)


def body_template(
    body: dict[str, Any],
    spec: dict[str, Any],
    sensitive: frozenset[FieldPath],
    secret_paths: frozenset[ValuePath],
    env_names: dict[ValuePath, list[str]],
) -> dict[str, Any]:
    """`body` (spec names) with every sensitive leaf replaced by a reference to its source:
    the spec (resolved again from the environment at apply time) or the live assistant."""
    marked = sensitive | secret_paths
    # The first keys of the marked paths: a field that holds none of them is copied as is.
    tops = {path[0] for path in marked if path}

    def walk(value: Any, path: ValuePath) -> Any:
        if len(path) == 1 and path[0] not in tops and () not in marked:
            return _copy(value)
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
        names = [n for p, ns in env_names.items() if is_under(p, path) for n in ns]
        if names:
            ref["env"] = sorted(set(names))
        return {SECRET_REF: ref}

    return {key: walk(value, (key,)) for key, value in body.items()}


def _copy(value: Any) -> Any:
    """A JSON-shaped value with its own mappings and lists (the leaves are shared)."""
    if isinstance(value, dict):
        return {key: _copy(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_copy(item) for item in value]
    return value

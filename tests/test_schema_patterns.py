"""Every `pattern` in the shipped schemas means the same in both validators voiceops runs
(jsonschema-rs, ECMA-262 rules; python-jsonschema, Python's `re.search`) and in editors.

Python's `$` also matches before a final newline, so `^[a-z]+$` lets "abc\\n" through
there while the other engine refuses it; the schemas close that gap with `$(?!\\n)`."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from voiceops.spec.schema_errors import PATTERN_WORDS

SCHEMAS = Path(__file__).resolve().parent.parent / "schemas"
END = "$(?!\\n)"
ERROR = "x-voiceops-error"


def _patterns(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "pattern" and isinstance(value, str):
                yield value
            elif key == "patternProperties" and isinstance(value, dict):
                yield from value
            yield from _patterns(value)
    elif isinstance(node, list):
        for item in node:
            yield from _patterns(item)


PATTERNS = sorted(
    {p for path in SCHEMAS.glob("*.schema.json") for p in _patterns(json.loads(path.read_text()))}
)


def test_the_walk_finds_the_patterns() -> None:
    assert len(PATTERNS) >= 8
    assert any(p.endswith(END) for p in PATTERNS)


@pytest.mark.parametrize("pattern", PATTERNS)
def test_an_end_anchor_cannot_match_before_a_final_newline(pattern: str) -> None:
    assert pattern.count("$") - pattern.count("\\$") == pattern.count(END), pattern


def _agree(pattern: str, value: str) -> bool:
    schema = {"type": "string", "pattern": pattern}
    fast = jsonschema_rs.Draft202012Validator(schema).is_valid(value)
    explaining = Draft202012Validator(schema).is_valid(value)
    assert fast == explaining, (pattern, value)
    return bool(fast)


@pytest.mark.parametrize("pattern", PATTERNS)
@settings(max_examples=25, deadline=None)
@given(data=st.data())
def test_both_engines_agree_and_a_trailing_newline_is_refused(pattern: str, data: Any) -> None:
    generating = pattern.replace(END, "\\Z")
    value = data.draw(st.from_regex(generating, fullmatch=True))
    assert _agree(pattern, value)
    anchored_at_end = pattern.endswith(END)
    assert _agree(pattern, value + "\n") is not anchored_at_end


def _unexplained(node: Any) -> Iterator[str]:
    """Patterns whose mismatch validate would report as the raw regex: neither in
    PATTERN_WORDS nor beside a message of their own (x-voiceops-error)."""
    if isinstance(node, dict):
        pattern = node.get("pattern")
        if isinstance(pattern, str) and pattern not in PATTERN_WORDS and ERROR not in node:
            yield pattern
        names = node.get("patternProperties")
        if isinstance(names, dict):
            yield from (p for p in names if p not in PATTERN_WORDS)
        for value in node.values():
            yield from _unexplained(value)
    elif isinstance(node, list):
        for item in node:
            yield from _unexplained(item)


@pytest.mark.parametrize("path", sorted(SCHEMAS.glob("*.schema.json")), ids=lambda p: p.name)
def test_every_pattern_has_words(path: Path) -> None:
    assert list(_unexplained(json.loads(path.read_text()))) == []

"""Precise edits of one document: the changed value's text changes, nothing else does."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceops.errors import VoiceopsError
from voiceops.spec.yamledit import Add, Replace, edit_document
from voiceops.spec.yamlsource import load_documents

KEY = st.from_regex(r"k[a-z0-9_]{0,6}", fullmatch=True)  # never a YAML 1.1 boolean
WORD = st.from_regex(r"[a-z][a-z0-9_-]{0,7}", fullmatch=True).filter(
    lambda w: w not in ("n", "y", "no", "null")
)
TEXT = st.text(st.sampled_from("abc XYZ09:#'\",.-_[]{}é\\/\t!&*?|>%@`"), max_size=12)
COMMENT = st.text(st.sampled_from("abc XYZ09:#'\",.-_[]{}é!&*"), max_size=15).map(lambda t: "#" + t)
NEW_VALUES = st.one_of(
    st.text(max_size=30),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
    st.lists(st.text(max_size=8), min_size=1, max_size=3),
    st.dictionaries(KEY, st.integers(), min_size=1, max_size=3),
)


@st.composite
def scalar_texts(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "int", "single", "double", "null"]))
    if kind == "null":
        return ""  # `key:` alone
    if kind == "plain":
        return draw(WORD)
    if kind == "int":
        return str(draw(st.integers(-1000, 10**9)))
    text = draw(TEXT)
    if kind == "single":
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text)


@dataclass
class Written:
    """A block-style file and the line of every scalar value in it, by path."""

    lines: list[str] = field(default_factory=list)
    scalars: dict[tuple[str, ...], int] = field(default_factory=dict)
    mappings: list[tuple[str, ...]] = field(default_factory=list)


def mappings(depth: int) -> st.SearchStrategy[dict[str, Any]]:
    leaf = scalar_texts()
    value = leaf if depth == 0 else st.one_of(leaf, leaf, mappings(depth - 1))
    return st.dictionaries(KEY, value, min_size=1, max_size=4)


def write(draw: st.DrawFn, data: dict[str, Any], out: Written, path: tuple[str, ...]) -> None:
    indent = " " * (2 * len(path))
    out.mappings.append(path)
    for key, value in data.items():
        out.lines += draw(st.lists(st.one_of(st.just(""), COMMENT.map(indent.__add__)), max_size=2))
        trailing = draw(st.one_of(st.just(""), COMMENT.map(lambda c: "  " + c)))
        if isinstance(value, dict):
            out.lines.append(f"{indent}{key}:{trailing}")
            write(draw, value, out, (*path, key))
        else:
            out.scalars[(*path, key)] = len(out.lines)
            out.lines.append(f"{indent}{key}:{' ' if value else ''}{value}{trailing}")


@st.composite
def files(draw: st.DrawFn) -> tuple[str, Written]:
    out = Written()
    out.lines.append("# a document before")
    out.lines.append("other: {kept: [1, 2]}")
    out.lines.append("---")
    write(draw, draw(mappings(2)), out, ())
    tail = draw(st.sampled_from(["", "\n# after\n", "\n---\nlast: 1\n"]))
    return "\n".join(out.lines) + tail, out


def line_changes(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    old, new = before.splitlines(), after.splitlines()
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    return [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def at(data: Any, path: tuple[str, ...]) -> Any:
    for part in path:
        data = data[part]
    return data


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), NEW_VALUES, st.data())
def test_replacing_one_scalar_changes_exactly_that_value(
    file: tuple[str, Written], value: Any, data: st.DataObject
) -> None:
    text, written = file
    path = data.draw(st.sampled_from(sorted(written.scalars)))
    before = load_documents(text, "a.yaml")

    edited = edit_document(text, 1, [Replace(path, value)], "a.yaml")

    after = load_documents(edited, "a.yaml")
    expected = json.loads(json.dumps(before[1].data))
    at(expected, path[:-1])[path[-1]] = value
    assert repr(after[1].data) == repr(expected)
    assert [repr(d.data) for i, d in enumerate(after) if i != 1] == [
        repr(d.data) for i, d in enumerate(before) if i != 1
    ]
    # Every line but the value's is kept, in place; the value's line keeps its key.
    old_lines, new_lines = text.splitlines(), edited.splitlines()
    row = written.scalars[path]
    kept_after = len(old_lines) - row - 1
    assert new_lines[:row] == old_lines[:row]
    assert new_lines[len(new_lines) - kept_after :] == old_lines[row + 1 :]
    changed = new_lines[row : len(new_lines) - kept_after]
    old_line = old_lines[row]
    key_part = old_line[: old_line.index(":") + 1]
    assert changed[0].startswith(key_part)
    comment = old_line.find("  #", len(key_part))
    if comment >= 0 and not old_line[len(key_part) :].lstrip().startswith(("'", '"')):
        assert changed[0].endswith(old_line[comment:])  # a trailing comment stays there
    if not isinstance(value, dict | list) and "\n" not in str(value):
        assert len(changed) == 1


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), KEY, NEW_VALUES, st.data())
def test_adding_a_key_only_inserts_lines(
    file: tuple[str, Written], key: str, value: Any, data: st.DataObject
) -> None:
    text, written = file
    path = data.draw(st.sampled_from(written.mappings))
    before = load_documents(text, "a.yaml")
    if key in at(before[1].data, path):
        return
    edited = edit_document(text, 1, [Add(path, key, value)], "a.yaml")
    expected = json.loads(json.dumps(before[1].data))
    at(expected, path)[key] = value
    assert repr(load_documents(edited, "a.yaml")[1].data) == repr(expected)
    assert {tag for tag, _, _ in line_changes(text, edited)} == {"insert"}


def test_several_edits_in_one_document() -> None:
    text = (
        "# head\n"
        "spec:\n"
        "  prompt: |\n"
        "    one\n"
        "    two\n"
        "\n"
        "  # about n\n"
        "  n:\n"
        '    deep: "yes"   # keep\n'
        "  hints:  # words\n"
        "  - a\n"
        "  last: 'v'  # end\n"
    )
    edits = [
        Replace(("spec", "prompt"), "short"),
        Replace(("spec", "n", "deep"), "no"),
        Replace(("spec", "hints"), ["b", "c"]),
        Replace(("spec", "last"), "multi\nline\n"),
        Add(("spec", "n"), "more", 1),
        Add(("spec",), "extra", {"k": True}),
    ]
    assert edit_document(text, 0, edits, "a.yaml") == (
        "# head\n"
        "spec:\n"
        "  prompt: short\n"
        "\n"
        "  # about n\n"
        "  n:\n"
        '    deep: "no"   # keep\n'
        "    more: 1\n"
        "  hints:  # words\n"
        "  - b\n"
        "  - c\n"
        "  last: |  # end\n"
        "    multi\n"
        "    line\n"
        "  extra:\n"
        "    k: true\n"
    )


def test_flow_style_values_are_edited_inside_the_braces() -> None:
    text = "{metadata: {name: x}, spec: {a: 1, b: [x, y]}}  # flow\n"
    edited = edit_document(
        text,
        0,
        [Replace(("spec", "a"), "two\nlines"), Replace(("spec", "b"), []), Add(("spec",), "c", 3)],
        "a.yaml",
    )
    assert edited == '{metadata: {name: x}, spec: {a: "two\\nlines", b: [], c: 3}}  # flow\n'


def test_an_edit_without_a_precise_form_is_refused_with_one_sentence() -> None:
    text = "spec:\n  hints:  # words\n    - a\n"
    with pytest.raises(VoiceopsError, match=r"cannot update this document in place") as caught:
        edit_document(text, 0, [Replace(("spec", "hints"), ["b"])], "a.yaml")
    assert str(caught.value).startswith("a.yaml:2:3: ")

"""The YAML loader: plain data, the place of every key and value, and the YAML features
voiceops refuses or explains."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from yaml.nodes import MappingNode, ScalarNode

from voiceops.errors import Location, VoiceopsError
from voiceops.paths import walk
from voiceops.spec.yamlsource import (
    MAX_DEPTH,
    YamlDocument,
    _Loader,
    load_documents,
    load_file,
    read_text,
)


def one(text: str) -> YamlDocument:
    documents = load_documents(text, "f.yaml")
    assert len(documents) == 1
    return documents[0]


def refused(text: str) -> VoiceopsError:
    with pytest.raises(VoiceopsError) as caught:
        load_documents(text, "f.yaml")
    return caught.value


# --- data and positions, against PyYAML itself

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.sampled_from(["no", "yes", "on", "0755", "1:30", "~", "", "- x", "a: b", "#c", "&x", "*y"]),
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=25,
)


def node_at(node: Any, path: tuple[Any, ...], *, key: bool) -> Any:
    """The node PyYAML composes at `path` (its key node with `key`)."""
    found = node
    key_node = None
    for part in path:
        if isinstance(found, MappingNode):
            key_node, found = next((k, v) for k, v in found.value if k.value == part)
        else:
            key_node, found = None, found.value[part]
    return key_node if key and key_node is not None else found


@settings(max_examples=300, deadline=None)
@given(data=documents, flow=st.booleans())
def test_data_and_every_position_match_pyyaml(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    doc = one(text)
    assert doc.data == yaml.safe_load(text)
    root = yaml.compose(text, Loader=yaml.SafeLoader)
    for path, _ in walk(doc.data):
        for key in (False, True):
            mark = node_at(root, path, key=key).start_mark
            assert doc.location(path, key=key) == Location("f.yaml", mark.line + 1, mark.column + 1)


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=12) | st.from_regex(r"[-+]?[0-9_.:eExXoObB]{1,8}", fullmatch=True))
def test_the_resolver_shortcut_agrees_with_pyyaml(text: str) -> None:
    loader = _Loader("")
    try:
        for implicit in ((True, False), (False, True)):
            expected = yaml.SafeLoader.resolve(loader, ScalarNode, text, implicit)
            assert loader.resolve(ScalarNode, text, implicit) == expected
    finally:
        loader.dispose()


def test_positions_of_keys_values_and_list_items() -> None:
    doc = one("a: 1\nspec:\n  name: x\n  hints:\n    - one\n    - two\n")
    assert doc.location(("spec", "name")) == Location("f.yaml", 3, 9)
    assert doc.location(("spec", "name"), key=True) == Location("f.yaml", 3, 3)
    assert doc.location(("spec", "hints", 1)) == Location("f.yaml", 6, 7)
    # A list item has no key: its value is where it is written.
    assert doc.location(("spec", "hints", 1), key=True) == Location("f.yaml", 6, 7)
    # A path that does not exist falls back to the nearest enclosing key.
    assert doc.location(("spec", "missing", "deeper")) == Location("f.yaml", 2, 1)
    assert doc.location(("spec", "hints", 9)) == Location("f.yaml", 4, 3)
    assert doc.key_positions[("spec", "hints")] == (4, 3)
    assert doc.value_positions[("spec", "hints", 0)] == (5, 7)


def test_byte_order_mark_and_windows_line_endings(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes(b"\xef\xbb\xbfa: 1\r\nspec:\r\n  name: x\r\n")
    [doc] = load_file(path, "f.yaml")
    assert doc.data == {"a": 1, "spec": {"name": "x"}}
    assert doc.location(("spec", "name")) == Location("f.yaml", 3, 9)


def test_several_documents_keep_their_index_and_empty_ones_are_skipped() -> None:
    docs = load_documents("---\na: 1\n---\n---\nb: 2\n...\n", "f.yaml")
    assert [(d.index, d.data) for d in docs] == [(0, {"a": 1}), (2, {"b": 2})]
    assert docs[1].location(("b",)) == Location("f.yaml", 5, 4)


def test_text_that_yaml_would_turn_into_other_types_stays_text() -> None:
    doc = one("when: 2024-05-01\nblob: !!binary aGk=\ncustom: !thing x\nquoted: '12'\n")
    assert doc.data == {"when": "2024-05-01", "blob": "aGk=", "custom": "x", "quoted": "12"}


# --- YAML 1.1 surprises


@pytest.mark.parametrize(
    ("text", "value"),
    [("no", False), ("On", True), ("YES", True), ("0755", 493), ("1:30", 90), ("0x1F", 31)],
)
def test_surprising_plain_scalars_are_remembered(text: str, value: Any) -> None:
    doc = one(f"spec:\n  x: {text}\n")
    assert doc.data["spec"]["x"] == value
    assert doc.surprise(("spec", "x")) == text
    assert doc.surprises == {("spec", "x"): text}


@pytest.mark.parametrize("text", ["true", "false", "'no'", '"0755"', "0", "0.5", "12", "1.5e3"])
def test_ordinary_scalars_are_not_surprising(text: str) -> None:
    doc = one(f"x: {text}\n")
    assert doc.surprise(("x",)) is None
    assert doc.surprises == {}


def test_a_boolean_key_is_refused_with_a_hint() -> None:
    error = refused("labels:\n  on: call\n")
    assert (
        str(error)
        == 'f.yaml:2:3: mapping key on is not a string: YAML 1.1 reads on as true; quote it ("on")'
    )


# --- refused YAML features


def test_duplicate_keys_name_the_first_one() -> None:
    error = refused("spec:\n  name: a\n  idle: 1\n  name: b\n")
    assert error.location == Location("f.yaml", 4, 3)
    assert "duplicate key 'name' (first defined on line 2)" in error.message


def test_an_alias_is_refused_where_it_is_used() -> None:
    error = refused("a: &x [1, 2]\nb: 3\nc: *x\n")
    assert error.location == Location("f.yaml", 3, 4)
    assert error.message.startswith("*x is a YAML alias")


def test_an_anchor_that_is_never_used_and_ampersands_in_text_are_fine() -> None:
    doc = one("a: &x 1\nteam: R&D\n")
    assert doc.data == {"a": 1, "team": "R&D"}


def test_merge_keys_are_refused() -> None:
    error = refused("base: &b {x: 1}\nspec:\n  <<: *b\n")
    assert error.location == Location("f.yaml", 3, 3)
    assert "merge keys (<<) are not allowed" in error.message


def test_a_billion_laughs_is_refused_at_once() -> None:
    lines = ['a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]")
    error = refused("\n".join(lines) + "\n")
    assert error.location == Location("f.yaml", 2, 8)


def test_nesting_is_limited_in_block_and_flow_style() -> None:
    ok = "x: " + "[" * (MAX_DEPTH - 1) + "]" * (MAX_DEPTH - 1) + "\n"
    assert one(ok).data["x"]
    block = (
        "".join("  " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 2))
        + "  " * (MAX_DEPTH + 2)
        + "v\n"
    )
    assert "nested more than" in refused(block).message
    # Deep enough to overflow the C parser's stack, which would kill the process.
    flow = "x: " + "{a: " * 100_000 + "1" + "}" * 100_000 + "\n"
    assert "nested more than" in refused(flow).message
    for compact in ("- " * 300_000, "? " * 300_000, "a:\n" + "- ? " * 150_000):
        assert "nested more than" in refused(compact + "x\n").message


def test_syntax_errors_say_where_the_unclosed_thing_started() -> None:
    error = refused("spec:\n  hints: [a, b\n  name: x\n")
    assert error.location == Location("f.yaml", 3, 7)
    assert "(parsing a flow sequence that starts at line 2, column 10); is a ] missing?" in (
        error.message
    )


# --- reading files


def test_a_file_over_1_mib_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_bytes(b"#" * (1024 * 1024 + 1))
    with pytest.raises(VoiceopsError, match="at most 1 MiB") as caught:
        read_text(path, "big.yaml")
    assert caught.value.location == Location("big.yaml", 1, 1)


def test_invalid_utf8_is_placed_by_line_and_character(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_bytes("a: 1\nname: Zoë and ".encode() + b"\xff\n")
    with pytest.raises(VoiceopsError, match="byte 0xff is not valid UTF-8") as caught:
        read_text(path, "f.yaml")
    assert caught.value.location == Location("f.yaml", 2, 15)  # the 15th character, 16th byte


def test_an_unreadable_path_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(VoiceopsError, match="cannot read the file"):
        read_text(tmp_path, "dir.yaml")


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"])
def test_an_invisible_line_break_is_text_inside_quotes(brk: str) -> None:
    text = f"a: 'one{brk}two'\nb: \"three{brk}four\"\n"
    (doc,) = load_documents(text, "x.yaml")
    assert isinstance(doc.data, dict)
    assert set(doc.data) == {"a", "b"}


@pytest.mark.parametrize("brk", ["\u2028", "\u2029", "\x85"])
@pytest.mark.parametrize(
    ("text", "line", "col"),
    [
        ("a: 1  # note{brk}b: 2\n", 1, 13),
        ("a: plain{brk}text\n", 1, 9),
        ("a: |\n  block{brk}text\n", 2, 8),
        ("'q': x\n{brk}b: 2\n", 2, 1),
    ],
)
def test_an_invisible_line_break_outside_quotes_is_refused(
    brk: str, text: str, line: int, col: int
) -> None:
    with pytest.raises(VoiceopsError) as caught:
        load_documents(text.format(brk=brk), "x.yaml")
    assert caught.value.location == Location("x.yaml", line, col)
    assert f"U+{ord(brk):04X} is a line break in YAML" in str(caught.value)

"""Id write-back: one line added to one document, every other byte of the file kept."""

from __future__ import annotations

import difflib
import json
import os
import stat
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceops.errors import VoiceopsError
from voiceops.spec.writeback import id_text, insert_id, write_id
from voiceops.spec.yamlsource import load_documents, load_file

BOM = "\ufeff".encode()


def written(tmp_path: Path, content: str | bytes, document: int, new_id: str | int) -> bytes:
    path = tmp_path / "a.yaml"
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    write_id(path, document, new_id, root=tmp_path)
    return path.read_bytes()


def line_changes(before: str, after: str) -> list[tuple[str, list[str], list[str]]]:
    """difflib's opcodes between the lines, as (tag, old lines, new lines), once the lines
    both share at the start and at the end are set aside (as diff tools do: difflib alone
    may align repeated documents oddly)."""
    old, new = before.splitlines(), after.splitlines()
    head = 0
    while head < min(len(old), len(new)) and old[head] == new[head]:
        head += 1
    tail = 0
    while tail < min(len(old), len(new)) - head and old[-1 - tail] == new[-1 - tail]:
        tail += 1
    old, new = old[head : len(old) - tail], new[head : len(new) - tail]
    ops = difflib.SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes()
    return [(tag, old[i1:i2], new[j1:j2]) for tag, i1, i2, j1, j2 in ops if tag != "equal"]


def one_line_added(before: str, after: str) -> str:
    """The line `after` has and `before` lacks; fails unless that is the only difference."""
    [(tag, old, new)] = line_changes(before, after)
    assert (tag, len(old), len(new)) == ("insert", 0, 1)
    return new[0]


def one_line_changed(before: str, after: str) -> tuple[str, str]:
    [(tag, old, new)] = line_changes(before, after)
    assert (tag, len(old), len(new)) == ("replace", 1, 1)
    return old[0], new[0]


def only_inserted(before: bytes, after: bytes) -> bytes:
    """The bytes `after` adds to `before`; fails unless they are one contiguous insertion."""
    prefix = 0
    while prefix < len(before) and before[prefix] == after[prefix]:
        prefix += 1
    added = len(after) - len(before)
    assert added > 0
    assert after[prefix + added :] == before[prefix:]
    return after[prefix : prefix + added]


def data_of(path: Path) -> list[Any]:
    return [doc.data for doc in load_file(path, "a.yaml")]


def with_id(data: dict[str, Any], new_id: str | int) -> dict[str, Any]:
    return {**data, "id": new_id}


# ---- examples ---------------------------------------------------------------------------

BLOCK = """\
# yaml-language-server: $schema=../schemas/edmo.schema.json
# The intake line.
metadata:
  name: intake  # the name in git
  labels: {team: "sales"}
provider: 'edmo-main'   # which connection

# what the vendor holds
spec:
  name: "Intake"
  voice: alloy
  hints:
    - one
    - 'two'
"""


def test_block_document_gets_one_line_after_provider(tmp_path: Path) -> None:
    before = data_of_text(BLOCK)
    after = written(tmp_path, BLOCK, 0, "asst_42").decode()
    assert one_line_added(BLOCK, after) == 'id: "asst_42"'
    assert after.splitlines()[5:7] == [
        "provider: 'edmo-main'   # which connection",
        'id: "asst_42"',
    ]
    assert data_of(tmp_path / "a.yaml") == [with_id(before[0], "asst_42")]
    assert list(data_of(tmp_path / "a.yaml")[0]) == ["metadata", "provider", "id", "spec"]


def data_of_text(text: str) -> list[Any]:
    return [doc.data for doc in load_documents(text, "a.yaml")]


def test_indentation_of_the_top_level_keys_is_kept(tmp_path: Path) -> None:
    text = "  metadata: {name: a}\n  provider: edmo\n  spec: {}\n"
    after = written(tmp_path, text, 0, "x").decode()
    assert after == '  metadata: {name: a}\n  provider: edmo\n  id: "x"\n  spec: {}\n'


def test_crlf_file_keeps_its_line_endings(tmp_path: Path) -> None:
    text = "metadata:\r\n  name: a\r\nprovider: edmo\r\nspec:\r\n  x: 1\r\n"
    after = written(tmp_path, text, 0, "a-1")
    assert only_inserted(text.encode(), after) == b'id: "a-1"\r\n'


def test_the_other_documents_stay_byte_identical(tmp_path: Path) -> None:
    first = "# first\nmetadata: {name: a}\nprovider: edmo\nid: 'old'\nspec: {x: 1}\n"
    second = 'metadata: {name: b}\nprovider: "invent"\n# keep\nspec:\n  y: [1, 2]\n...\n'
    text = first + "---\n" + second + "--- # third\nmetadata: {name: c}\nprovider: edmo\n"
    before = data_of_text(text)
    after = written(tmp_path, text, 1, "asst_9").decode()
    assert after.startswith(first + "---\n")
    assert one_line_added(text, after) == 'id: "asst_9"'
    assert after.endswith(
        'provider: "invent"\nid: "asst_9"\n# keep\nspec:\n  y: [1, 2]\n...\n'
        "--- # third\nmetadata: {name: c}\nprovider: edmo\n"
    )
    assert data_of(tmp_path / "a.yaml") == [before[0], with_id(before[1], "asst_9"), before[2]]


def test_document_is_also_named_by_what_the_loader_gave(tmp_path: Path) -> None:
    text = "---\n---\nmetadata: {name: b}\nprovider: edmo\n"
    doc = load_documents(text, "a.yaml")[0]
    assert doc.index == 1  # the empty document counts
    after = written(tmp_path, text, 1, 7)
    assert after.decode().endswith("provider: edmo\nid: 7\n")
    (tmp_path / "a.yaml").write_text(text)
    write_id(tmp_path / "a.yaml", doc, 8, root=tmp_path)
    assert data_of(tmp_path / "a.yaml") == [with_id(doc.data, 8)]


def test_a_changed_document_is_refused(tmp_path: Path) -> None:
    doc = load_documents("metadata: {name: b}\nprovider: edmo\n", "a.yaml")[0]
    path = tmp_path / "a.yaml"
    path.write_text("metadata: {name: c}\nprovider: edmo\n")
    with pytest.raises(VoiceopsError, match="changed"):
        write_id(path, doc, "x", root=tmp_path)
    assert path.read_text() == "metadata: {name: c}\nprovider: edmo\n"


def test_byte_order_mark_and_missing_final_newline_survive(tmp_path: Path) -> None:
    text = BOM + b"metadata: {name: a}\nspec: {}\nprovider: edmo"
    after = written(tmp_path, text, 0, "z")
    assert after == BOM + b'metadata: {name: a}\nspec: {}\nprovider: edmo\nid: "z"'


def test_no_provider_goes_after_metadata_then_first(tmp_path: Path) -> None:
    assert insert_id("metadata:\n  name: a\nspec: {}\n", 0, "q", "a.yaml") == (
        'metadata:\n  name: a\nid: "q"\nspec: {}\n'
    )
    assert insert_id("# c\nspec: {}\nother: 1\n", 0, "q", "a.yaml") == (
        '# c\nid: "q"\nspec: {}\nother: 1\n'
    )


def test_a_provider_spanning_lines_gets_the_id_before_the_next_key() -> None:
    text = "metadata: {name: a}\nprovider: >-\n  edmo\n\n# spec\nspec: {}\n"
    after = insert_id(text, 0, "q", "a.yaml")
    assert after == 'metadata: {name: a}\nprovider: >-\n  edmo\n\n# spec\nid: "q"\nspec: {}\n'
    last = "metadata: {name: a}\nprovider: |\n  edmo\n"
    assert insert_id(last, 0, "q", "a.yaml") == (
        'metadata: {name: a}\nid: "q"\nprovider: |\n  edmo\n'
    )


def test_flow_document_changes_one_line(tmp_path: Path) -> None:
    text = "# modeline\n{metadata: {name: a}, provider: x, spec: {a: [1, 2]}}  # end\n"
    after = written(tmp_path, text, 0, "n1").decode()
    _, new = one_line_changed(text, after)
    assert new == '{metadata: {name: a}, provider: x, id: "n1", spec: {a: [1, 2]}}  # end'
    last = "--- {metadata: {name: a}, spec: {}, provider: x}\n"
    assert (
        insert_id(last, 0, 5, "a.yaml")
        == "--- {id: 5, metadata: {name: a}, spec: {}, provider: x}\n"
    )


def test_an_existing_id_is_refused_where_it_is(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    text = "metadata: {name: a}\nprovider: edmo\n  # c\nid:   'x1'\n"
    path.write_text(text)
    with pytest.raises(VoiceopsError) as caught:
        write_id(path, 0, "x2", root=tmp_path)
    assert str(caught.value.location) == f"{caught.value.location.path}:4:1"
    assert "id already" in caught.value.message
    assert path.read_text() == text


def test_what_is_not_a_mapping_is_refused() -> None:
    with pytest.raises(VoiceopsError, match="not a mapping"):
        insert_id("- a\n- b\n", 0, "x", "a.yaml")
    with pytest.raises(VoiceopsError, match="no document number 2"):
        insert_id("a: 1\n", 1, "x", "a.yaml")


@pytest.mark.parametrize(
    ("new_id", "text"),
    [
        ("asst_42", '"asst_42"'),
        ('a"b\\c', '"a\\"b\\\\c"'),
        ("é\n\u2028😀", '"\\u00e9\\u000a\\u2028\\U0001f600"'),
        (12, "12"),
    ],
)
def test_id_text(new_id: str | int, text: str) -> None:
    assert id_text(new_id) == text
    loaded = load_documents(f"id: {text}\n", "a.yaml")[0].data["id"]
    assert loaded == new_id
    if isinstance(new_id, str) and new_id.isascii():
        assert json.loads(text) == new_id


def test_bad_ids_are_refused() -> None:
    with pytest.raises(VoiceopsError, match="empty id"):
        id_text("")
    with pytest.raises(TypeError):
        id_text(True)


def test_file_mode_is_kept_and_no_temporary_file_remains(tmp_path: Path) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("metadata: {name: a}\nprovider: edmo\n")
    path.chmod(0o640)
    write_id(path, 0, "m", root=tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o640
    # Beside the file, only the lock voiceops runs edit files under.
    assert sorted(p.name for p in tmp_path.iterdir()) == [".voiceops", "a.yaml"]
    assert [p.name for p in (tmp_path / ".voiceops").iterdir()] == ["documents.lock"]


def test_symlink_out_of_the_repository_is_refused(tmp_path: Path) -> None:
    repo, outside = tmp_path / "repo", tmp_path / "outside.yaml"
    repo.mkdir()
    outside.write_text("metadata: {name: a}\nprovider: edmo\n")
    (repo / "a.yaml").symlink_to(outside)
    with pytest.raises(VoiceopsError, match="outside the repository"):
        write_id(repo / "a.yaml", 0, "s", root=repo)
    assert outside.read_text() == "metadata: {name: a}\nprovider: edmo\n"


def test_symlink_inside_the_repository_writes_its_target(tmp_path: Path) -> None:
    (tmp_path / "real.yaml").write_text("metadata: {name: a}\nprovider: edmo\n")
    (tmp_path / "a.yaml").symlink_to("real.yaml")
    write_id(tmp_path / "a.yaml", 0, "s", root=tmp_path)
    assert (tmp_path / "a.yaml").is_symlink()
    assert (tmp_path / "real.yaml").read_text().endswith('provider: edmo\nid: "s"\n')


def test_a_fifo_is_refused_as_the_loader_does(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs here")
    os.mkfifo(tmp_path / "a.yaml")
    with pytest.raises(VoiceopsError, match="not a regular file"):
        write_id(tmp_path / "a.yaml", 0, "s", root=tmp_path)


# ---- property: random files -------------------------------------------------------------

WORD = st.from_regex(r"[a-z][a-z0-9_-]{0,7}", fullmatch=True)
KEY = st.from_regex(r"k[a-z0-9_]{0,6}", fullmatch=True)  # never a YAML 1.1 boolean
TEXT = st.text(st.sampled_from("abc XYZ09:#'\",.-_[]{}é\\/\t!&*?|>%@`"), max_size=12)
COMMENT = st.text(st.sampled_from("abc XYZ09:#'\",.-_[]{}é!&*"), max_size=15).map(lambda t: "#" + t)


@st.composite
def scalars(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["plain", "int", "single", "double"]))
    if kind == "plain":
        return draw(WORD)
    if kind == "int":
        return str(draw(st.integers(-1000, 10**9)))
    text = draw(TEXT)
    if kind == "single":
        return "'" + text.replace("'", "''") + "'"
    return json.dumps(text)


@dataclass
class Node:
    kind: str  # scalar, map, list
    text: str = ""
    entries: tuple[tuple[str, Node], ...] = ()
    items: tuple[Node, ...] = ()
    flow: bool = False


def nodes(depth: int = 2) -> st.SearchStrategy[Node]:
    scalar = scalars().map(lambda t: Node("scalar", t))
    if depth == 0:
        return scalar
    inner = nodes(depth - 1)
    mapping = st.builds(
        lambda entries, flow: Node("map", entries=tuple(entries.items()), flow=flow),
        st.dictionaries(KEY, inner, max_size=3),
        st.booleans(),
    )
    sequence = st.builds(
        lambda items, flow: Node("list", items=tuple(items), flow=flow),
        st.lists(inner, max_size=3),
        st.booleans(),
    )
    return st.one_of(scalar, mapping, sequence)


def flow(node: Node) -> str:
    if node.kind == "scalar":
        return node.text
    if node.kind == "map":
        return "{" + ", ".join(f"{k}: {flow(v)}" for k, v in node.entries) + "}"
    return "[" + ", ".join(flow(item) for item in node.items) + "]"


def block_entry(key: str, node: Node, indent: int, draw: st.DrawFn) -> list[str]:
    pad = " " * indent
    trailing = draw(st.one_of(st.just(""), COMMENT.map(lambda c: "  " + c)))
    if node.kind == "scalar" or node.flow or not (node.entries or node.items):
        return [f"{pad}{key}: {flow(node)}{trailing}"]
    lines = [f"{pad}{key}:{trailing}"]
    if node.kind == "map":
        for child_key, child in node.entries:
            lines += block_entry(child_key, child, indent + 2, draw)
    else:
        step = draw(st.sampled_from([0, 2]))
        lines += [f"{pad}{' ' * step}- {flow(item)}" for item in node.items]
    return lines + draw(fillers(indent))


def fillers(indent: int) -> st.SearchStrategy[list[str]]:
    """Comment and blank lines, to go between entries."""
    line = st.one_of(st.just(""), COMMENT.map(lambda c: " " * indent + c))
    return st.lists(line, max_size=2)


@st.composite
def documents(draw: st.DrawFn) -> str:
    metadata = Node("map", entries=(("name", Node("scalar", draw(scalars()))),), flow=True)
    entries = {
        "metadata": draw(st.sampled_from([metadata, Node("map", entries=metadata.entries)])),
        "provider": Node("scalar", draw(scalars())),
        "spec": draw(nodes()),
        **draw(st.dictionaries(KEY, nodes(1), max_size=2)),
    }
    keys = draw(st.permutations(list(entries)))
    if draw(st.integers(0, 4)) == 0:
        separator = draw(st.sampled_from([", ", ",\n "]))
        body = separator.join(f"{k}: {flow(entries[k])}" for k in keys)
        return "{" + body + "}" + draw(st.sampled_from(["", "  # flow"]))
    indent = draw(st.sampled_from([0, 0, 0, 2]))
    lines = draw(fillers(indent))
    for key in keys:
        lines += block_entry(key, entries[key], indent, draw)
        lines += draw(fillers(indent))
    return "\n".join(lines)


@st.composite
def files(draw: st.DrawFn) -> tuple[bytes, bool]:
    """A file's bytes, and whether its lines end in CRLF."""
    parts = draw(st.lists(documents(), min_size=1, max_size=3))
    head = draw(st.sampled_from(["", "# yaml-language-server: $schema=x.json\n"]))
    head += draw(st.sampled_from(["", "---\n", "--- # first\n"]))
    ends = [draw(st.sampled_from(["\n", "\n...\n", "\n# between\n"])) for _ in parts]
    text = head + "---\n".join(p + e for p, e in zip(parts, ends, strict=True))
    if draw(st.booleans()):
        text = text.rstrip("\n")
    crlf = draw(st.booleans())
    if crlf:
        text = text.replace("\n", "\r\n")
    bom = BOM if draw(st.booleans()) else b""
    return bom + text.encode(), crlf


IDS = st.one_of(
    st.from_regex(r"[A-Za-z0-9_-]{1,24}", fullmatch=True),
    st.text(min_size=1, max_size=8).filter(lambda t: "\x00" not in t),
    st.integers(0, 10**12),
)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(files(), IDS, st.data())
def test_write_back_adds_exactly_the_id(
    file: tuple[bytes, bool], new_id: str | int, data: st.DataObject
) -> None:
    content, crlf = file
    text = content.decode("utf-8-sig")
    before = load_documents(text, "a.yaml")
    target = data.draw(st.sampled_from(before))
    with tempfile.TemporaryDirectory() as directory:
        path = Path(directory) / "a.yaml"
        path.write_bytes(content)
        write_id(path, target, new_id, root=Path(directory))
        after_bytes = path.read_bytes()
        reloaded = load_file(path, "a.yaml")
    inserted = only_inserted(content, after_bytes).decode()
    after = after_bytes.decode("utf-8-sig")
    assert after_bytes.startswith(BOM) == content.startswith(BOM)
    if inserted.startswith("id: ") and inserted.endswith(", "):
        one_line_changed(text, after)
    else:
        assert inserted.strip() == f"id: {id_text(new_id)}"
        one_line_added(text, after)
        if crlf:
            assert "\n" not in inserted.replace("\r\n", "")
        else:
            assert "\r" not in inserted
    assert [d.index for d in reloaded] == [d.index for d in before]
    for old, new in zip(before, reloaded, strict=True):
        expected = with_id(old.data, new_id) if old is target else old.data
        assert new.data == expected
    # The id follows the provider; a flow document whose provider is last has it first.
    keys = [key for key in reloaded[before.index(target)].data if key != "id"]
    provider_last = keys[-1] == "provider" and inserted.endswith(", ")
    placed = ["id", *keys] if provider_last else [*keys, "id"]
    if not provider_last:
        placed.insert(keys.index("provider") + 1, placed.pop())
    assert list(reloaded[before.index(target)].data) == placed

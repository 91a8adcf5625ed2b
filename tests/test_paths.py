"""voiceops.paths: dotted, walk, lookup, drop, is_under."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from voiceops.paths import dotted, drop, is_under, lookup, walk

_MISSING = object()

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=12,
)
documents = st.dictionaries(st.text(max_size=3), json_values, max_size=4)


def test_dotted() -> None:
    assert dotted(()) == ""
    assert dotted(("assistantServer", "headers")) == "assistantServer.headers"
    assert dotted(("hints", 2)) == "hints[2]"
    assert dotted(("a", 0, "b")) == "a[0].b"


def test_walk_visits_containers_and_leaves_depth_first() -> None:
    data = {"a": {"b": 1}, "c": [2, {"d": 3}]}
    assert list(walk(data)) == [
        ((), data),
        (("a",), {"b": 1}),
        (("a", "b"), 1),
        (("c",), [2, {"d": 3}]),
        (("c", 0), 2),
        (("c", 1), {"d": 3}),
        (("c", 1, "d"), 3),
    ]
    assert list(walk(5, ("x",))) == [(("x",), 5)]


def test_lookup() -> None:
    data = {"a": {"b": [10, {"c": None}]}}
    assert lookup(data, ()) is data
    assert lookup(data, ("a", "b", 0)) == 10
    assert lookup(data, ("a", "b", 1, "c"), _MISSING) is None
    assert lookup(data, ("a", "x"), _MISSING) is _MISSING
    assert lookup(data, ("a", "b", 2), _MISSING) is _MISSING
    assert lookup(data, ("a", "b", -1), _MISSING) is _MISSING
    assert lookup(data, ("a", "b", "0"), _MISSING) is _MISSING
    assert lookup(data, ("a", "b", 0, "deeper")) is None


def test_drop_copies_the_containers_on_the_way() -> None:
    shared = {"b": {"c": 1, "d": 2}, "e": [1, 2]}
    data = {"a": shared}
    assert drop(data, ("a", "b", "c"))
    assert data == {"a": {"b": {"d": 2}, "e": [1, 2]}}
    assert shared == {"b": {"c": 1, "d": 2}, "e": [1, 2]}
    assert drop(data, ("a", "e", 0))
    assert data["a"]["e"] == [2]
    assert shared["e"] == [1, 2]


def test_drop_of_a_missing_path_changes_nothing() -> None:
    data: dict[str, Any] = {"a": {"b": 1}, "l": [1]}
    for path in [(), ("x",), ("a", "x"), ("a", "b", "c"), ("l", 1), ("l", "0")]:
        assert not drop(data, path)
    assert data == {"a": {"b": 1}, "l": [1]}


def test_is_under() -> None:
    assert is_under(("a", "b"), ("a",))
    assert is_under(("a",), ("a",))
    assert is_under(("a",), ())
    assert not is_under(("a",), ("a", "b"))
    assert not is_under(("ab",), ("a",))
    assert not is_under(("a", 0), ("a", "0"))


@given(documents, st.data())
def test_lookup_after_drop(data: dict[str, Any], draw: st.DataObject) -> None:
    """After dropping a key, looking it up finds nothing and its siblings are unchanged;
    after dropping a list item, the items after it move up by one."""
    paths = [p for p, _ in walk(data) if p]
    if not paths:
        return
    path = draw.draw(st.sampled_from(paths))
    original = copy.deepcopy(data)
    assert drop(data, path)
    parent, last = lookup(original, path[:-1]), path[-1]
    if isinstance(parent, dict):
        assert lookup(data, path, _MISSING) is _MISSING
        assert lookup(data, path[:-1]) == {k: v for k, v in parent.items() if k != last}
    else:
        assert isinstance(last, int)
        assert lookup(data, path[:-1]) == parent[:last] + parent[last + 1 :]


@given(documents)
def test_every_walked_path_looks_up_its_value(data: dict[str, Any]) -> None:
    for path, value in walk(data):
        assert lookup(data, path, _MISSING) is value
        assert is_under(path, path[:-1]) if path else True


@given(documents, st.data())
def test_drop_never_changes_the_data_it_was_given_below_the_top(
    data: dict[str, Any], draw: st.DataObject
) -> None:
    paths = [p for p, _ in walk(data) if len(p) > 1]
    if not paths:
        return
    before = copy.deepcopy(data)
    nested = {key: value for key, value in data.items()}
    drop(nested, draw.draw(st.sampled_from(paths)))
    assert data == before

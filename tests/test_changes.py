"""`changes.diff`: the semantic comparison every plan is built on."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voiceops.reconcile.changes import ABSENT, Change, diff, dotted, lookup, project


def fields(changes: list[Change]) -> list[str]:
    return [c.field for c in changes]


# ---- equality ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("live", "desired"),
    [
        (1, 1.0),
        (1.0, 1),
        (0, 0.0),
        (-3, -3.0),
        (10**15, 1e15),
        ({"b": 1, "a": 2}, {"a": 2, "b": 1}),
        ([{"x": 1, "y": 2.0}], [{"y": 2, "x": 1.0}]),
        (None, None),
        (float("nan"), float("nan")),
        (-0.0, 0),
        ("", ""),
        ([], []),
        ({}, {}),
    ],
)
def test_equal_values_are_no_change(live: Any, desired: Any) -> None:
    assert diff({"f": live}, {"f": desired}) == []


@pytest.mark.parametrize(
    ("live", "desired"),
    [
        (1, True),
        (True, 1),
        (0, False),
        (False, 0),
        (1.0, True),
        ([1, 0], [True, False]),
        ("1", 1),
        ("true", True),
        ("", None),
        (0, None),
        (False, None),
        ([], None),
        ({}, None),
        ([1, 2], [2, 1]),
        ([1, 2], [1, 2, 2]),
        ("a", ["a"]),
        (0.1 + 0.2, 0.3),
        (1e-13, 2e-13),
        (10**20, 10**20 + 1),
        (2**53 + 1, float(2**53)),
        (0.2, 0.20000000298023224),  # a float32 round trip is a real difference
    ],
)
def test_different_values_are_a_change(live: Any, desired: Any) -> None:
    changes = diff({"f": live}, {"f": desired})
    assert len(changes) == 1
    assert changes[0].before == live
    assert changes[0].after == desired
    assert type(changes[0].after) is type(desired)


def test_booleans_inside_objects_are_not_numbers() -> None:
    (change,) = diff({"metadata": {"on": 1}}, {"metadata": {"on": True}})
    assert change.path == ("metadata", "on")
    assert change.before == 1
    assert change.after is True


def test_key_order_is_irrelevant_at_every_level() -> None:
    live = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": 2}
    desired = {"b": 2, "a": {"y": {"q": 2, "p": 1}, "x": 1}}
    assert diff(live, desired) == []


# ---- only what the spec names ------------------------------------------------------------


def test_unmanaged_fields_are_ignored_at_every_level() -> None:
    live = {"name": "A", "extra": 1, "nested": {"managed": 1, "other": 2, "deep": {"z": 3}}}
    desired = {"name": "A", "nested": {"managed": 1, "deep": {}}}
    assert diff(live, desired) == []


def test_empty_desired_object_manages_nothing() -> None:
    assert diff({"metadata": {"a": 1}}, {"metadata": {}}) == []


def test_list_items_are_projected_onto_the_spec_item_at_their_place() -> None:
    # A key a live item has and the spec's item leaves out is not managed (a voice's
    # tuning, say): no difference. The list's length and order still count.
    assert diff({"items": [{"a": 1, "b": 2}]}, {"items": [{"a": 1}]}) == []
    assert fields(diff({"items": [{"a": 1, "b": 2}]}, {"items": [{"a": 2}]})) == ["items"]
    longer = diff({"items": [{"a": 1, "b": 2}, {"a": 3}]}, {"items": [{"a": 1}]})
    assert fields(longer) == ["items"]
    assert longer[0].before == [{"a": 1}, {"a": 3}]
    assert fields(diff({"items": [{"a": 1}]}, {"items": [{"a": 1}, {"a": 2}]})) == ["items"]
    assert fields(diff({"items": [1, 2]}, {"items": [2, 1]})) == ["items"]


def test_field_absent_from_live() -> None:
    (change,) = diff({}, {"f": 1})
    assert change.path == ("f",)
    assert change.before is ABSENT
    assert change.after == 1
    (change,) = diff({"o": {}}, {"o": {"f": {"g": 1}}})
    assert change.path == ("o", "f")
    assert change.before is ABSENT


def test_null_against_objects_and_values() -> None:
    (change,) = diff({"o": None}, {"o": {"a": 1}})
    assert change.path == ("o",)
    assert change.before is None
    assert change.after == {"a": 1}
    (change,) = diff({"o": {"a": 1}}, {"o": None})
    assert change.path == ("o",)
    assert change.before == {"a": 1}
    assert change.after is None
    (change,) = diff({"o": {"a": None}}, {"o": {"a": "x"}})
    assert change.path == ("o", "a")
    assert change.before is None
    (change,) = diff({"o": {"a": "x"}}, {"o": {"a": None}})
    assert change.path == ("o", "a")
    assert change.after is None


def test_object_against_scalar() -> None:
    (change,) = diff({"o": "text"}, {"o": {"a": 1}})
    assert change.path == ("o",)
    assert change.before == "text"
    (change,) = diff({"o": {"a": 1}}, {"o": "text"})
    assert change.path == ("o",)
    assert change.after == "text"


def test_changes_inside_lists_are_reported_at_the_list() -> None:
    live = {"o": {"l": [{"a": 1}, {"a": 2}]}}
    desired = {"o": {"l": [{"a": 1}, {"a": 3}]}}
    (change,) = diff(live, desired)
    assert change.path == ("o", "l")
    assert change.before == live["o"]["l"]
    assert change.after == desired["o"]["l"]


def test_one_change_per_field() -> None:
    live = {"o": {"a": 1, "b": [1, 2, 3]}, "s": "x"}
    desired = {"o": {"a": 2, "b": [3, 2, 1, 0]}, "s": "y"}
    assert fields(diff(live, desired)) == ["o.a", "o.b", "s"]


# ---- order of the changes ----------------------------------------------------------------


def test_changes_follow_the_spec_order_at_every_level() -> None:
    live = {"z": 0, "c": {"model": "a", "conversation": {"y": 0, "b": 0}}, "a": 0}
    desired = {"c": {"model": "b", "conversation": {"y": 1, "b": 1}}, "a": 1, "z": 1}
    assert fields(diff(live, desired)) == [
        "c.model",
        "c.conversation.y",
        "c.conversation.b",
        "a",
        "z",
    ]


# ---- sensitive ---------------------------------------------------------------------------

SENSITIVE = frozenset({("server", "secret"), ("server", "headers")})


def test_sensitive_field_change_is_marked() -> None:
    live = {"server": {"url": "u", "secret": "old", "headers": {"a": "1"}}}
    desired = {"server": {"url": "v", "secret": "new", "headers": {"a": "2"}}}
    changes = {c.field: c.sensitive for c in diff(live, desired, sensitive=SENSITIVE)}
    assert changes == {"server.url": False, "server.secret": True, "server.headers.a": True}


def test_object_holding_a_sensitive_field_is_sensitive() -> None:
    (change,) = diff({"server": None}, {"server": {"secret": "s"}}, sensitive=SENSITIVE)
    assert change.path == ("server",)
    assert change.sensitive


def test_values_from_the_environment_are_sensitive() -> None:
    secret_paths = frozenset({("prompt",), ("nested", "token")})
    changes = diff(
        {"prompt": "a", "nested": {"token": "t", "plain": 1}, "other": 1},
        {"prompt": "b", "nested": {"token": "u", "plain": 2}, "other": 2},
        secret_paths=secret_paths,
    )
    assert {c.field: c.sensitive for c in changes} == {
        "prompt": True,
        "nested.token": True,
        "nested.plain": False,
        "other": False,
    }


# ---- helpers -----------------------------------------------------------------------------


def test_dotted_and_lookup() -> None:
    assert dotted(("a", "b", 0, "c")) == "a.b[0].c"
    assert dotted(("end_call_tool.description",)) == "end_call_tool.description"
    data = {"a": {"b": [{"c": 1}]}}
    assert lookup(data, ("a", "b", 0, "c")) == 1
    assert lookup(data, ("a", "x")) is ABSENT
    assert lookup(data, ("a", "b", 5)) is ABSENT
    assert project({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": 0}, "e": 1}) == {
        "b": {"c": 2},
        "e": ABSENT,
    }


# ---- properties --------------------------------------------------------------------------

_keys = st.text(alphabet="abcdefgh_.[]'\" ", min_size=1, max_size=6)
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=2**40),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.text(max_size=8),
)
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(_keys, inner, max_size=4)),
    max_leaves=12,
)
_objects = st.dictionaries(_keys, _values, max_size=5)


def _set(data: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]  # type: ignore[assignment]
    data[path[-1]] = copy.deepcopy(value)  # type: ignore[index]


@settings(max_examples=300, deadline=None)
@given(_objects)
def test_anything_equals_itself(data: dict[str, Any]) -> None:
    assert diff(copy.deepcopy(data), data) == []


@settings(max_examples=300, deadline=None)
@given(_objects, _objects)
def test_applying_the_changes_converges(live: dict[str, Any], desired: dict[str, Any]) -> None:
    changes = diff(live, desired)
    patched = copy.deepcopy(live)
    for change in changes:
        assert change.after == lookup(desired, change.path)
        assert change.before == lookup(project(live, desired), change.path)
        _set(patched, change.path, change.after)
    assert diff(patched, desired) == []
    assert len({c.path for c in changes}) == len(changes)


@settings(max_examples=200, deadline=None)
@given(_objects, _objects, _objects)
def test_unmanaged_live_fields_never_change_the_result(
    live: dict[str, Any], desired: dict[str, Any], extra: dict[str, Any]
) -> None:
    widened = {**{k: v for k, v in extra.items() if k not in desired}, **live}
    assert diff(widened, desired) == diff(live, desired)


def _same(a: Any, b: Any) -> bool:
    """Reference equality, written independently of `diff`: numbers by value (booleans are
    not numbers), mappings regardless of key order, lists item by item in order."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return type(a) is type(b) and a == b


@settings(max_examples=500, deadline=None)
@given(_objects, _objects, st.booleans())
def test_no_change_exactly_when_the_managed_projection_is_equal(
    live: dict[str, Any], desired: dict[str, Any], start_equal: bool
) -> None:
    if start_equal:
        # Half the examples start from a live state that already holds every desired value.
        live = {**live, **copy.deepcopy(desired)}
    assert (diff(live, desired) == []) == _same(project(live, desired), desired)


def test_keys_that_look_private_are_compared() -> None:
    changes = diff({"variables": {"__note": "old"}}, {"variables": {"__note": "new"}})
    assert [c.path for c in changes] == [("variables", "__note")]

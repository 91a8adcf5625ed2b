"""JSON Merge Patch (RFC 7396): the RFC's examples, and the laws every patch obeys."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from voiceops.spec.mergepatch import merge_patch

# Every example of the RFC's Appendix A: (target, patch, result).
RFC_EXAMPLES: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("target", "patch", "expected"), RFC_EXAMPLES)
def test_the_rfc_examples(target: Any, patch: Any, expected: Any) -> None:
    assert merge_patch(target, patch) == expected


def test_a_result_shares_nothing_with_its_inputs() -> None:
    target = {"keep": {"deep": [1, {"x": 1}]}, "over": {"a": 1}}
    patch = {"over": {"b": [2]}, "new": {"c": {"d": 1}}}
    result = merge_patch(target, patch)
    result["keep"]["deep"][1]["x"] = 99
    result["over"]["b"].append(3)
    result["new"]["c"]["d"] = 99
    assert target == {"keep": {"deep": [1, {"x": 1}]}, "over": {"a": 1}}
    assert patch == {"over": {"b": [2]}, "new": {"c": {"d": 1}}}


# --- properties over any JSON values

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=5),
)
keys = st.text(alphabet="abcd", min_size=1, max_size=2)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=12,
)
objects = st.dictionaries(keys, json_values, max_size=5)
# No wall-clock bounds: the machine running the tests may be busy.
unhurried = settings(deadline=None, suppress_health_check=[HealthCheck.too_slow])


def without_nulls(value: Any) -> Any:
    """`value` with every null inside mappings dropped (a patch that removes nothing)."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    return value


@unhurried
@given(objects)
def test_the_empty_patch_changes_no_object(target: dict[str, Any]) -> None:
    assert merge_patch(target, {}) == target


@unhurried
@given(json_values, json_values)
def test_applying_a_patch_twice_is_applying_it_once(target: Any, patch: Any) -> None:
    once = merge_patch(target, patch)
    assert merge_patch(once, patch) == once


@unhurried
@given(objects, objects.map(without_nulls))
def test_a_patch_without_nulls_keeps_every_key(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    assert set(merge_patch(target, patch)) == set(target) | set(patch)


@unhurried
@given(json_values, json_values)
def test_no_input_changes(target: Any, patch: Any) -> None:
    before = copy.deepcopy((target, patch))
    merge_patch(target, patch)
    assert (target, patch) == before


@unhurried
@given(objects, objects.map(without_nulls))
def test_the_patch_wins_where_it_sets_a_scalar_or_list(
    target: dict[str, Any], patch: dict[str, Any]
) -> None:
    result = merge_patch(target, patch)
    for name, value in patch.items():
        if not isinstance(value, dict):
            assert result[name] == value

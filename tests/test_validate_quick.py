"""The fast check (jsonschema-rs) must never accept what jsonschema rejects, because
validation trusts its "valid" and only asks jsonschema to explain what it rejects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from voiceops.live.providers import PROVIDER_TYPES
from voiceops.spec.schemas import SchemaStore

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(__file__).resolve().parent / "fixtures" / "seed_examples"
VENDORS = PROVIDER_TYPES
TARGETS = [
    ("assistant", ""),
    ("voiceops-config", ""),
    *[(vendor, "") for vendor in VENDORS],
    *[(vendor, "/$defs/connection") for vendor in VENDORS],
]
STORE = SchemaStore()

json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-2000, max_value=2000),
    st.floats(allow_nan=False, allow_infinity=False, width=32),
    st.sampled_from([0, 1, 1.0, 0.5, 120, 121, 900, True, False, "", "x", "true", "1"]),
    st.text(max_size=8),
)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)


def resolve(root: dict[str, Any], schema: Any) -> Any:
    while isinstance(schema, dict) and isinstance(schema.get("$ref"), str):
        target: Any = root
        for part in schema["$ref"][2:].split("/"):
            target = target[part]
        schema = {**{k: v for k, v in schema.items() if k != "$ref"}, **target}
    return schema


def near(schema: Any, root: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values that mostly follow `schema`, with a mistake now and then at any level."""
    following = follow(resolve(root, schema), root, depth)
    return st.integers(0, 24).flatmap(lambda n: json_value if n == 0 else following)


def follow(schema: Any, root: dict[str, Any], depth: int) -> st.SearchStrategy[Any]:
    if not isinstance(schema, dict) or depth > 6:
        return json_value
    options: list[st.SearchStrategy[Any]] = []
    if "enum" in schema:
        options.append(st.sampled_from(schema["enum"]))
    if "const" in schema:
        options.append(st.just(schema["const"]))
    for keyword in ("anyOf", "oneOf") if "properties" in schema else ("anyOf", "oneOf", "allOf"):
        options.extend(near(sub, root, depth + 1) for sub in schema.get(keyword, []))
    types = schema.get("type")
    types = types if isinstance(types, list) else [types]
    properties = schema.get("properties", {})
    if "enum" not in schema and "const" not in schema:
        if "object" in types or properties:
            children = {key: near(sub, root, depth + 1) for key, sub in properties.items()}
            options.append(_objects(children, schema.get("required", [])))
        if "array" in types or "items" in schema:
            options.append(st.lists(near(schema.get("items", {}), root, depth + 1), max_size=3))
        if "string" in types or "pattern" in schema:
            options.append(_strings(schema))
        if {"integer", "number"} & set(types):
            options.append(_numbers(schema, integer="number" not in types))
        if "boolean" in types:
            options.append(st.booleans())
    if "null" in types:
        options.append(st.none())
    return st.one_of(options) if options else json_value


def _strings(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    if "pattern" in schema:
        matching = st.from_regex(schema["pattern"])
        if "maxLength" in schema:
            matching = matching.map(lambda s: s[: schema["maxLength"] + 1])
        return st.one_of(matching, st.text(max_size=8))
    low, high = schema.get("minLength", 0), schema.get("maxLength", 12)
    return st.text(min_size=max(0, low - 1), max_size=min(high + 1, 40))


def _numbers(schema: dict[str, Any], *, integer: bool) -> st.SearchStrategy[Any]:
    keys = ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum")
    bounds = [schema[k] for k in keys if k in schema]
    if not bounds:
        return st.integers(-3, 3) | st.floats(-3, 3)
    low, high = min(bounds), max(bounds)
    edges = [b + d for b in bounds for d in (-1, -0.5, 0, 0.5, 1)]
    inside = st.integers(int(low), int(high)) if integer else st.floats(low, high)
    return st.one_of(st.sampled_from(edges), inside, inside.map(float))


def _objects(
    children: dict[str, st.SearchStrategy[Any]], required: list[str]
) -> st.SearchStrategy[dict[str, Any]]:
    keys = sorted(children)

    @st.composite
    def build(draw: st.DrawFn) -> dict[str, Any]:
        chosen = draw(st.lists(st.sampled_from(keys), unique=True, max_size=6)) if keys else []
        result = {key: draw(children[key]) for key in (*required, *chosen) if key in children}
        for key in required:
            if key not in children and draw(st.booleans()):
                result[key] = draw(json_leaf)
        if draw(st.integers(0, 24)) == 0:
            result[draw(st.text(min_size=1, max_size=6))] = draw(json_leaf)
        return result

    return build()


def fast(schema: dict[str, Any]) -> Any:
    return jsonschema_rs.Draft202012Validator(schema, validate_formats=True)


@pytest.mark.parametrize(("name", "pointer"), TARGETS)
@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_fast_check_agrees_with_jsonschema(name: str, pointer: str, data: st.DataObject) -> None:
    compiled = STORE.validator(name, pointer)
    root = STORE.document(name)
    instance = data.draw(near(resolve(root, compiled.schema), root))
    expected = compiled.explainer.is_valid(instance)
    # Rust's `$` does not match before a final newline, Python's does: the fast check may be
    # stricter, never more lenient.
    if compiled.fast.is_valid(instance):
        assert expected, json.dumps(instance, default=str)
    assert (list(compiled.iter_errors(instance)) == []) == expected


@pytest.mark.parametrize("vendor", VENDORS)
def test_vendor_examples_are_valid_for_both(vendor: str) -> None:
    compiled = STORE.validator(vendor)
    for path in sorted((ROOT / "assistants").glob("*.yaml")):
        spec = yaml.safe_load(path.read_text())["spec"]
        assert compiled.fast.is_valid(spec) == compiled.explainer.is_valid(spec)
    seed = json.loads((SEEDS / f"{vendor}.json").read_text())
    assert compiled.fast.is_valid(seed) == compiled.explainer.is_valid(seed)


@pytest.mark.parametrize(
    ("schema", "instance", "valid"),
    [
        ({"type": "integer"}, 3.0, True),
        ({"type": "integer"}, True, False),
        ({"type": "number"}, False, False),
        ({"const": True}, 1, False),
        ({"enum": [1, "a"]}, True, False),
        ({"enum": [1, "a"]}, 1.0, True),
        ({"enum": ["a", None]}, None, True),
        ({"if": {"const": 1}, "else": False}, 2, False),
        ({"not": {}}, None, False),
        ({"propertyNames": {"pattern": "^[a-z]+$"}}, {"Ab": 1}, False),
        ({"uniqueItems": True}, [1, True], True),
        ({"x-voiceops-error": "custom keywords are annotations"}, 1, True),
    ],
)
def test_keyword_semantics_match_jsonschema(
    schema: dict[str, Any], instance: Any, valid: bool
) -> None:
    assert Draft202012Validator(schema).is_valid(instance) is valid
    assert fast(schema).is_valid(instance) is valid

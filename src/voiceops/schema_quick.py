"""A compiled yes/no check of an instance against a JSON Schema (draft 2020-12).

jsonschema explains errors well, but it walks the schema keyword by keyword even when the
instance is valid, which is most of the time. Validation asks this compiled check first and
lets jsonschema explain only the instances it rejects. Both must agree on every instance:
the compiler handles the keywords voiceops's schemas use and raises `Unsupported` for any
other, so a schema it does not understand is left to jsonschema alone.
"""

from __future__ import annotations

import numbers
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from jsonschema import FormatChecker

Check = Callable[[Any], bool]

# Keywords that never affect validity.
_ANNOTATIONS = frozenset(
    {
        "$schema",
        "$id",
        "$defs",
        "definitions",
        "$comment",
        "$anchor",
        "title",
        "description",
        "default",
        "examples",
        "deprecated",
        "readOnly",
        "writeOnly",
        "contentMediaType",
        "contentEncoding",
        "then",  # read together with "if"
        "else",
    }
)


class Unsupported(Exception):
    """The schema uses something this compiler does not implement."""


def compile_schema(root: Any, format_checker: FormatChecker | None = None) -> Check:
    """A function telling whether an instance is valid against `root`."""
    return _Compiler(root, format_checker).compile(root)


def _always(_: Any) -> bool:
    return True


def _never(_: Any) -> bool:
    return False


def _is_number(x: Any) -> bool:
    return isinstance(x, numbers.Number) and not isinstance(x, bool)


def _is_integer(x: Any) -> bool:
    if isinstance(x, bool):
        return False
    return isinstance(x, int) or (isinstance(x, float) and x.is_integer())


_TYPES: dict[str, Check] = {
    "object": lambda x: isinstance(x, dict),
    "array": lambda x: isinstance(x, list),
    "string": lambda x: isinstance(x, str),
    "integer": _is_integer,
    "number": _is_number,
    "boolean": lambda x: isinstance(x, bool),
    "null": lambda x: x is None,
}
_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "object": (dict,),
    "array": (list,),
    "string": (str,),
    "boolean": (bool,),
}


def _unbool(x: Any, true: object = object(), false: object = object()) -> Any:
    if x is True:
        return true
    if x is False:
        return false
    return x


def json_equal(one: Any, two: Any) -> bool:
    """Equality as JSON Schema defines it: `true` is not `1`, `1` is `1.0`."""
    if one is two:
        return True
    if isinstance(one, str) or isinstance(two, str):
        return bool(one == two)
    if isinstance(one, Sequence) and isinstance(two, Sequence):
        return len(one) == len(two) and all(json_equal(a, b) for a, b in zip(one, two, strict=True))
    if isinstance(one, Mapping) and isinstance(two, Mapping):
        return one.keys() == two.keys() and all(json_equal(one[k], two[k]) for k in one)
    return bool(_unbool(one) == _unbool(two))


class _Compiler:
    def __init__(self, root: Any, format_checker: FormatChecker | None) -> None:
        self.root = root
        self.format_checker = format_checker
        self.refs: dict[str, Check] = {}

    def compile(self, schema: Any) -> Check:
        if schema is True:
            return _always
        if schema is False:
            return _never
        if not isinstance(schema, dict):
            raise Unsupported(f"schema {schema!r}")
        for keyword in schema:
            if (
                keyword not in _ANNOTATIONS
                and keyword not in _KEYWORDS
                and not keyword.startswith("x-")
            ):
                raise Unsupported(keyword)
        checks: list[Check] = []
        # With a single type, its keyword group also checks the type: one call instead of two.
        single = schema.get("type") if isinstance(schema.get("type"), str) else None
        groups = {
            "object": self._object(schema, strict=single == "object"),
            "array": self._array(schema, strict=single == "array"),
            "string": self._string(schema, strict=single == "string"),
        }
        if single in groups and groups[single] is not None:
            checks.append(groups.pop(single))  # type: ignore[arg-type]
        elif "type" in schema:
            checks.append(self._type(schema["type"]))
        for keyword in ("enum", "const", "$ref", "format", "allOf", "anyOf", "oneOf", "not", "if"):
            if keyword in schema:
                check = getattr(self, "_" + keyword.strip("$"))(schema[keyword], schema)
                if check is not None:
                    checks.append(check)
        checks.extend(group for group in groups.values() if group is not None)
        number = self._number(schema)
        if number is not None:
            checks.append(number)
        return _all(checks)

    def _type(self, expected: Any) -> Check:
        names = expected if isinstance(expected, list) else [expected]
        if any(name not in _TYPES for name in names):
            raise Unsupported(f"type {expected!r}")
        if all(name in _PYTHON_TYPES for name in names):
            # Exact with isinstance: none of these classes is a subclass of another.
            classes = tuple(c for name in names for c in _PYTHON_TYPES[name])
            return lambda x: isinstance(x, classes)
        if len(names) == 1:
            return _TYPES[names[0]]
        tests = tuple(_TYPES[name] for name in names)
        return lambda x: any(test(x) for test in tests)

    def _enum(self, options: Any, _: dict[str, Any]) -> Check:
        if not isinstance(options, list):
            raise Unsupported("enum")
        if all(isinstance(o, str) or o is None for o in options):
            texts = frozenset(o for o in options if isinstance(o, str))
            allows_null = None in options
            return lambda x: (x in texts) if isinstance(x, str) else (allows_null and x is None)
        return lambda x: any(json_equal(x, o) for o in options)

    def _const(self, expected: Any, _: dict[str, Any]) -> Check:
        if isinstance(expected, str):
            return lambda x: isinstance(x, str) and x == expected
        return lambda x: json_equal(x, expected)

    def _ref(self, ref: Any, _: dict[str, Any]) -> Check:
        if not isinstance(ref, str) or not (ref == "#" or ref.startswith("#/")):
            raise Unsupported(f"$ref {ref!r}")
        if ref not in self.refs:
            # A placeholder first, so that a schema referring to itself compiles.
            self.refs[ref] = _never
            self.refs[ref] = self.compile(self._resolve(ref))
        refs = self.refs
        return lambda x: refs[ref](x)

    def _resolve(self, ref: str) -> Any:
        target = self.root
        for raw in ref[2:].split("/") if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, dict) and part in target:
                target = target[part]
            elif isinstance(target, list) and part.isdigit() and int(part) < len(target):
                target = target[int(part)]
            else:
                raise Unsupported(f"$ref {ref!r}")
        return target

    def _format(self, name: Any, _: dict[str, Any]) -> Check | None:
        checker = self.format_checker
        if checker is None or name not in checker.checkers:
            return None
        return lambda x: checker.conforms(x, name)

    def _allOf(self, subschemas: Any, _: dict[str, Any]) -> Check:  # noqa: N802
        return _all([self.compile(s) for s in _list(subschemas, "allOf")])

    def _anyOf(self, subschemas: Any, _: dict[str, Any]) -> Check:  # noqa: N802
        checks = tuple(self.compile(s) for s in _list(subschemas, "anyOf"))
        return lambda x: any(check(x) for check in checks)

    def _oneOf(self, subschemas: Any, _: dict[str, Any]) -> Check:  # noqa: N802
        checks = tuple(self.compile(s) for s in _list(subschemas, "oneOf"))
        return lambda x: sum(1 for check in checks if check(x)) == 1

    def _not(self, subschema: Any, _: dict[str, Any]) -> Check:
        check = self.compile(subschema)
        return lambda x: not check(x)

    def _if(self, subschema: Any, schema: dict[str, Any]) -> Check | None:
        if "then" not in schema and "else" not in schema:
            return None
        condition = self.compile(subschema)
        then = self.compile(schema.get("then", True))
        otherwise = self.compile(schema.get("else", True))
        return lambda x: then(x) if condition(x) else otherwise(x)

    def _object(self, schema: dict[str, Any], *, strict: bool) -> Check | None:
        """Object keywords; with `strict`, anything that is not an object fails."""
        keywords = (
            "properties",
            "patternProperties",
            "additionalProperties",
            "required",
            "propertyNames",
            "minProperties",
            "maxProperties",
            "dependentRequired",
        )
        if not any(k in schema for k in keywords):
            return None
        other = not strict
        properties = {name: self.compile(s) for name, s in schema.get("properties", {}).items()}
        additional = (
            self.compile(schema["additionalProperties"])
            if "additionalProperties" in schema
            else None
        )
        required = tuple(_list(schema.get("required", []), "required"))
        rare = ("patternProperties", "propertyNames", "minProperties", "maxProperties")
        if not any(k in schema for k in (*rare, "dependentRequired")):

            def simple(x: Any) -> bool:
                if not isinstance(x, dict):
                    return other
                for name in required:
                    if name not in x:
                        return False
                for key, value in x.items():
                    known = properties.get(key)
                    if known is None:
                        if additional is not None and not additional(value):
                            return False
                    elif not known(value):
                        return False
                return True

            return simple

        patterns = tuple(
            (re.compile(p), self.compile(s)) for p, s in schema.get("patternProperties", {}).items()
        )
        names = self.compile(schema["propertyNames"]) if "propertyNames" in schema else None
        low = schema.get("minProperties", 0)
        high = schema.get("maxProperties")
        dependent = tuple((k, tuple(v)) for k, v in schema.get("dependentRequired", {}).items())

        def check(x: Any) -> bool:
            if not isinstance(x, dict):
                return other
            for name in required:
                if name not in x:
                    return False
            if len(x) < low or (high is not None and len(x) > high):
                return False
            for name, needs in dependent:
                if name in x and any(n not in x for n in needs):
                    return False
            for key, value in x.items():
                if names is not None and not names(key):
                    return False
                known = properties.get(key)
                if known is not None and not known(value):
                    return False
                matched = False
                for pattern, sub in patterns:
                    if pattern.search(key):
                        matched = True
                        if not sub(value):
                            return False
                if (
                    known is None
                    and not matched
                    and additional is not None
                    and not additional(value)
                ):
                    return False
            return True

        return check

    def _array(self, schema: dict[str, Any], *, strict: bool) -> Check | None:
        if "prefixItems" in schema or "contains" in schema:
            raise Unsupported("prefixItems/contains")
        if not any(k in schema for k in ("items", "minItems", "maxItems", "uniqueItems")):
            return None
        items = self.compile(schema["items"]) if "items" in schema else None
        low = schema.get("minItems", 0)
        high = schema.get("maxItems")
        unique = schema.get("uniqueItems", False)
        other = not strict

        def check(x: Any) -> bool:
            if not isinstance(x, list):
                return other
            if len(x) < low or (high is not None and len(x) > high):
                return False
            if items is not None:
                for item in x:
                    if not items(item):
                        return False
            if unique:
                for i, a in enumerate(x):
                    if any(json_equal(a, b) for b in x[i + 1 :]):
                        return False
            return True

        return check

    def _string(self, schema: dict[str, Any], *, strict: bool) -> Check | None:
        if not any(k in schema for k in ("minLength", "maxLength", "pattern")):
            return None
        low = schema.get("minLength", 0)
        high = schema.get("maxLength")
        pattern = re.compile(schema["pattern"]) if "pattern" in schema else None
        other = not strict

        def check(x: Any) -> bool:
            if not isinstance(x, str):
                return other
            if len(x) < low or (high is not None and len(x) > high):
                return False
            return pattern is None or pattern.search(x) is not None

        return check

    def _number(self, schema: dict[str, Any]) -> Check | None:
        bounds = (
            schema.get("minimum"),
            schema.get("maximum"),
            schema.get("exclusiveMinimum"),
            schema.get("exclusiveMaximum"),
        )
        multiple = schema.get("multipleOf")
        if all(b is None for b in bounds) and multiple is None:
            return None
        low, high, above, below = bounds
        if multiple is not None:
            raise Unsupported("multipleOf")

        def check(x: Any) -> bool:
            if not _is_number(x):
                return True
            if low is not None and x < low:
                return False
            if high is not None and x > high:
                return False
            if above is not None and x <= above:
                return False
            return below is None or x < below

        return check


_KEYWORDS = frozenset(
    {
        "type",
        "enum",
        "const",
        "$ref",
        "format",
        "allOf",
        "anyOf",
        "oneOf",
        "not",
        "if",
        "properties",
        "patternProperties",
        "additionalProperties",
        "required",
        "propertyNames",
        "minProperties",
        "maxProperties",
        "dependentRequired",
        "items",
        "minItems",
        "maxItems",
        "uniqueItems",
        "minLength",
        "maxLength",
        "pattern",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
    }
)


def _list(value: Any, keyword: str) -> list[Any]:
    if not isinstance(value, list):
        raise Unsupported(keyword)
    return value


def _all(checks: list[Check]) -> Check:
    if not checks:
        return _always
    if len(checks) == 1:
        return checks[0]
    if len(checks) == 2:
        first, second = checks
        return lambda x: first(x) and second(x)
    frozen = tuple(checks)

    def check(x: Any) -> bool:
        # A plain loop: all() over a generator costs more on this hot path.
        for each in frozen:  # noqa: SIM110
            if not each(x):
                return False
        return True

    return check

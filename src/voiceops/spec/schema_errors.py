"""Turn jsonschema errors into messages a user can act on, placed at `path:line:col`."""

from __future__ import annotations

import difflib
import json
import re
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from voiceops.errors import Diagnostic, Severity
from voiceops.paths import dotted
from voiceops.spec.schemas import ERROR_MESSAGE, HINT, CompiledSchema
from voiceops.spec.yamlsource import Positions, YamlPath

if TYPE_CHECKING:
    from jsonschema import ValidationError

_TYPE_WORDS = {
    "object": "a mapping",
    "array": "a list",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}
_VALUE_WORDS = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}
# What the patterns in the shipped schemas mean, in words. `$(?!\n)` ends the text
# in both engines (Python's `$` alone also matches before a final newline).
PATTERN_WORDS = {
    "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$(?!\\n)": (
        "use only lowercase letters, digits and hyphens, start and end with a letter or digit, "
        "and be at most 63 characters long, like clinic-intake"
    ),
    "^[a-z0-9][a-z0-9-]*$(?!\\n)": (
        "use only lowercase letters, digits and hyphens, and start with a letter or digit"
    ),
    "^[a-z0-9][a-z0-9-]{0,62}$(?!\\n)": (
        "use only lowercase letters, digits and hyphens, start with a letter or digit, "
        "and be at most 63 characters long"
    ),
    "^[A-Za-z0-9_]+$(?!\\n)": "use only letters, digits and underscores, like team_size",
    "^[A-Za-z0-9_-]+$(?!\\n)": (
        "use only letters, digits, underscores and hyphens, like org_2b7c or c"
    ),
    "^[a-z0-9_]{3,16}$(?!\\n)": (
        "be 3 to 16 lowercase letters, digits and underscores, like team_size"
    ),
    "^[A-Za-z_][A-Za-z0-9_]*$(?!\\n)": (
        "be an environment variable name: letters, digits and underscores, "
        "not starting with a digit"
    ),
    "^(https?://|\\$\\{env:[A-Za-z_][A-Za-z0-9_]*\\})": (
        "start with https:// or http://, or be an ${env:NAME} reference"
    ),
    "^https?://": "start with https:// or http://",
    "^https://": "start with https://",
}
# Keywords that concern one value; at most one of their errors is reported per value.
_NOT_VALUE = frozenset({"additionalProperties", "dependentRequired"})


def check(
    validator: CompiledSchema,
    instance: Any,
    doc: Positions,
    prefix: YamlPath = (),
    *,
    lenient: bool = False,
    missing_reason: str = "",
) -> list[Diagnostic]:
    """Every schema error of `instance` (found at `prefix` inside `doc`), in file order.
    `missing_reason` follows the names of missing required fields (", which …")."""
    reported: list[Diagnostic] = []
    by_path: dict[YamlPath, list[ValidationError]] = defaultdict(list)
    missing: dict[YamlPath, list[ValidationError]] = defaultdict(list)
    for error in _expand(validator.iter_errors(instance)):
        path: YamlPath = (*prefix, *error.absolute_path)
        if error.validator == "required":
            missing[path].append(error)
        elif error.validator in _NOT_VALUE or _is_property_name(error):
            reported.extend(_structure_diagnostics(error, path, doc))
        else:
            by_path[path].append(error)
    for path, errors in missing.items():
        reported.append(_missing_diagnostic(errors, path, doc, missing_reason))
    for path, errors in by_path.items():
        reported.append(_value_diagnostic(errors, path, doc, lenient))
    return sorted(reported, key=_file_order)


def _missing_diagnostic(
    errors: list[ValidationError], path: YamlPath, doc: Positions, reason: str
) -> Diagnostic:
    """One diagnostic for every required field missing from one mapping, at its key."""
    keys = [k for e in errors for k in e.validator_value if k not in e.instance]
    names = list(dict.fromkeys(keys))
    noun = "field" if len(names) == 1 else "fields"
    message = f"{_name(path)} is missing the required {noun} {', '.join(names)}"
    if reason:
        message += f", {reason}"
    hints = [e.schema.get(HINT) for e in errors if isinstance(e.schema, dict)]
    for hint in dict.fromkeys(h for h in hints if isinstance(h, str)):
        message += f". {hint}"
    return Diagnostic(message, doc.location(path, key=True))


def _file_order(d: Diagnostic) -> tuple[int, int]:
    return (d.location.line, d.location.col) if d.location else (0, 0)


def _expand(errors: Any) -> list[ValidationError]:
    """Errors with each anyOf/oneOf replaced by the errors of the alternative the user
    most likely meant: the one whose type matches the value."""
    out: list[ValidationError] = []
    for error in errors:
        if error.validator not in ("anyOf", "oneOf") or not error.context or _custom(error):
            out.append(error)
            continue
        branches: dict[Any, list[ValidationError]] = defaultdict(list)
        for sub in error.context:
            branches[sub.relative_schema_path[0]].append(sub)
        typed = [
            subs
            for subs in branches.values()
            if not any(s.validator == "type" and not s.relative_path for s in subs)
        ]
        if typed:
            out.extend(_expand(min(typed, key=len)))
        else:
            out.append(error)
    return out


def _structure_diagnostics(
    error: ValidationError, path: YamlPath, doc: Positions
) -> list[Diagnostic]:
    name = _name(path)
    if error.validator == "additionalProperties":
        known = list((error.schema or {}).get("properties", {}))
        where = f" in {name}" if path else ""
        found = []
        for key in _unexpected_keys(error):
            message = f"unknown field {key!r}{where}"
            close = _similar_field(key, known)
            if close:
                message += f"; did you mean {close!r}?"
            elif 0 < len(known) <= 8:
                message += f"; the fields allowed here are {', '.join(known)}"
            at = doc.location((*path, key), key=True)
            found.append(Diagnostic(message, at, keyword="additionalProperties"))
        return found
    if _is_property_name(error):
        key = error.instance
        words = PATTERN_WORDS.get(error.validator_value) if error.validator == "pattern" else None
        rule = f"; it must {words}" if words else f": {error.message}"
        message = f"{key!r} is not a valid name under {name}{rule}"
        return [Diagnostic(message, doc.location((*path, key), key=True))]
    return [Diagnostic(f"{name}: {error.message}", doc.location(path))]


def _value_diagnostic(
    errors: list[ValidationError], path: YamlPath, doc: Positions, lenient: bool
) -> Diagnostic:
    """One diagnostic for all the errors of one value: the most telling of them."""
    error = min(errors, key=lambda e: _rank(e, lenient))
    message = _custom(error) or _message(error, path)
    surprise = doc.surprise(path)
    if error.validator in ("type", "enum", "const", "pattern"):
        message += _quoting_hint(error, surprise)
    hint = error.schema.get(HINT) if isinstance(error.schema, dict) else None
    if hint:
        message += f". {hint}"
    location = doc.location(path)
    if lenient and error.validator == "enum":
        return Diagnostic(f"{message} (accepted in lenient mode)", location, Severity.WARNING)
    return Diagnostic(message, location)


def _rank(error: ValidationError, lenient: bool) -> int:
    if lenient and error.validator == "enum":
        return 9
    if _custom(error):
        return 0
    return {"type": 1, "const": 2, "enum": 3}.get(str(error.validator), 4)


def _custom(error: ValidationError) -> str | None:
    if isinstance(error.schema, dict) and isinstance(error.schema.get(ERROR_MESSAGE), str):
        return str(error.schema[ERROR_MESSAGE])
    return None


def _similar_field(key: str, known: list[str]) -> str | None:
    close = difflib.get_close_matches(key, known, n=1, cutoff=0.7)
    if close:
        return close[0]
    # A shorter name for a longer field, such as name for assistant_name.
    longer = [k for k in known if k.lower().endswith(("_" + key).lower())]
    return longer[0] if len(longer) == 1 else None


def _is_property_name(error: ValidationError) -> bool:
    return "propertyNames" in error.relative_schema_path


def _unexpected_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        key
        for key in error.instance
        if key not in known and not any(p.search(key) for p in patterns)
    ]


def _name(path: YamlPath) -> str:
    return dotted(path) if path else "the document"


def _message(error: ValidationError, path: YamlPath) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    explain = _EXPLAINERS.get(error.validator)
    if explain is None:
        return f"{_name(path)}: {error.message}"
    return explain(_name(path), error.instance, error.validator_value, schema)


def _type_message(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    if isinstance(schema.get("enum"), list):
        return f"{name} must be one of {_options(schema['enum'])}, not {_describe(value)}"
    wanted = expected if isinstance(expected, list) else [expected]
    types = " or ".join(_TYPE_WORDS.get(w, str(w)) for w in wanted)
    return f"{name} must be {types}, not {_describe(value)}"


def _enum_message(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    message = f"{name} is {_show(value)}, which is not one of {_options(expected)}"
    texts = [o for o in expected if isinstance(o, str)]
    close = difflib.get_close_matches(str(value), texts, n=1, cutoff=0.6)
    return message + (f"; did you mean {json.dumps(close[0])}?" if close else "")


def _min_length_message(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    if expected == 1:
        return f"{name} must not be empty"
    return f"{name} is {len(value)} characters long; it must be at least {expected}"


def _pattern_message(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    words = PATTERN_WORDS.get(expected)
    if words:
        return f"{name} is {_show(value)}; it must {words}"
    return f"{name} is {_show(value)}, which does not match the pattern {expected}"


def _range_message(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    return f"{name} is {_show(value)}, but it must be {_range(schema)}"


def _not_allowed(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    return f"{name} is not allowed here"


def _no_form_matches(name: str, value: Any, expected: Any, schema: dict[str, Any]) -> str:
    return f"{name} is {_show(value)}, which matches none of the allowed forms"


# A readable sentence per JSON Schema keyword: (name, instance, keyword value, schema) -> text.
_EXPLAINERS: dict[str, Callable[[str, Any, Any, dict[str, Any]], str]] = {
    "type": _type_message,
    "enum": _enum_message,
    "const": lambda n, v, e, s: f"{n} must be {json.dumps(e)}, not {_show(v)}",
    "minimum": _range_message,
    "maximum": _range_message,
    "exclusiveMinimum": _range_message,
    "exclusiveMaximum": _range_message,
    "minLength": _min_length_message,
    "maxLength": lambda n, v, e, s: f"{n} is {len(v)} characters long; the limit is {e}",
    "minItems": lambda n, v, e, s: f"{n} has {len(v)} item(s); it must have at least {e}",
    "maxItems": lambda n, v, e, s: f"{n} has {len(v)} items; the limit is {e}",
    "pattern": _pattern_message,
    "format": lambda n, v, e, s: f"{n} is {_show(v)}, which is not a valid {e}",
    "not": _not_allowed,
    "false": _not_allowed,
    "anyOf": _no_form_matches,
    "oneOf": _no_form_matches,
}


def _range(schema: dict[str, Any]) -> str:
    low, high = schema.get("minimum"), schema.get("maximum")
    above, below = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if low is not None and high is not None:
        return f"between {low} and {high}"
    parts = []
    if low is not None:
        parts.append(f"at least {low}")
    if above is not None:
        parts.append(f"greater than {above}")
    if high is not None:
        parts.append(f"at most {high}")
    if below is not None:
        parts.append(f"less than {below}")
    return " and ".join(parts)


def _quoting_hint(error: ValidationError, surprise: str | None) -> str:
    value = error.instance
    if surprise is not None:
        return (
            f"; YAML 1.1 read the unquoted {surprise} as {json.dumps(value)}: "
            f'write "{surprise}" in quotes if you meant the text'
        )
    if error.validator != "type" or (isinstance(error.schema, dict) and "enum" in error.schema):
        return ""
    expected = error.validator_value
    wanted = expected if isinstance(expected, list) else [expected]
    if "string" in wanted and isinstance(value, bool | int | float):
        return f'; put it in quotes ("{_plain(value)}") if you meant the text'
    if {"integer", "number"} & set(wanted) and isinstance(value, str) and _numeric(value):
        if "e" in value.lower() and "." not in value:
            # YAML 1.1 reads an exponent without a dot as text, quoted or not.
            return f"; YAML 1.1 reads {value} as text: write it with a dot (e.g. 1.0e3) or in full"
        return "; remove the quotes to write a number"
    if "boolean" in wanted and isinstance(value, str) and value.lower() in ("true", "false"):
        return "; remove the quotes to write true or false"
    return ""


def _numeric(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _plain(value: Any) -> str:
    return json.dumps(value) if isinstance(value, bool) else str(value)


def _options(options: list[Any]) -> str:
    return ", ".join(json.dumps(o) for o in options)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _describe(value: Any) -> str:
    label = _VALUE_WORDS.get(type(value), type(value).__name__)
    if isinstance(value, dict | list) or value is None:
        return label
    return f"{label} ({_show(value)})"

"""Turn jsonschema errors into messages a user can act on, placed at `path:line:col`."""

from __future__ import annotations

import difflib
import json
import re
from typing import Any

from jsonschema import Draft202012Validator, ValidationError
from jsonschema.exceptions import best_match

from voiceops.errors import Diagnostic
from voiceops.schemas import ERROR_MESSAGE, HINT
from voiceops.yamlsource import YamlDocument, YamlPath

_JSON_TYPES = {
    bool: "a boolean",
    int: "an integer",
    float: "a number",
    str: "a string",
    list: "a list",
    dict: "a mapping",
    type(None): "null",
}


def check(
    validator: Draft202012Validator,
    instance: Any,
    doc: YamlDocument,
    prefix: YamlPath = (),
    *,
    lenient: bool = False,
) -> list[Diagnostic]:
    """Every schema error of `instance` (found at `prefix` inside `doc`), in file order."""
    diagnostics = [
        _diagnostic(error, doc, prefix, lenient) for error in validator.iter_errors(instance)
    ]
    return sorted(diagnostics, key=lambda d: (d.location.line, d.location.col) if d.location else (0, 0))


def field_name(path: YamlPath) -> str:
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "document"


def _diagnostic(
    error: ValidationError, doc: YamlDocument, prefix: YamlPath, lenient: bool
) -> Diagnostic:
    if error.validator in ("anyOf", "oneOf") and error.context and not _custom(error):
        deeper = best_match(error.context)
        if deeper is not None and not _custom(error):
            error = deeper
    path: YamlPath = (*prefix, *error.absolute_path)
    location = doc.location(path)
    message = _custom(error) or _message(error, path)

    if error.validator == "additionalProperties" and isinstance(error.instance, dict):
        extra = _unexpected_keys(error)
        if extra:
            location = doc.location((*path, extra[0]), key=True)
    elif error.validator == "required":
        location = doc.location(path, key=True) if path else doc.location(path)

    surprise = doc.surprises.get(path)
    if surprise is not None and error.validator in ("type", "enum", "const", "pattern"):
        message += (
            f"; YAML 1.1 read the unquoted {surprise} as {json.dumps(error.instance)}: "
            f'write "{surprise}" in quotes if you meant the text'
        )
    hint = error.schema.get(HINT) if isinstance(error.schema, dict) else None
    if hint:
        message += f". {hint}"
    if lenient and error.validator == "enum":
        return Diagnostic(
            message + " (accepted in lenient mode)", location, severity="warning"
        )
    return Diagnostic(message, location)


def _custom(error: ValidationError) -> str | None:
    if isinstance(error.schema, dict) and isinstance(error.schema.get(ERROR_MESSAGE), str):
        return error.schema[ERROR_MESSAGE]
    return None


def _unexpected_keys(error: ValidationError) -> list[str]:
    schema = error.schema if isinstance(error.schema, dict) else {}
    known = set(schema.get("properties", {}))
    patterns = [re.compile(p) for p in schema.get("patternProperties", {})]
    return [
        key
        for key in error.instance
        if key not in known and not any(p.search(key) for p in patterns)
    ]


def _message(error: ValidationError, path: YamlPath) -> str:
    name = field_name(path)
    value = error.instance
    kind = error.validator
    expected = error.validator_value
    if kind == "type":
        wanted = expected if isinstance(expected, list) else [expected]
        return f"{name} must be {' or '.join(wanted)}, not {_describe(value)}"
    if kind == "enum":
        options = ", ".join(json.dumps(v) for v in expected)
        return f"{name} is {json.dumps(value)}, which is not one of: {options}"
    if kind == "const":
        return f"{name} must be {json.dumps(expected)}, not {json.dumps(value)}"
    if kind in ("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        bound = {
            "minimum": "at least",
            "maximum": "at most",
            "exclusiveMinimum": "greater than",
            "exclusiveMaximum": "less than",
        }[kind]
        return f"{name} is {value}, but it must be {bound} {expected}"
    if kind == "minLength":
        return f"{name} must be at least {expected} characters long"
    if kind == "maxLength":
        return f"{name} is {len(value)} characters long; the limit is {expected}"
    if kind == "minItems":
        return f"{name} must have at least {expected} item(s)"
    if kind == "maxItems":
        return f"{name} has {len(value)} items; the limit is {expected}"
    if kind == "pattern":
        return f"{name} is {json.dumps(value)}, which does not match the pattern {expected}"
    if kind == "format":
        return f"{name} is {json.dumps(value)}, which is not a valid {expected}"
    if kind == "required":
        missing = [key for key in expected if key not in value]
        return f"{name} is missing the required field {', '.join(missing)}"
    if kind == "additionalProperties":
        extra = _unexpected_keys(error)
        known = list((error.schema or {}).get("properties", {}))
        parts = []
        for key in extra:
            close = difflib.get_close_matches(key, known, n=1)
            parts.append(f"{key!r}" + (f" (did you mean {close[0]!r}?)" if close else ""))
        where = f" in {name}" if path else ""
        return f"unknown field {', '.join(parts)}{where}"
    if kind == "not":
        return f"{name} is not allowed here"
    if kind == "false":
        return f"{name} is not allowed here"
    return f"{name}: {error.message}"


def _describe(value: Any) -> str:
    label = _JSON_TYPES.get(type(value), type(value).__name__)
    if isinstance(value, dict | list):
        return label
    return f"{label} ({json.dumps(value)})"

"""JSON Merge Patch (RFC 7396): how a per-environment value changes its base.

Environments describe only what differs from the base: a connection's `email_env` in
staging, one webhook in an assistant's spec. Each such overlay is a merge patch: objects
merge key by key, `null` removes a key, and anything else (a list, a scalar, a patch that is
not an object) replaces the value it lands on.

Written here rather than taken from PyPI: the one package for it (`json-merge-patch`) is a
merge utility for many documents, follows the obsoleted RFC 7386, ships no type information
(this code runs under `mypy --strict`), and the algorithm is a dozen lines.
"""

from __future__ import annotations

from typing import Any


def merge_patch(target: Any, patch: Any) -> Any:
    """`patch` applied to `target`, as a new value: neither input is changed, and the
    result shares no list or mapping with them."""
    if not isinstance(patch, dict):
        return _fresh(patch)
    result = _fresh(target) if isinstance(target, dict) else {}
    for name, value in patch.items():
        if value is None:
            result.pop(name, None)
        else:
            result[name] = merge_patch(result.get(name), value)
    return result


def _fresh(value: Any) -> Any:
    """A copy of a JSON-shaped value, down to its scalars."""
    if isinstance(value, dict):
        return {name: _fresh(child) for name, child in value.items()}
    if isinstance(value, list):
        return [_fresh(child) for child in value]
    return value

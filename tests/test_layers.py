"""The import direction between stage packages, and the config defaults kept in one place."""

from __future__ import annotations

import ast
import json
from dataclasses import fields
from pathlib import Path

from voiceops.spec.defaults import DEFAULTS

SRC = Path(__file__).resolve().parents[1] / "src" / "voiceops"
SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "voiceops-config.schema.json"


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def test_the_live_side_imports_nothing_from_later_stages() -> None:
    later = ("voiceops.reconcile", "voiceops.render", "voiceops.cli")
    found = {
        str(path.relative_to(SRC)): sorted(m for m in imported_modules(path) if m.startswith(later))
        for path in (SRC / "live").rglob("*.py")
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_config_defaults_are_the_schema_defaults() -> None:
    properties = json.loads(SCHEMA.read_text(encoding="utf-8"))["properties"]
    documented = {name: spec["default"] for name, spec in properties.items() if "default" in spec}
    documented.update(
        (name, spec["default"])
        for name, spec in properties["safety"]["properties"].items()
        if "default" in spec
    )
    ours = {f.name: getattr(DEFAULTS, f.name) for f in fields(DEFAULTS)}
    # timeout_s is a per-connection setting, documented without a top-level default.
    ours.pop("timeout_s")
    assert ours == documented

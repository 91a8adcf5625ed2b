"""The configuration's defaults are kept in one place and agree with its schema."""

from __future__ import annotations

import json
from dataclasses import fields
from pathlib import Path

from voiceops.spec.defaults import DEFAULTS

SCHEMA = Path(__file__).resolve().parents[1] / "schemas" / "voiceops-config.schema.json"


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

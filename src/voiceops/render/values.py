"""How a changed value is shown to a person. Sensitive values are never shown."""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from typing import Any

from voiceops.reconcile.changes import ABSENT, UNKNOWN_WRITE_ONLY, Change
from voiceops.reconcile.redaction import MASK
from voiceops.textsafety import clean_line

SHORT = 120


@dataclass(frozen=True)
class Framing:
    """Words that differ between a plan (what apply will do) and a drift report."""

    title: str
    changed: str  # e.g. "to update" / "drifted"
    before: str  # label of the live value
    after: str  # label of the git value
    symbol: str = "~"
    pair: str = "{before} -> {after}"  # one changed value on one line
    advice: str = ""
    offer_import: bool = False  # name the import command that keeps each live value


PLAN = Framing("Plan", "to update", "live", "git")
DRIFT = Framing(
    "Drift",
    "drifted",
    "live (changed outside git)",
    "git",
    pair="live {before}, git {after}",
    advice=(
        "Two ways out: run `voiceops apply` to put git's values back, or keep the live values "
        "with `voiceops import --provider CONN --id ID --force` and commit the result."
    ),
    offer_import=True,
)


def import_command(connection: str, assistant_id: str) -> str:
    return clean_line(f"voiceops import --provider {connection} --id {assistant_id} --force")


def show(value: Any) -> str:
    """A value on one line; vendor text in it cannot steer the terminal it is printed on."""
    if value is ABSENT:
        return "(absent)"
    return clean_line(json.dumps(value, ensure_ascii=False))


def before_text(change: Change) -> str:
    if change.write_only:
        return UNKNOWN_WRITE_ONLY
    if change.sensitive and change.before is not ABSENT:
        return MASK
    return show(change.before)


def after_text(change: Change) -> str:
    return MASK if change.sensitive else show(change.after)


def is_long(change: Change) -> bool:
    """Multi-line or long text on both sides: shown as a line diff instead of two values."""
    if change.sensitive or change.write_only:
        return False
    both = (change.before, change.after)
    return all(isinstance(v, str) for v in both) and any("\n" in v or len(v) > SHORT for v in both)


def text_diff(change: Change) -> list[str]:
    before = str(change.before).splitlines()
    after = str(change.after).splitlines()
    lines = difflib.unified_diff(before, after, "live", "git", lineterm="", n=1)
    return [clean_line(line) for line in lines if not line.startswith(("---", "+++"))]

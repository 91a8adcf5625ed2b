"""Whose change is it: a three-way comparison of git, live state and the last apply.

After an assistant converges, apply records one digest per managed field of the values it
applied (in the write-only record, never the values). A later difference between git and
live is then told apart: git moved, the dashboard moved, or both did.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from voiceops.paths import dotted, is_under
from voiceops.reconcile.changes import ABSENT, Change, ValuePath
from voiceops.reconcile.writeonly import value_hash


class Origin(StrEnum):
    GIT = "git"  # the document changed; live is as last applied
    DASHBOARD = "dashboard"  # live changed since the last apply; the document did not
    BOTH = "both"  # both changed: apply would overwrite a dashboard edit
    UNKNOWN = "unknown"  # no record of a last apply: never guessed


# The origins of a difference that apply resolves by overwriting what live holds now.
OVERWRITES_DASHBOARD = (Origin.DASHBOARD.value, Origin.BOTH.value)


def managed_leaves(desired: Any, at: ValuePath = ()) -> dict[ValuePath, Any]:
    """The fields a change can be reported at: mappings are looked into, anything else (a
    list included, as in `changes.diff`) is one field."""
    if isinstance(desired, dict) and desired:
        leaves: dict[ValuePath, Any] = {}
        for key, value in desired.items():
            leaves.update(managed_leaves(value, (*at, key)))
        return leaves
    return {at: desired} if at else {}


def applied_digests(
    connection: str, assistant_id: str, desired: Any, secret: frozenset[ValuePath] = frozenset()
) -> dict[str, str]:
    """One digest per managed field of `desired`, keyed by its dotted path (sorted). Fields
    at, inside or around a `secret` path get none: the record is committed to git, and a
    digest of a short secret could be guessed. Their origin stays `unknown`."""
    digests = {
        dotted(path): value_hash(connection, assistant_id, dotted(path), value)
        for path, value in managed_leaves(desired).items()
        if not any(is_under(path, s) or is_under(s, path) for s in secret)
    }
    return dict(sorted(digests.items()))


def origin_of(
    change: Change, recorded: dict[str, str] | None, connection: str, assistant_id: str
) -> Origin:
    """Where the difference `change` comes from, given the digests of the last apply."""
    stored = (recorded or {}).get(change.field)
    if stored is None:
        return Origin.UNKNOWN
    name = change.field
    git = value_hash(connection, assistant_id, name, change.after) != stored
    # A write-only field's live value cannot be read, so no dashboard edit can be seen.
    dashboard = not change.write_only and (
        change.before is ABSENT
        or value_hash(connection, assistant_id, name, change.before) != stored
    )
    if git and dashboard:
        return Origin.BOTH
    if dashboard:
        return Origin.DASHBOARD
    return Origin.GIT if git else Origin.UNKNOWN

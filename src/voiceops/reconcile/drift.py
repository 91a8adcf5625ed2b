"""Drift: live state that differs from git, i.e. edits made outside voiceops.

It is a plan read the other way round. Write-only fields are left out: the vendor never
shows them, so they cannot have drifted as far as anyone can observe. A difference the
record of the last apply shows to come from git alone is a change merged but not applied
yet, not drift: it is reported apart (`not_applied`).
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from voiceops.reconcile.context import RunContext
from voiceops.reconcile.doctor import is_model_note
from voiceops.reconcile.origins import Origin
from voiceops.reconcile.plan import Plan, Status, plan_to_dict
from voiceops.reconcile.planning import make_plan
from voiceops.textsafety import json_safe

# Drift's words for a plan's statuses, in its JSON form (its text says the same in full).
DRIFT_STATUS = {
    Status.UPDATE: "drifted",
    Status.CREATE: "not_created",
    Status.ADOPT: "not_adopted",
    Status.DELETE: "still_exists",
}


async def detect_drift(run: RunContext) -> Plan:
    plan = await make_plan(run)
    assistants = []
    for assistant in plan.assistants:
        observable = [c for c in assistant.changes if not c.write_only]
        pending = [c for c in observable if c.origin == Origin.GIT]
        if pending:
            observable = [c for c in observable if c.origin != Origin.GIT]
            assistant = dataclasses.replace(assistant, not_applied=pending)
        if not observable and assistant.changes:
            # Nothing left to report: no request either, or the report would contradict itself.
            assistant = dataclasses.replace(assistant, changes=[], request=None, template=None)
        elif len(observable) != len(assistant.changes):
            assistant = dataclasses.replace(assistant, changes=observable)
        assistants.append(assistant)
    # A plan's warnings are about applying; what the answers showed of the vendor is not.
    notes = [w for w in plan.warnings if is_model_note(w)]
    return dataclasses.replace(plan, assistants=assistants, warnings=notes)


def drift_to_dict(plan: Plan) -> dict[str, Any]:
    """A drift report as JSON data: the plan's form, with drift's words in `status` and in
    the `summary` keys (unchanged and error as in a plan)."""
    words = {status.value: word for status, word in DRIFT_STATUS.items()}
    data = plan_to_dict(plan)
    data["summary"] = {words.get(key, key): count for key, count in data["summary"].items()}
    for item in data["assistants"]:
        item["status"] = words.get(item["status"], item["status"])
    return data


def dump_drift(plan: Plan) -> str:
    return json_safe(json.dumps(drift_to_dict(plan), indent=2, ensure_ascii=False) + "\n")

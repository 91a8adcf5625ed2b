"""How a changed value is shown to a person. Sensitive values are never shown."""

from __future__ import annotations

import dataclasses
import difflib
import json
import re
import shlex
from dataclasses import dataclass
from typing import Any

from voiceops.reconcile.changes import ABSENT, UNKNOWN_WRITE_ONLY, Change
from voiceops.reconcile.plan import AssistantPlan, Plan, Status
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
    advice: str = ""  # `{env}` after a command name: where its --env goes
    offer_import: bool = False  # name the import command that keeps each live value
    # Counted beside `changed` (the updates), and said under each such assistant.
    create: str = "to create"
    adopt: str = "to adopt"
    delete: str = "to delete"
    create_note: str = "no id yet: apply creates it and writes its id into the document"
    adopt_note: str = "adopts the unmanaged live assistant with the same name"
    delete_note: str = "marked ensure: absent; apply deletes it at the vendor"
    quiet: str = "No changes"  # the summary when there is nothing to report
    unmanaged_is_drift: bool = False  # live assistants no document manages count as findings
    # The environment the report is about: the commands it suggests name it.
    environment: str | None = None

    def in_environment(self, environment: str | None) -> Framing:
        if environment is None:
            return self
        return dataclasses.replace(self, environment=environment)

    @property
    def advice_text(self) -> str:
        """`advice` with its `{env}` places filled: ` --env NAME` in an environment."""
        flag = f" --env {self.environment}" if self.environment is not None else ""
        return self.advice.format(env=flag)

    def has_findings(self, plan: Plan) -> bool:
        """Whether the report has something to act on: changes, and under this framing
        live assistants no document manages."""
        return plan.has_changes or (self.unmanaged_is_drift and bool(plan.unmanaged))

    def word(self, status: Status) -> str:
        """How `status` is counted in a summary."""
        words = {
            Status.CREATE: self.create,
            Status.ADOPT: self.adopt,
            Status.UPDATE: self.changed,
            Status.DELETE: self.delete,
            Status.ERROR: "error(s)",
        }
        return words.get(status, status.value)

    def note(self, status: Status) -> str:
        """The line under an assistant with `status`, saying what it means."""
        notes = {
            Status.CREATE: self.create_note,
            Status.ADOPT: self.adopt_note,
            Status.DELETE: self.delete_note,
        }
        return notes.get(status, "")


# The order changing assistants are counted in, and how each is marked.
COUNTED = (Status.CREATE, Status.ADOPT, Status.UPDATE, Status.DELETE)
SYMBOLS = {Status.CREATE: "+", Status.ADOPT: "=", Status.DELETE: "-"}
COLOURS = {
    Status.CREATE: "green",
    Status.ADOPT: "cyan",
    Status.UPDATE: "yellow",
    Status.DELETE: "red",
}

PLAN = Framing("Plan", "to update", "live", "git")
DRIFT = Framing(
    "Drift",
    "drifted",
    "live (changed outside git)",
    "git",
    pair="live {before}, git {after}",
    advice=(
        "Two ways out: run `voiceops apply{env}` to put git's values back, or keep the live "
        "values with `voiceops import{env} --provider CONN --id ID --force` and commit the "
        "result."
    ),
    offer_import=True,
    create="not created yet",
    adopt="not adopted yet",
    delete="still exists",
    create_note="no id yet: not created at the vendor yet",
    adopt_note="an unmanaged live assistant has the same name; it is not adopted yet",
    delete_note="marked ensure: absent, but the vendor still has it",
    quiet="No drift",
    unmanaged_is_drift=True,
)


def import_command(
    connection: str, assistant_id: str, *, force: bool = True, environment: str | None = None
) -> str:
    """The import command for one live assistant, quoted for a shell: an id a vendor lists
    is untrusted text, and a person may paste the command."""
    words = ["voiceops", "import", *(["--env", environment] if environment else [])]
    words += ["--provider", connection, "--id", assistant_id]
    return clean_line(shlex.join([*words, *(["--force"] if force else [])]))


def keep_command(a: AssistantPlan, framing: Framing) -> str | None:
    """In a drift report, the import command that keeps an assistant's live values instead
    of git's: only where there is an id and live values that differ."""
    if not framing.offer_import or a.id is None or not a.changes or a.status is Status.DELETE:
        return None
    return import_command(a.connection, a.id, environment=framing.environment)


# json.dumps(value, ensure_ascii=False), without building an encoder for every value.
_ONE_LINE = json.JSONEncoder(ensure_ascii=False)


def show(value: Any) -> str:
    """A value on one line; vendor text in it cannot steer the terminal it is printed on."""
    if value is ABSENT:
        return "(absent)"
    return clean_line(_ONE_LINE.encode(value))


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


def is_long_added(change: Change) -> bool:
    """A new multi-line or long text (a create's prompt): shown line by line."""
    value = change.after
    return (
        change.before is ABSENT
        and not change.sensitive
        and isinstance(value, str)
        and ("\n" in value or len(value) > SHORT)
    )


def added_lines(change: Change) -> list[str]:
    return [clean_line(f"+{line}") for line in str(change.after).splitlines()]


def text_diff(change: Change) -> list[str]:
    before = str(change.before).splitlines()
    after = str(change.after).splitlines()
    lines = difflib.unified_diff(before, after, "live", "git", lineterm="", n=1)
    return [clean_line(line) for line in lines if not line.startswith(("---", "+++"))]


# A word and the space after it: a word diff keeps the text's own spacing.
_WORDS = re.compile(r"\S+\s*|\s+")


def word_diff(change: Change) -> list[str]:
    """The lines of a long text that changed, with removed words as `[-old-]` and added
    ones as `{+new+}` (git's --word-diff=plain notation)."""
    if not is_long(change):
        return []
    old, new = _WORDS.findall(str(change.before)), _WORDS.findall(str(change.after))
    marked = ""
    for op, i1, i2, j1, j2 in difflib.SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if op == "equal":
            marked += "".join(old[i1:i2])
            continue
        if i2 > i1:
            marked += "[-" + "".join(old[i1:i2]).rstrip() + "-] "
        if j2 > j1:
            marked += "{+" + "".join(new[j1:j2]).rstrip() + "+} "
    return [clean_line(line) for line in marked.splitlines() if "[-" in line or "{+" in line]


def change_tag(change: Change) -> str:
    """Whose change it is and what it touches, e.g. `[origin: git; labels: model]`;
    empty for a change that carries neither (an older plan file)."""
    parts = []
    if change.origin:
        parts.append(f"origin: {change.origin}")
    if change.labels:
        parts.append("labels: " + ", ".join(change.labels))
    return f"[{'; '.join(parts)}]" if parts else ""


def overwritten_edits(plan: Plan) -> list[tuple[AssistantPlan, Change]]:
    """Each dashboard edit applying `plan` would overwrite: a live value changed since the
    last apply (origin `dashboard` or `both`)."""
    return [
        (a, c)
        for a in plan.assistants
        for c in a.changes
        if c.origin in ("dashboard", "both") and a.status is not Status.ERROR
    ]


def not_applied_lines(plan: Plan) -> list[str]:
    """Drift's note of changes merged in git that no apply has sent yet (not drift)."""
    return [
        clean_line(
            f"Not applied yet: {a.name}: {', '.join(c.field for c in a.not_applied)} "
            "(changed in git since the last apply)"
        )
        for a in plan.assistants
        if a.not_applied
    ]

"""What applying a plan comes to, assistant by assistant, and how to follow it."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from enum import StrEnum

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import Interrupted
from voiceops.live.providers.base import UpdateRequest
from voiceops.reconcile.changes import Change
from voiceops.reconcile.plan import SavedAssistant, Status
from voiceops.reconcile.redaction import Redactor
from voiceops.spec.documents import AssistantSpec

PLAN_AGAIN = "run voiceops plan again"


class Outcome(StrEnum):
    APPLIED = "applied"
    CREATED = "created"  # and its id written into the document
    ADOPTED = "adopted"  # an unmanaged live assistant taken over, its id written back
    DELETED = "deleted"
    DEFERRED = "deferred"  # not sent: a vendor limit (Invent's creates per hour) would refuse it
    UNCHANGED = Status.UNCHANGED.value
    STALE = "stale"
    FAILED = "failed"
    NOT_CONVERGED = "not converged"
    INTERRUPTED = "interrupted"  # nothing was sent for it: the run was stopped first
    UNCERTAIN = "uncertain"  # an update that may have landed and cannot be checked
    # Not sent: it would overwrite dashboard edits, and `safety.dashboard_edits` is refuse.
    SKIPPED = "skipped"


# A create or an adopt: for a document without an id.
NEWCOMERS = (Status.CREATE, Status.ADOPT)


# The outcomes of an assistant that is now as git describes it.
CONVERGED = (Outcome.APPLIED, Outcome.CREATED, Outcome.ADOPTED, Outcome.DELETED, Outcome.UNCHANGED)


@dataclass(frozen=True)
class AssistantResult:
    name: str
    connection: str
    id: str | None
    outcome: Outcome
    detail: str = ""


@dataclass(frozen=True)
class ApplyReport:
    results: list[AssistantResult]
    # Problems of the run as a whole, e.g. a write-only record that could not be saved.
    errors: list[str] = field(default_factory=list)
    # The signals (SIGINT, SIGTERM) that stopped the run, if any did.
    signals: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return (
            not self.errors
            and not self.signals
            and all(r.outcome in CONVERGED for r in self.results)
        )

    def count(self, outcome: Outcome) -> int:
        return sum(1 for r in self.results if r.outcome is outcome)

    def scrubbed(self, redactor: Redactor) -> ApplyReport:
        """The report with secrets masked in its details (vendor messages), before rendering."""
        return replace(
            self,
            results=[replace(r, detail=redactor.redact(r.detail)) for r in self.results],
            errors=[redactor.redact(e) for e in self.errors],
        )


class ApplyWatcher:
    """Hooks to follow an apply as it goes (progress, results as they finish). Each does
    nothing here; the command line overrides them. They are called on the event loop."""

    def reading(self, total: int) -> None:
        """`total` assistants are about to be read before their updates are prepared."""

    def read(self, count: int) -> None:
        """`count` more assistants were read (and checked)."""

    def writing(self, total: int) -> None:
        """`total` updates are about to be sent (and read back)."""

    def finished(self, result: AssistantResult) -> None:
        """One assistant's final result; called once per assistant."""


# Saved plan entries with the documents they are for.
Work = list[tuple[SavedAssistant, AssistantSpec]]


@dataclass(frozen=True)
class Prepared:
    """An update ready to send: checked against live state, its body encoded once already."""

    item: SavedAssistant
    spec: AssistantSpec
    changes: list[Change]
    request: UpdateRequest


def result_of(item: SavedAssistant, outcome: Outcome, detail: str = "") -> AssistantResult:
    return AssistantResult(item.name, item.connection, item.id, outcome, detail)


def failed_with(item: SavedAssistant, exc: VoiceopsError) -> AssistantResult:
    if isinstance(exc, Interrupted):
        return result_of(item, Outcome.INTERRUPTED, "nothing was sent for it")
    return result_of(item, Outcome.FAILED, str(exc))


def applied(spec: AssistantSpec, detail: str = "") -> AssistantResult:
    return AssistantResult(spec.name, spec.connection, spec.id, Outcome.APPLIED, detail)


def deleted(spec: AssistantSpec) -> AssistantResult:
    return AssistantResult(spec.name, spec.connection, spec.id, Outcome.DELETED)


def still_there(spec: AssistantSpec) -> AssistantResult:
    return not_converged(spec, "the vendor still has it after the delete")


def not_converged(spec: AssistantSpec, detail: str) -> AssistantResult:
    return AssistantResult(spec.name, spec.connection, spec.id, Outcome.NOT_CONVERGED, detail)

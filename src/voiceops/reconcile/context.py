"""One command run on the reconcile side: the session and what it must not own itself,
the redactor that learns every secret the run handles, the write-only record and the
record of pending creates."""

from __future__ import annotations

from voiceops.errors import VoiceopsError
from voiceops.live.session import RunOptions, Session
from voiceops.reconcile.pending import PendingCreates, pending_path
from voiceops.reconcile.redaction import Redactor
from voiceops.reconcile.writeonly import LOCK_TIMEOUT_S, WriteOnlyRecord
from voiceops.spec.validation import Project


class RunContext:
    """Use as `async with RunContext(project, options) as run`."""

    def __init__(self, project: Project, options: RunOptions) -> None:
        self.redactor = Redactor()
        lock_timeout_s = options.record_lock_timeout_s or LOCK_TIMEOUT_S
        self.write_only = WriteOnlyRecord.load(options.write_only_record, lock_timeout_s)
        self.pending = PendingCreates.load(pending_path(options.write_only_record), lock_timeout_s)
        self.session = Session(project, options, on_secret=self.redactor.add)
        # Per connection, the ids its list showed when this run read it: a create answered
        # with one of them did not make a new assistant.
        self.listed: dict[str, frozenset[str]] = {}
        # apply --overwrite-dashboard-edits: `safety.dashboard_edits: refuse` gives way.
        self.overwrite_dashboard_edits = False
        # Per vendor, the risk labels of its fields (worked out once: every plan asks).
        self.labels: dict[str, dict[tuple[str, ...], tuple[str, ...]]] = {}

    @property
    def project(self) -> Project:
        return self.session.project

    @property
    def options(self) -> RunOptions:
        return self.session.options

    async def __aenter__(self) -> RunContext:
        await self.session.__aenter__()
        return self

    async def __aexit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        await self.session.__aexit__(kind, error, trace)
        if isinstance(error, VoiceopsError):
            # An error leaving the run (e.g. a vendor's message quoting a value) is scrubbed too.
            error.message = self.redactor.redact(error.message)

"""The apply stage: plan -> requests -> read-back.

A plan is applied exactly or not at all, assistant by assistant: before sending, voiceops
re-reads the assistant and rebuilds its request from the spec and the live state; it sends
that request only when it equals the saved one, and otherwise refuses the assistant as stale.
A plan file is a reviewed statement, not a script: nothing in it is sent that voiceops would
not have built itself. After sending, it reads back and reports fields the vendor did not keep.
"""

from __future__ import annotations

import asyncio
import json
from asyncio import Semaphore
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import Interrupted, RequestFailed, StatusFailed, encode_json
from voiceops.live.providers.base import LiveState, Provider, UpdateRequest
from voiceops.live.session import connection_error
from voiceops.reconcile.changes import Change
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.plan import (
    AssistantPlan,
    Plan,
    SavedAssistant,
    Status,
    load_saved,
    mass_update_warning,
)
from voiceops.reconcile.planning import internal_error, make_plan, plan_in
from voiceops.reconcile.redaction import Redactor
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.validation import did_you_mean

# How often an update that may or may not have landed (timeout, 5xx) is re-checked and resent.
UNCERTAIN_ATTEMPTS = 3
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


@dataclass(frozen=True)
class Prepared:
    """An update ready to send: checked against live state, its body encoded once already."""

    item: SavedAssistant
    spec: AssistantSpec
    changes: list[Change]
    request: UpdateRequest


Work = list[tuple[SavedAssistant, AssistantSpec]]


async def apply_saved(
    run: RunContext,
    saved: list[SavedAssistant],
    *,
    known_live: dict[str, dict[str, Any] | None] | None = None,
    known_plans: dict[str, AssistantPlan] | None = None,
    errors: dict[str, str] | None = None,
    watch: ApplyWatcher | None = None,
) -> ApplyReport:
    """Apply a saved plan. Connections run concurrently; one failure never stops the others.

    Each assistant goes through its own pipeline: read (unless `known_live` has it), check,
    send, read back. Every desired body is encoded before the first request, so that
    nothing found out after the first write can end the run: each assistant ends with its
    own outcome, the record keeps what landed, and the summary is complete.

    `errors` holds the message of each assistant whose planning failed, when it is known;
    `known_plans` the plans made from `known_live`, reused rather than made again."""
    watch = watch or ApplyWatcher()
    results, work = _triage(run, saved, errors or {})
    results.update(_preflight(run, work))
    for result in results.values():
        watch.finished(result)
    known = known_live or {}
    pipeline = _Pipeline(run, watch, known, known_plans or {})
    watch.reading(sum(known.get(i.name) is None for items in work.values() for i, _ in items))
    watch.writing(sum(len(items) for items in work.values()))
    groups = await asyncio.gather(*(pipeline.connection(n, items) for n, items in work.items()))
    for group in groups:
        results.update((r.name, r) for r in group)
    run_errors = []
    try:
        run.write_only.save()
    except VoiceopsError as exc:
        run_errors.append(str(exc))
    names = dict.fromkeys(item.name for item in saved)
    return ApplyReport(
        [results[name] for name in names], run_errors, list(run.session.stop.signals)
    )


def _triage(
    run: RunContext, saved: list[SavedAssistant], errors: dict[str, str]
) -> tuple[dict[str, AssistantResult], dict[str, Work]]:
    """What is settled without a request, and each connection's work."""
    specs = {s.name: s for s in run.project.specs}
    results: dict[str, AssistantResult] = {}
    work: dict[str, Work] = {}
    entries = Counter(item.name for item in saved)
    for item in saved:
        spec = specs.get(item.name)
        if entries[item.name] > 1:
            detail = f"the plan file holds it {entries[item.name]} times; {PLAN_AGAIN}"
            results[item.name] = _result(item, Outcome.STALE, detail)
        elif item.status is Status.UNCHANGED:
            results[item.name] = _result(item, Outcome.UNCHANGED)
        elif run.session.stop.is_set():
            results[item.name] = _result(item, Outcome.INTERRUPTED, "nothing was sent for it")
        elif spec is None:
            detail = f"no longer in the repository; {PLAN_AGAIN}"
            results[item.name] = _result(item, Outcome.STALE, detail)
        elif (item.connection, item.id) != (spec.connection, spec.id):
            detail = f"the plan file names another connection or id for it; {PLAN_AGAIN}"
            results[item.name] = _result(item, Outcome.STALE, detail)
        elif item.status is Status.ERROR:
            detail = errors.get(item.name) or "had an error when planned; plan again"
            results[item.name] = _result(item, Outcome.FAILED, detail)
        else:
            work.setdefault(spec.connection, []).append((item, spec))
    return results, work


def _preflight(run: RunContext, work: dict[str, Work]) -> dict[str, AssistantResult]:
    """Encode every desired spec before the first request: what cannot be sent fails here,
    not half-way through the run. Those assistants leave `work`."""
    failed: dict[str, AssistantResult] = {}
    for name, items in work.items():
        kept = []
        for item, spec in items:
            try:
                encode_json(envref.resolve(spec.spec, run.options.env))
            except RequestFailed as exc:
                detail = f"{spec.location()}: {exc.message}"
                failed[item.name] = _result(item, Outcome.FAILED, detail)
                continue
            kept.append((item, spec))
        work[name] = kept
    return failed


@dataclass
class _Pipeline:
    """One run's apply: per connection, per assistant, read -> check -> send -> read back."""

    run: RunContext
    watch: ApplyWatcher
    known_live: dict[str, dict[str, Any] | None]
    known_plans: dict[str, AssistantPlan]

    async def connection(self, name: str, items: Work) -> list[AssistantResult]:
        try:
            provider, _ = await self.run.session.connect(name)
        except VoiceopsError as exc:
            return [self._done(_failed(item, exc)) for item, _ in items]
        except Exception as exc:  # a bug, confined to this connection
            message = internal_error(exc)
            return [self._done(_result(item, Outcome.FAILED, message)) for item, _ in items]
        # At most as many updates under way as the run has request slots: each waits its turn
        # here rather than queueing in the client, so a stop leaves few to wait for.
        turns = asyncio.Semaphore(self.run.options.concurrency)
        if not provider.reads_by_list:
            return list(
                await asyncio.gather(*(self._single(provider, i, s, turns) for i, s in items))
            )
        return await self._listed(provider, items, turns)

    async def _single(
        self, provider: Provider, item: SavedAssistant, spec: AssistantSpec, turns: Semaphore
    ) -> AssistantResult:
        """An assistant read one GET at a time: its update starts once its own read is done,
        and its read-back once its update is."""
        live = await self._read(provider, [(item, spec)])
        if isinstance(live, AssistantResult):
            return self._done(live)
        result = await self._send(provider, item, spec, live[spec.known_id], turns)
        if result.outcome is Outcome.APPLIED:
            result = (await self._read_back(provider, [spec]))[0]
        return self._done(result)

    async def _listed(
        self, provider: Provider, items: Work, turns: Semaphore
    ) -> list[AssistantResult]:
        """A connection read by list pages: one read of all, then every update, then one
        read-back of the applied ones."""
        live = await self._read(provider, items)
        if isinstance(live, AssistantResult):
            shared = live
            return [self._done(replace(shared, name=i.name, id=i.id)) for i, _ in items]
        sent = await asyncio.gather(
            *(self._send(provider, item, spec, live[spec.known_id], turns) for item, spec in items)
        )
        by_name = {r.name: r for r in sent}
        for result in sent:
            if result.outcome is not Outcome.APPLIED:
                self._done(result)
        applied = [
            spec for (_, spec), r in zip(items, sent, strict=True) if r.outcome is Outcome.APPLIED
        ]
        for result in await self._read_back(provider, applied):
            by_name[result.name] = self._done(result)
        return list(by_name.values())

    async def _read(
        self, provider: Provider, items: Work
    ) -> dict[str, LiveState] | AssistantResult:
        """Live state of `items` (known or read now), or the failure shared by all of them."""
        live: dict[str, LiveState] = {}
        unread = []
        for item, spec in items:
            if self.known_live.get(item.name) is not None:
                live[spec.known_id] = self.known_live[item.name]
            else:
                unread.append(spec.known_id)
        if unread:
            item = items[0][0]
            try:
                # Read one by one (pipelined), one odd answer is that assistant's alone.
                whole = provider.reads_by_list
                live.update(
                    await self.run.session.read(provider.name, unread, whole_connection=whole)
                )
            except VoiceopsError as exc:
                return _failed(item, exc)
            except Exception as exc:  # a bug, confined to these assistants
                return _result(item, Outcome.FAILED, internal_error(exc))
            finally:
                self.watch.read(len(unread))
        return live

    async def _send(
        self,
        provider: Provider,
        item: SavedAssistant,
        spec: AssistantSpec,
        live_raw: LiveState,
        turns: Semaphore,
    ) -> AssistantResult:
        try:
            planned = self.known_plans.get(item.name)
            prepared = _prepare_one(self.run, provider, item, spec, live_raw, planned)
            if isinstance(prepared, AssistantResult):
                return prepared
            async with turns:
                return await _send_one(self.run, provider, prepared)
        except Exception as exc:  # a bug, confined to this assistant
            return _result(item, Outcome.FAILED, internal_error(exc))

    async def _read_back(
        self, provider: Provider, specs: list[AssistantSpec]
    ) -> list[AssistantResult]:
        try:
            return await _read_back(self.run, provider, specs)
        except Exception as exc:  # a bug; the updates landed all the same
            return [_not_converged(s, f"read-back failed: {internal_error(exc)}") for s in specs]

    def _done(self, result: AssistantResult) -> AssistantResult:
        self.watch.finished(result)
        return result


def _result(item: SavedAssistant, outcome: Outcome, detail: str = "") -> AssistantResult:
    return AssistantResult(item.name, item.connection, item.id, outcome, detail)


def _failed(item: SavedAssistant, exc: VoiceopsError) -> AssistantResult:
    if isinstance(exc, Interrupted):
        return _result(item, Outcome.INTERRUPTED, "nothing was sent for it")
    return _result(item, Outcome.FAILED, str(exc))


def _prepare_one(
    run: RunContext,
    provider: Provider,
    item: SavedAssistant,
    spec: AssistantSpec,
    live_raw: LiveState,
    planned: AssistantPlan | None = None,
) -> Prepared | AssistantResult:
    """Check one assistant against its live state and build its request (no sending).
    `planned`, when made from this very live state, is used instead of planning again."""
    if live_raw is None:
        return _result(item, Outcome.FAILED, f"id {spec.known_id!r} no longer exists (404)")
    if planned is not None and planned.live_raw is live_raw:
        current = planned
    else:
        current = plan_in(run, provider, spec, live_raw)
    if current.error:
        return _result(item, Outcome.FAILED, current.error)
    if not current.changes:
        return _result(item, Outcome.UNCHANGED, "already matches git")
    stale = _stale(item, current)
    if stale is not None:
        return _result(item, Outcome.STALE, f"{stale}; {PLAN_AGAIN}")
    request = current.request
    assert request is not None  # `_stale` refuses a plan with changes but no request
    try:
        encode_json(request.body)
    except RequestFailed as exc:
        return _result(item, Outcome.FAILED, f"{spec.location()}: {exc.message}")
    # What is sent is the request rebuilt here, with secrets resolved from the environment;
    # the plan file only had to agree with it.
    return Prepared(item, spec, current.changes, request)


async def _send_one(run: RunContext, provider: Provider, prepared: Prepared) -> AssistantResult:
    result = await _send_until_landed(run, provider, prepared)
    if result.outcome is Outcome.APPLIED:
        spec = prepared.spec
        for change in prepared.changes:
            if change.write_only:
                run.write_only.remember(spec.connection, spec.known_id, change.top, change.after)
    return result


async def _send_until_landed(
    run: RunContext, provider: Provider, prepared: Prepared
) -> AssistantResult:
    """Send the update; when it may or may not have landed (timeout, 5xx), check and resend
    only what is still missing, up to `UNCERTAIN_ATTEMPTS` times."""
    item, request = prepared.item, prepared.request
    body = request.body
    _, client = await run.session.connect(prepared.spec.connection)
    # Whether a re-read can tell that the update landed: only through a readable field.
    observable = any(not c.write_only for c in prepared.changes)
    for attempt in range(1, UNCERTAIN_ATTEMPTS + 1):
        try:
            await client.request(request.method, request.path, json=body, idempotent=False)
            return _result(item, Outcome.APPLIED)
        except Interrupted as exc:
            if exc.maybe_applied or attempt > 1:
                return _result(item, Outcome.UNCERTAIN, INTERRUPTED_UNSURE)
            return _result(item, Outcome.INTERRUPTED, "its update was not sent")
        except RequestFailed as exc:
            if not exc.maybe_applied or attempt == UNCERTAIN_ATTEMPTS:
                return _result(item, Outcome.FAILED, _failure(provider, exc))
            if not observable:
                # Nothing readable can tell whether it landed, and sending it again could
                # repeat a side effect: it is sent at most once per run.
                return _result(item, Outcome.UNCERTAIN, f"{exc.message}; {WRITE_ONLY_UNSURE}")
        missing = await _still_missing(run, provider, item, prepared.spec)
        if missing is None:
            return _result(item, Outcome.APPLIED)
        if isinstance(missing, AssistantResult):
            return missing
        body = missing
    raise AssertionError("the last attempt always returns")


async def _still_missing(
    run: RunContext, provider: Provider, item: SavedAssistant, spec: AssistantSpec
) -> dict[str, Any] | AssistantResult | None:
    """After an update that may have landed (e.g. Edmo's 500 after changing its own copy),
    read again: the body that is still to be sent, None when it landed, or the result that
    ends the assistant."""
    try:
        live_raw = (await run.session.read(spec.connection, [spec.known_id]))[spec.known_id]
    except Interrupted:
        return _result(item, Outcome.UNCERTAIN, INTERRUPTED_UNSURE)
    except VoiceopsError as read_exc:
        return _result(item, Outcome.FAILED, str(read_exc))
    if live_raw is None:
        return _result(item, Outcome.FAILED, f"id {spec.known_id!r} no longer exists (404)")
    retry = plan_in(run, provider, spec, live_raw)
    if retry.error:
        return _result(item, Outcome.FAILED, retry.error)
    # An update lands whole or not at all, so when its readable fields are all in
    # place its write-only ones are too.
    if not any(not c.write_only for c in retry.changes) or retry.request is None:
        return None
    return retry.request.body


WRITE_ONLY_UNSURE = (
    "the update may have landed, but it changes only write-only fields, which no read can "
    "check; it was not sent again (the next apply sends it once more)"
)
INTERRUPTED_UNSURE = "the update may have landed; the run was interrupted before it was checked"


def _stale(item: SavedAssistant, current: AssistantPlan) -> str | None:
    """Why the saved plan no longer says what voiceops would do now, if it does not."""
    # The plan's fingerprint, not the live state's: a failed read (RequestFailed) has none.
    if current.fingerprint != item.fingerprint:
        return "live state changed since the plan was made"
    if current.spec_digest != item.spec_digest:
        return "its spec changed since the plan was made"
    if sorted(c.field for c in current.changes) != sorted(c.field for c in item.changes):
        return "its changes now differ from the plan's (a secret rotated?)"
    request = current.request
    if request is None or not _same_request(item, request, current.template):
        return (
            "the plan file's request is not the update voiceops builds from the spec and "
            "the live state (edited?)"
        )
    return None


def _same_request(
    item: SavedAssistant, request: UpdateRequest, template: dict[str, Any] | None
) -> bool:
    """The saved request equals the rebuilt one: method, path and body (with its secret
    references), compared as canonical JSON so that `1` and `true` stay different."""
    saved = {"method": item.method, "path": item.path, "body": item.body}
    rebuilt = {"method": request.method, "path": request.path, "body": template}
    return _canonical(saved) == _canonical(rebuilt)


def _canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _failure(provider: Provider, exc: RequestFailed) -> str:
    """A failed request in one assistant's words; a 401 is told as the connection's."""
    if isinstance(exc, StatusFailed) and exc.status == 401:
        return connection_error(provider, exc).message
    return exc.message


async def _read_back(
    run: RunContext, provider: Provider, specs: list[AssistantSpec]
) -> list[AssistantResult]:
    """Read every applied assistant again and name the fields that did not converge."""
    if not specs:
        return []
    if run.session.stop.is_set():
        return [_applied(s, "not read back: the run was interrupted") for s in specs]
    try:
        ids = [s.known_id for s in specs]
        live = await run.session.read(provider.name, ids, whole_connection=provider.reads_by_list)
    except Interrupted:
        return [_applied(s, "not read back: the run was interrupted") for s in specs]
    except VoiceopsError as exc:
        return [_not_converged(s, f"read-back failed: {exc}") for s in specs]
    results = []
    for spec in specs:
        raw = live[spec.known_id]
        if raw is None:
            results.append(_not_converged(spec, "gone after the update (404)"))
            continue
        after = plan_in(run, provider, spec, raw)
        left = [c.field for c in after.changes if not c.write_only]
        if after.error:
            results.append(_not_converged(spec, f"read-back failed: {after.error}"))
        elif left:
            results.append(_not_converged(spec, "the vendor did not keep: " + ", ".join(left)))
        else:
            results.append(_applied(spec))
    return results


def _applied(spec: AssistantSpec, detail: str = "") -> AssistantResult:
    return AssistantResult(spec.name, spec.connection, spec.known_id, Outcome.APPLIED, detail)


def _not_converged(spec: AssistantSpec, detail: str) -> AssistantResult:
    return AssistantResult(spec.name, spec.connection, spec.known_id, Outcome.NOT_CONVERGED, detail)


def refuse_unconfirmable(*, saved_plan: bool, auto_approve: bool, interactive: bool) -> None:
    """Applying a plan made now needs a yes: from --auto-approve, or from a person asked."""
    if not saved_plan and not auto_approve and not interactive:
        raise VoiceopsError(
            "apply without a plan file asks for confirmation, but there is no terminal; "
            "pass --auto-approve to apply without asking"
        )


async def apply_project(
    run: RunContext,
    *,
    saved_plan: tuple[str, str] | None,
    show: Callable[[Plan], None],
    confirm: Callable[[Plan], bool],
    allow_mass_update: bool,
    interactive: bool,
    targets: tuple[str, ...] = (),
    watch: ApplyWatcher | None = None,
) -> ApplyReport | None:
    """Apply a saved plan (text, source name), or plan now, show it and ask. None if declined.
    A saved plan's updates are shown (`show`) once they are checked, before the first is sent."""
    if saved_plan is not None:
        saved = _targeted(load_saved(*saved_plan), targets, saved_plan[1])
        _refuse_mass_update(run, saved, allow_mass_update)
        # Reviewed elsewhere: say here what it holds, before anything is read or sent.
        show(Plan([s.as_plan() for s in saved], managed=run.project.managed))
        return await apply_saved(run, saved, watch=watch)
    # With --allow-mass-update the plan has no warning that asks for it.
    plan = await make_plan(run, mass_update_allowed=allow_mass_update)
    show(plan)
    saved = [SavedAssistant.from_plan(a) for a in plan.assistants]
    if plan.has_changes:
        # Refused before anyone is asked to confirm what could not be applied anyway.
        _refuse_mass_update(run, saved, allow_mass_update)
        if not confirm(plan):
            return None
    # Re-reading is skipped for state read moments ago; a confirmed plan is re-read,
    # since the person may have taken a while.
    fresh = not interactive
    return await apply_saved(
        run,
        saved,
        known_live={a.name: a.live_raw for a in plan.assistants} if fresh else None,
        known_plans={a.name: a for a in plan.assistants} if fresh else None,
        errors={a.name: a.error for a in plan.assistants if a.error},
        watch=watch,
    )


def _targeted(
    saved: list[SavedAssistant], targets: tuple[str, ...], source: str
) -> list[SavedAssistant]:
    """The plan file's assistants that --target names (all without --target)."""
    if not targets:
        return saved
    unknown = sorted(set(targets) - {s.name for s in saved})
    if unknown:
        names = ", ".join(map(repr, unknown))
        hint = did_you_mean(unknown, [s.name for s in saved])
        raise VoiceopsError(f"the plan file {source} holds no assistant {names}{hint}")
    return [s for s in saved if s.name in targets]


def _refuse_mass_update(run: RunContext, saved: list[SavedAssistant], allowed: bool) -> None:
    project = run.project
    updates = sum(1 for s in saved if s.status is Status.UPDATE)
    config = project.config
    # The share is of every managed assistant, also when --target narrows the run.
    warning = mass_update_warning(
        updates, project.managed, config.max_update_share, config.min_managed
    )
    if warning and not allowed:
        raise VoiceopsError(f"refusing to apply: {warning}")

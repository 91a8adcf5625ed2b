"""The apply stage: plan -> requests -> read-back.

A plan is applied exactly or not at all, assistant by assistant: before sending, voiceops
re-reads the assistant and rebuilds its request from the spec and the live state; it sends
that request only when it equals the saved one, and otherwise refuses the assistant as stale.
A plan file is a reviewed statement, not a script: nothing in it is sent that voiceops would
not have built itself. After sending, it reads back and reports fields the vendor did not keep.
"""

from __future__ import annotations

import asyncio
from asyncio import Semaphore
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import RequestFailed, encode_json
from voiceops.live.providers.base import LiveState, Provider
from voiceops.reconcile.assistant_plan import internal_error
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.creating import Newcomers
from voiceops.reconcile.outcomes import (
    NEWCOMERS,
    PLAN_AGAIN,
    Work,
    failed_with,
    not_converged,
    result_of,
)
from voiceops.reconcile.outcomes import (
    ApplyReport as ApplyReport,
)
from voiceops.reconcile.outcomes import (
    ApplyWatcher as ApplyWatcher,
)
from voiceops.reconcile.outcomes import (
    AssistantResult as AssistantResult,
)
from voiceops.reconcile.outcomes import (
    Outcome as Outcome,
)
from voiceops.reconcile.plan import (
    RISKY,
    AssistantPlan,
    Plan,
    SavedAssistant,
    Status,
    load_saved,
    mass_update_warning,
)
from voiceops.reconcile.planning import make_plan
from voiceops.reconcile.steps import prepare, read_back, send_delete, send_update
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec, Ensure
from voiceops.spec.validation import did_you_mean


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
    run_errors = _save_records(run, list(results.values()))
    names = dict.fromkeys(item.name for item in saved)
    return ApplyReport(
        [results[name] for name in names], run_errors, list(run.session.stop.signals)
    )


def _forget_resolved_creates(run: RunContext) -> None:
    """Notes of creates whose documents now have an id: someone checked and wrote it in."""
    with_ids = {(s.connection, s.name) for s in run.project.every_spec if s.id is not None}
    run.pending.forget_all(
        (e.connection, e.name)
        for e in run.pending.entries.values()
        if (e.connection, e.name) in with_ids
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
            results[item.name] = result_of(item, Outcome.STALE, detail)
        elif item.status is Status.UNCHANGED:
            results[item.name] = result_of(item, Outcome.UNCHANGED)
        elif run.session.stop.is_set():
            results[item.name] = result_of(item, Outcome.INTERRUPTED, "nothing was sent for it")
        elif spec is None:
            detail = f"no longer in the repository; {PLAN_AGAIN}"
            results[item.name] = result_of(item, Outcome.STALE, detail)
        elif not _same_target(item, spec):
            detail = f"the plan file names another connection or id for it; {PLAN_AGAIN}"
            results[item.name] = result_of(item, Outcome.STALE, detail)
        elif item.status is Status.ERROR:
            detail = errors.get(item.name) or "had an error when planned; plan again"
            results[item.name] = result_of(item, Outcome.FAILED, detail)
        else:
            work.setdefault(spec.connection, []).append((item, spec))
    return results, work


def _save_records(run: RunContext, results: list[AssistantResult]) -> list[str]:
    """Save what the run applied (deleted assistants leave the write-only record) and drop
    the notes of settled creates; what could not be saved, as run errors."""
    for result in results:
        if result.outcome is Outcome.DELETED and result.id is not None:
            run.write_only.forget(result.connection, result.id)
    try:
        run.write_only.save()
        _forget_resolved_creates(run)
    except VoiceopsError as exc:
        return [str(exc)]
    return []


def _same_target(item: SavedAssistant, spec: AssistantSpec) -> bool:
    """The saved entry is about the assistant the document names (a create or an adopt
    is about a document without an id)."""
    if item.connection != spec.connection:
        return False
    if item.status in NEWCOMERS:
        return spec.id is None
    return item.id == spec.id


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
                failed[item.name] = result_of(item, Outcome.FAILED, detail)
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
            return [self.done(failed_with(item, exc)) for item, _ in items]
        except Exception as exc:  # a bug, confined to this connection
            message = internal_error(exc)
            return [self.done(result_of(item, Outcome.FAILED, message)) for item, _ in items]
        # At most as many updates under way as the run has request slots: each waits its turn
        # here rather than queueing in the client, so a stop leaves few to wait for.
        turns = asyncio.Semaphore(self.run.options.concurrency)
        new = [(i, s) for i, s in items if i.status in NEWCOMERS]
        existing = [(i, s) for i, s in items if i.status not in NEWCOMERS]
        if not new:  # Newcomers walks every document's id: only when there are any
            return await self._existing(provider, existing, turns)
        groups = await asyncio.gather(
            self._existing(provider, existing, turns),
            Newcomers(self, provider, turns).apply(new),
        )
        return [result for group in groups for result in group]

    async def _existing(
        self, provider: Provider, items: Work, turns: Semaphore
    ) -> list[AssistantResult]:
        """Updates and deletes of assistants the documents name by id."""
        if not items:
            return []
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
        live = await self.read(provider, [(item, spec)])
        if isinstance(live, AssistantResult):
            return self.done(live)
        result = await self._send(provider, item, spec, live[spec.known_id], turns)
        if result.outcome is Outcome.APPLIED:
            result = (await self.read_back(provider, [spec]))[0]
        return self.done(result)

    async def _listed(
        self, provider: Provider, items: Work, turns: Semaphore
    ) -> list[AssistantResult]:
        """A connection read by list pages: one read of all, then every update, then one
        read-back of the applied ones."""
        live = await self.read(provider, items)
        if isinstance(live, AssistantResult):
            shared = live
            return [self.done(replace(shared, name=i.name, id=i.id)) for i, _ in items]
        sent = await asyncio.gather(
            *(self._send(provider, item, spec, live[spec.known_id], turns) for item, spec in items)
        )
        by_name = {r.name: r for r in sent}
        for result in sent:
            if result.outcome is not Outcome.APPLIED:
                self.done(result)
        applied = [
            spec for (_, spec), r in zip(items, sent, strict=True) if r.outcome is Outcome.APPLIED
        ]
        for result in await self.read_back(provider, applied):
            by_name[result.name] = self.done(result)
        return list(by_name.values())

    async def read(self, provider: Provider, items: Work) -> dict[str, LiveState] | AssistantResult:
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
                return failed_with(item, exc)
            except Exception as exc:  # a bug, confined to these assistants
                return result_of(item, Outcome.FAILED, internal_error(exc))
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
            prepared = prepare(self.run, provider, item, spec, live_raw, planned)
            if isinstance(prepared, AssistantResult):
                return prepared
            async with turns:
                if spec.ensure is Ensure.ABSENT:
                    return await send_delete(self.run, prepared)
                return await send_update(self.run, provider, prepared)
        except Exception as exc:  # a bug, confined to this assistant
            return result_of(item, Outcome.FAILED, internal_error(exc))

    async def read_back(
        self, provider: Provider, specs: list[AssistantSpec]
    ) -> list[AssistantResult]:
        try:
            return await read_back(self.run, provider, specs)
        except Exception as exc:  # a bug; the updates landed all the same
            return [not_converged(s, f"read-back failed: {internal_error(exc)}") for s in specs]

    def done(self, result: AssistantResult) -> AssistantResult:
        self.watch.finished(result)
        return result


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
    connections: tuple[str, ...] = (),
    watch: ApplyWatcher | None = None,
) -> ApplyReport | None:
    """Apply a saved plan (text, source name), or plan now, show it and ask. None if declined.
    A saved plan's updates are shown (`show`) once they are checked, before the first is sent."""
    if saved_plan is not None:
        saved = _chosen(run, saved_plan, targets, connections)
        _refuse_mass_update(run, saved, allow_mass_update)
        # Reviewed elsewhere: say here what it holds, before anything is read or sent.
        show(Plan([s.as_plan() for s in saved], run.project.managed, saved_in=saved_plan[1]))
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


def _chosen(
    run: RunContext,
    saved_plan: tuple[str, str],
    targets: tuple[str, ...],
    connections: tuple[str, ...],
) -> list[SavedAssistant]:
    """The plan file's assistants this run applies: those --target names, and with
    --connection those of the chosen connections only (the others are neither read nor
    sent: each runner applies its share of a plan made for the whole estate)."""
    saved = load_saved(*saved_plan, run.project.config.environment)
    saved = _targeted(saved, targets, saved_plan[1])
    return [s for s in saved if not connections or s.connection in connections]


def _refuse_mass_update(run: RunContext, saved: list[SavedAssistant], allowed: bool) -> None:
    project = run.project
    updates = sum(1 for s in saved if s.status in RISKY)
    config = project.config
    # The share is of every managed assistant, also when --target narrows the run.
    warning = mass_update_warning(
        updates, project.managed, config.max_update_share, config.min_managed
    )
    if warning and not allowed:
        raise VoiceopsError(f"refusing to apply: {warning}")

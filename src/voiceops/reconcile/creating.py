"""Applying the documents without an id: creates and adopts.

A create sends the whole spec in one request, writes the new id into the document, and
reads the assistant back. An adopt writes the id of the live assistant it takes over into
the document, then updates that assistant like any other. A create is never sent twice:
where the outcome of one is unknown, the vendor's list shows it to the next plan (which
adopts it), or, where the vendor lists nothing, the pending-creates record holds it.
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Awaitable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from voiceops.errors import VoiceopsError, display_path
from voiceops.live.httpclient import Interrupted, RequestFailed, StatusFailed, encode_json
from voiceops.live.providers.base import LiveState, Provider, answer_json
from voiceops.paths import dotted
from voiceops.reconcile.assistant_plan import PlanContext, internal_error, plan_create
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.lifecycle import Listing, desired_name, listing_by_id, namesakes
from voiceops.reconcile.outcomes import (
    PLAN_AGAIN,
    AssistantResult,
    Outcome,
    Work,
    failed_with,
    result_of,
)
from voiceops.reconcile.plan import AssistantPlan, SavedAssistant, Status
from voiceops.reconcile.planning import absorb, managed_ids
from voiceops.reconcile.steps import failure_text, prepare, same_request, send_update
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.writeback import write_environment_id, write_id


class Pipeline(Protocol):
    """What the apply pipeline lends to creates and adopts."""

    run: RunContext
    known_plans: dict[str, AssistantPlan]

    async def read(
        self, provider: Provider, items: Work
    ) -> dict[str, LiveState] | AssistantResult: ...

    async def read_back(
        self, provider: Provider, specs: list[AssistantSpec]
    ) -> list[AssistantResult]: ...

    def done(self, result: AssistantResult) -> AssistantResult: ...


@dataclass(frozen=True)
class Sent:
    """A create's or adopt's result so far, and the document with its id when the assistant
    is to be read back."""

    result: AssistantResult
    spec: AssistantSpec | None = None


HOUR_S = 3600.0


class Newcomers:
    """The creates and adopts of one connection."""

    def __init__(self, pipeline: Pipeline, provider: Provider, turns: asyncio.Semaphore) -> None:
        self.pipeline = pipeline
        self.run = pipeline.run
        self.provider = provider
        self.turns = turns
        # Where the vendor lists nothing, a create with an unknown outcome is noted.
        self.noting = not provider.lists
        # Creates the vendor's hourly limit still allows in this run (None: no limit). Taken
        # right before sending, so one found stale or invalid first does not use it up.
        self.budget = provider.creates_per_hour
        # When this run's first create went out: the hour of the limit runs from there.
        self.first_create_at: float | None = None
        # The ids documents name on this connection (walked once, not once per create).
        self.managed = managed_ids(self.run.project, provider.name)
        # The ids this run's creates were given, each to be written into one document only.
        self.created: set[str] = set()
        # The ids the vendor's list showed before the creates (None: it lists nothing).
        self.listing_before: frozenset[str] | None = None

    async def apply(self, items: Work) -> list[AssistantResult]:
        if not items:
            return []
        listing = await self._current_listing(items)
        if isinstance(listing, AssistantResult):
            shared = listing
            return [self.pipeline.done(replace(shared, name=i.name, id=i.id)) for i, _ in items]
        if self.provider.lists:
            seen = self.run.listed.get(self.provider.name)
            self.listing_before = frozenset(listing) if listing is not None else seen
        jobs: list[Awaitable[Sent]] = []
        for item, spec in items:
            if item.status is Status.ADOPT:
                jobs.append(self._guarded(item, self._adopt(item, spec, listing)))
            else:
                jobs.append(self._guarded(item, self._create(item, spec, listing)))
        return await self._finish(list(await asyncio.gather(*jobs)))

    async def _finish(self, sent: list[Sent]) -> list[AssistantResult]:
        """Read back every assistant created or updated, all at once."""
        to_read = [s.spec for s in sent if s.spec is not None]
        checked = {r.name: r for r in await self.pipeline.read_back(self.provider, to_read)}
        results = []
        for done in sent:
            result = done.result
            back = checked.get(result.name) if done.spec is not None else None
            if back is not None and back.outcome is not Outcome.APPLIED:
                result = replace(back, detail=f"{result.detail}; {back.detail}")
            results.append(self.pipeline.done(result))
        return results

    async def _current_listing(self, items: Work) -> Listing | AssistantResult | None:
        """The vendor's list, to check that no same-named assistant appeared since a saved
        plan was made, nor a second one beside the one to adopt (a plan made moments ago in
        this run is trusted)."""
        known = self.pipeline.known_plans
        fresh = all(i.name in known for i, _ in items)
        if not self.provider.lists or fresh:
            return None
        try:
            return listing_by_id(self.provider, await self.run.session.list_all(self.provider.name))
        except VoiceopsError as exc:
            return failed_with(items[0][0], exc)
        except Exception as exc:  # a bug, confined to this connection's newcomers
            return result_of(items[0][0], Outcome.FAILED, internal_error(exc))

    async def _guarded(self, item: SavedAssistant, job: Awaitable[Sent]) -> Sent:
        try:
            return await job
        except VoiceopsError as exc:  # e.g. the pending-creates record cannot be saved
            return Sent(result_of(item, Outcome.FAILED, str(exc)))
        except Exception as exc:  # a bug, confined to this assistant
            return Sent(result_of(item, Outcome.FAILED, internal_error(exc)))

    # ---- create -------------------------------------------------------------------

    async def _create(
        self, item: SavedAssistant, spec: AssistantSpec, listing: Listing | None
    ) -> Sent:
        current = self.pipeline.known_plans.get(item.name)
        if current is None:
            context = PlanContext(self.provider, self.run.options.env, self.run.write_only)
            current = absorb(self.run, plan_create(spec, context))
        if current.error:
            return Sent(result_of(item, Outcome.FAILED, current.error))
        stale = self._create_stale(item, spec, current, listing)
        if stale is not None:
            return Sent(result_of(item, Outcome.STALE, f"{stale}; {PLAN_AGAIN}"))
        try:
            encode_json(current.request.body if current.request else None)
        except RequestFailed as exc:
            return Sent(result_of(item, Outcome.FAILED, f"{spec.location()}: {exc.message}"))
        return await self._send_create(item, spec, current)

    def _create_stale(
        self,
        item: SavedAssistant,
        spec: AssistantSpec,
        current: AssistantPlan,
        listing: Listing | None,
    ) -> str | None:
        """Why the saved create no longer says what voiceops would do now, if it does not."""
        if current.status is not Status.CREATE:
            return f"voiceops would now {current.status.value} it, not create it"
        if current.spec_digest != item.spec_digest:
            return "its spec changed since the plan was made"
        entry = self.run.pending.get(spec.connection, spec.name) if self.noting else None
        if entry is not None:
            vendor = self.provider.type.capitalize()
            return self.run.pending.refusal(entry, vendor, dotted(spec.id_path))
        if listing is not None and self._namesakes(spec, listing):
            name = desired_name(self.provider, spec, self.run.options.env)
            return f"a live assistant named {name!r} appeared since the plan was made"
        if current.request is None or not same_request(item, current.request, current.template):
            return "the plan file's request is not the create voiceops builds from the spec"
        return None

    def _take_budget(self, item: SavedAssistant) -> AssistantResult | None:
        """Use up one create of the vendor's hourly limit, or defer `item` past it."""
        if self.budget is None:
            return None
        if self.budget <= 0:
            since = time.time() - (self.first_create_at or time.time())
            return result_of(
                item, Outcome.DEFERRED, f"not sent: {self._over_limit(HOUR_S - since)}"
            )
        self.budget -= 1
        self.first_create_at = self.first_create_at or time.time()
        return None

    async def _send_create(
        self, item: SavedAssistant, spec: AssistantSpec, current: AssistantPlan
    ) -> Sent:
        request = current.request
        assert request is not None
        deferred = self._take_budget(item)
        if deferred is not None:
            return Sent(deferred)
        if self.noting:
            shown = desired_name(self.provider, spec, self.run.options.env)
            # The record is committed to git: a name that holds a secret is not noted.
            shown = shown if self.run.redactor.redact(shown) == shown else ""
            self.run.pending.note(spec.connection, spec.name, spec.source, shown=shown)
        _, client = await self.run.session.connect(self.provider.name)
        async with self.turns:
            try:
                response = await client.request(
                    request.method, request.path, json=request.body, idempotent=False
                )
            except RequestFailed as exc:
                return Sent(self._not_created(item, spec, exc))
        try:
            new_id = self.provider.created_id(answer_json(response))
        except RequestFailed as exc:
            return Sent(self._doubted(item, spec, exc.message))
        doubt = self._doubt(new_id)
        if doubt is None:
            # Taken before the read-back waits: two creates answered with one id at once
            # write it into one document only.
            self.created.add(new_id)
            doubt = await self._not_readable(new_id)
        if doubt is not None:
            return Sent(self._doubted(item, spec, doubt))
        return self._created(item, spec, new_id)

    def _created(self, item: SavedAssistant, spec: AssistantSpec, new_id: str) -> Sent:
        """A sound id: written into the document, then the assistant read back."""
        self._remember_write_only(spec, new_id)
        created = replace(spec, id=new_id)
        written = self._write_back(created, new_id)
        if isinstance(written, AssistantResult):
            return Sent(written)
        result = AssistantResult(item.name, item.connection, new_id, Outcome.CREATED, written)
        return Sent(result, created)

    def _doubt(self, new_id: str) -> str | None:
        """Why the id a create's answer gave cannot be the new assistant's, if it cannot:
        a secret the run knows, an id a document manages on the account, or (where the
        vendor lists) one its list showed before the create."""
        if self.run.redactor.redact(new_id) != new_id:
            return "its answer gave a secret this run knows as the id"
        shown = repr(new_id[:60])
        if new_id in self.managed:
            return f"its answer gave id {shown}, which a document manages already"
        if new_id in self.created:
            return f"its answer gave id {shown}, which another create of this run was given"
        before = self.listing_before
        if before is not None and self.provider.normalize_id(new_id) in before:
            return f"its answer gave id {shown}, which was listed before the create"
        return None

    async def _not_readable(self, new_id: str) -> str | None:
        """Why the new id does not read back, if it does not."""
        shown = repr(new_id[:60])
        try:
            live = await self.run.session.read(self.provider.name, [new_id], whole_connection=False)
        except VoiceopsError as exc:
            return f"its answer gave id {shown}, which could not be read back: {exc}"
        raw = live.get(new_id)
        if raw is None:
            return f"its answer gave id {shown}, but the vendor has no assistant of that id"
        if isinstance(raw, RequestFailed):
            return f"its answer gave id {shown}, which could not be read back: {raw.message}"
        return None

    def _doubted(self, item: SavedAssistant, spec: AssistantSpec, doubt: str) -> AssistantResult:
        """A create that was sent, with an answer voiceops does not trust: no id is written,
        and a note keeps the next run from creating it again until someone checks."""
        doubt = self.run.redactor.redact(doubt)
        shown = desired_name(self.provider, spec, self.run.options.env)
        shown = shown if self.run.redactor.redact(shown) == shown else ""
        vendor = self.provider.type.capitalize()
        where = self.run.pending.path
        noted = f"noted in {display_path(where)}" if where else "noted in this run's memory"
        try:
            self.run.pending.note(spec.connection, spec.name, spec.source, shown=shown, doubt=doubt)
        except VoiceopsError as exc:
            noted = f"not noted ({exc})"
        detail = (
            f"the create was sent, but {doubt}; no id was written ({noted}): check the {vendor} "
            f"dashboard for an assistant named {shown or spec.name!r} and write its id into "
            f"{spec.source} if it was created"
        )
        return result_of(item, Outcome.UNCERTAIN, detail)

    def _not_created(
        self, item: SavedAssistant, spec: AssistantSpec, exc: RequestFailed
    ) -> AssistantResult:
        """The result of a create that failed: unsent or refused, or of unknown outcome."""
        if exc.maybe_applied:
            detail = f"the create may have landed ({exc.message}); {self._unknown_note()}"
            return result_of(item, Outcome.UNCERTAIN, detail)
        note = ""
        if self.noting:
            try:
                self.run.pending.forget(spec.connection, spec.name)
            except VoiceopsError as record:  # what the vendor said is still the outcome
                note = f"; {record}"
        return self._refused(item, exc, note)

    def _refused(self, item: SavedAssistant, exc: RequestFailed, note: str) -> AssistantResult:
        """A create that surely did not land: unsent, deferred or refused."""
        if isinstance(exc, Interrupted):
            return result_of(item, Outcome.INTERRUPTED, f"its create was not sent{note}")
        if exc.status == 429 and self.provider.creates_per_hour is not None:
            wait = exc.retry_after_s if isinstance(exc, StatusFailed) else None
            detail = f"{exc.message}; {self._over_limit(wait)}{note}"
            return result_of(item, Outcome.DEFERRED, detail)
        return result_of(item, Outcome.FAILED, failure_text(self.provider, exc) + note)

    def _unknown_note(self) -> str:
        if not self.noting:
            return "the next plan finds it by its name and adopts it instead of creating another"
        path = self.run.pending.path
        where = display_path(path) if path else "this run's memory"
        return (
            f"voiceops noted it in {where} and refuses this document until you check the "
            f"{self.provider.type.capitalize()} dashboard"
        )

    def _over_limit(self, wait_s: float | None) -> str:
        """The vendor's limit, and when the next create is possible: `wait_s` from now, or
        (None) within the hour, as the vendor did not say."""
        limit = (
            f"{self.provider.type.capitalize()} allows {self.provider.creates_per_hour} creates "
            "an hour, so it was not created"
        )
        if wait_s is None:
            return f"{limit}; the next create is possible within the hour: apply again then"
        at = datetime.now(UTC) + timedelta(seconds=max(wait_s, 0.0))
        minutes = max(1, math.ceil(wait_s / 60))
        return (
            f"{limit}; the next create is possible in about {minutes} min "
            f"(from {at:%H:%M} UTC): apply again then"
        )

    def _remember_write_only(self, spec: AssistantSpec, new_id: str) -> None:
        """The write-only fields the create carried count as applied to the new assistant."""
        desired = envref.resolve(spec.spec, self.run.options.env)
        for path in self.provider.write_only:
            if len(path) == 1 and path[0] in desired:
                key = path[0]
                self.run.write_only.remember(spec.connection, new_id, key, desired[key])

    def _write_back(self, spec: AssistantSpec, new_id: str) -> str | AssistantResult:
        """Write the id into the document: the detail to report, or the failure."""
        if not self.run.options.write_back:
            return f"id {new_id}; --sandbox runs never change {spec.source}"
        try:
            _write_id(spec, new_id, self.run.project.config.root)
        except VoiceopsError as exc:
            detail = (
                f"it has id {new_id} at the vendor, but the id could not be written into the "
                f'document ({exc}); add {dotted(spec.id_path)}: "{new_id}" to it by hand'
            )
            if self.noting:
                try:
                    self.run.pending.note(spec.connection, spec.name, spec.source, new_id=new_id)
                except VoiceopsError as record:  # the id must be told all the same
                    detail += f"; {record}"
            return AssistantResult(spec.name, spec.connection, new_id, Outcome.FAILED, detail)
        written = f"id {new_id} written into {spec.source}"
        if self.noting:
            try:
                self.run.pending.forget(spec.connection, spec.name)
            except VoiceopsError as exc:  # the create and the write-back worked all the same
                return f"{written}; {exc} (the next apply removes its note)"
        return written

    # ---- adopt --------------------------------------------------------------------

    def _adoptable(self, spec: AssistantSpec, live_id: str, live: dict[str, Any]) -> bool:
        """Whether voiceops itself would adopt this live assistant for `spec`: no document
        manages it and it has the spec's name (a plan file only has to agree)."""
        name = desired_name(self.provider, spec, self.run.options.env)
        return (
            bool(name)
            and self.provider.valid_id(live_id)
            and live_id not in self.managed
            and self.provider.display_name(live) == name
        )

    def _namesakes(self, spec: AssistantSpec, listing: Listing) -> list[str]:
        """The ids of the listed assistants no document manages that have the spec's name."""
        name = desired_name(self.provider, spec, self.run.options.env)
        return namesakes(self.provider, name, listing, self.managed)

    async def _adopt(
        self, item: SavedAssistant, spec: AssistantSpec, listing: Listing | None
    ) -> Sent:
        """Take over the live assistant the plan found: write its id back, then update it."""
        if not self.provider.lists:  # nothing to find a namesake in: voiceops creates
            detail = f"voiceops would now create it, not adopt it; {PLAN_AGAIN}"
            return Sent(result_of(item, Outcome.STALE, detail))
        adopted = replace(spec, id=item.id)
        live = await self.pipeline.read(self.provider, [(item, adopted)])
        if isinstance(live, AssistantResult):
            return Sent(live)
        raw = live[adopted.known_id]
        if raw is None:
            detail = f"the live assistant it would adopt (id {item.id}) is gone; {PLAN_AGAIN}"
            return Sent(result_of(item, Outcome.FAILED, detail))
        if not isinstance(raw, RequestFailed) and not self._adoptable(spec, adopted.known_id, raw):
            detail = f"id {item.id} is not an unmanaged namesake of it (any more); {PLAN_AGAIN}"
            return Sent(result_of(item, Outcome.STALE, detail))
        one = [self.provider.normalize_id(adopted.known_id)]
        if listing is not None and self._namesakes(spec, listing) != one:
            detail = f"id {item.id} is not its one unmanaged namesake (any more); {PLAN_AGAIN}"
            return Sent(result_of(item, Outcome.STALE, detail))
        planned = self.pipeline.known_plans.get(item.name)
        prepared = prepare(self.run, self.provider, item, adopted, raw, planned)
        if isinstance(prepared, AssistantResult) and prepared.outcome is not Outcome.UNCHANGED:
            return Sent(prepared)
        written = self._write_back(adopted, adopted.known_id)
        if isinstance(written, AssistantResult):
            return Sent(written)
        if isinstance(prepared, AssistantResult):  # nothing to update
            return Sent(result_of(item, Outcome.ADOPTED, written))
        async with self.turns:
            result = await send_update(self.run, self.provider, prepared)
        if result.outcome is not Outcome.APPLIED:
            return Sent(replace(result, detail=f"{written}; {result.detail}"))
        return Sent(result_of(item, Outcome.ADOPTED, written), adopted)


def _write_id(spec: AssistantSpec, new_id: str, root: Path) -> None:
    """The new id into the document: at the top level, or under the spec's environment."""
    if spec.environment is None:
        write_id(Path(spec.source), spec.doc, new_id, root=root)
    else:
        write_environment_id(Path(spec.source), spec.doc, spec.environment, new_id, root=root)

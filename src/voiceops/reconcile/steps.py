"""One assistant's apply, step by step: check it against live state, send, read back.

Nothing is sent that voiceops would not build itself from the spec and the live state: a
saved plan's request is only compared with the rebuilt one (`prepare`).
"""

from __future__ import annotations

from typing import Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import Interrupted, RequestFailed, StatusFailed, encode_json
from voiceops.live.providers.base import LiveState, Provider, UpdateRequest
from voiceops.live.session import connection_error
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.origins import OVERWRITES_DASHBOARD, applied_digests
from voiceops.reconcile.outcomes import (
    PLAN_AGAIN,
    AssistantResult,
    Outcome,
    Prepared,
    applied,
    deleted,
    not_converged,
    result_of,
    still_there,
)
from voiceops.reconcile.plan import AssistantPlan, SavedAssistant, Status, canonical_json
from voiceops.reconcile.planning import plan_in
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec, Ensure

# How often an update that may or may not have landed (timeout, 5xx) is re-checked and resent.
UNCERTAIN_ATTEMPTS = 3


def prepare(
    run: RunContext,
    provider: Provider,
    item: SavedAssistant,
    spec: AssistantSpec,
    live_raw: LiveState,
    planned: AssistantPlan | None = None,
) -> Prepared | AssistantResult:
    """Check one assistant against its live state and build its request (no sending).
    `planned`, when made from this very live state, is used instead of planning again."""
    deleting = spec.ensure is Ensure.ABSENT
    if live_raw is None and not deleting:
        return result_of(item, Outcome.FAILED, f"id {spec.known_id!r} no longer exists (404)")
    if planned is not None and planned.live_raw is live_raw:
        current = planned
    else:
        current = plan_in(run, provider, spec, live_raw)
    if current.error:
        return result_of(item, Outcome.FAILED, current.error)
    if current.request is None:  # nothing to send (an adopt may have nothing to update)
        if deleting:
            return result_of(item, Outcome.DELETED, "the vendor no longer has it")
        record_converged(run, provider, spec)
        return result_of(item, Outcome.UNCHANGED, "already matches git")
    stale = _stale(item, current)
    if stale is not None:
        return result_of(item, Outcome.STALE, f"{stale}; {PLAN_AGAIN}")
    edits = refused_edits(run, current)
    if edits:
        return result_of(item, Outcome.SKIPPED, edits)
    request = current.request
    try:
        if request.body is not None:
            encode_json(request.body)
    except RequestFailed as exc:
        return result_of(item, Outcome.FAILED, f"{spec.location()}: {exc.message}")
    # What is sent is the request rebuilt here, with secrets resolved from the environment;
    # the plan file only had to agree with it.
    return Prepared(item, spec, current.changes, request)


async def send_update(run: RunContext, provider: Provider, prepared: Prepared) -> AssistantResult:
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
            return result_of(item, Outcome.APPLIED)
        except Interrupted as exc:
            if exc.maybe_applied or attempt > 1:
                return result_of(item, Outcome.UNCERTAIN, INTERRUPTED_UNSURE)
            return result_of(item, Outcome.INTERRUPTED, "its update was not sent")
        except RequestFailed as exc:
            if not exc.maybe_applied or attempt == UNCERTAIN_ATTEMPTS:
                return result_of(item, Outcome.FAILED, failure_text(provider, exc))
            if not observable:
                # Nothing readable can tell whether it landed, and sending it again could
                # repeat a side effect: it is sent at most once per run.
                return result_of(item, Outcome.UNCERTAIN, f"{exc.message}; {WRITE_ONLY_UNSURE}")
        missing = await _still_missing(run, provider, item, prepared.spec)
        if missing is None:
            return result_of(item, Outcome.APPLIED)
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
        return result_of(item, Outcome.UNCERTAIN, INTERRUPTED_UNSURE)
    except VoiceopsError as read_exc:
        return result_of(item, Outcome.FAILED, str(read_exc))
    if live_raw is None:
        return result_of(item, Outcome.FAILED, f"id {spec.known_id!r} no longer exists (404)")
    retry = plan_in(run, provider, spec, live_raw)
    if retry.error:
        return result_of(item, Outcome.FAILED, retry.error)
    # An update lands whole or not at all, so when its readable fields are all in
    # place its write-only ones are too.
    if not any(not c.write_only for c in retry.changes) or retry.request is None:
        return None
    return retry.request.body


async def send_delete(run: RunContext, prepared: Prepared) -> AssistantResult:
    """Send a delete; the read-back confirms it. Sending it twice is harmless (the second
    answers 404), so the client may retry it. A 404 most likely means it is gone already,
    but a proxy may answer one too: the read-back tells."""
    item, request = prepared.item, prepared.request
    provider, client = await run.session.connect(prepared.spec.connection)
    try:
        await client.request(request.method, request.path, idempotent=True)
    except Interrupted as exc:
        if exc.maybe_applied:
            return result_of(item, Outcome.UNCERTAIN, "the delete may have landed; " + INTERRUPTED)
        return result_of(item, Outcome.INTERRUPTED, "its delete was not sent")
    except RequestFailed as exc:
        if exc.status == 404:
            return result_of(item, Outcome.APPLIED)
        return result_of(item, Outcome.FAILED, failure_text(provider, exc))
    return result_of(item, Outcome.APPLIED)


INTERRUPTED = "the run was interrupted before it was checked"
WRITE_ONLY_UNSURE = (
    "the update may have landed, but it changes only write-only fields, which no read can "
    "check; it was not sent again (the next apply sends it once more)"
)
INTERRUPTED_UNSURE = "the update may have landed; the run was interrupted before it was checked"


def refused_edits(run: RunContext, current: AssistantPlan) -> str:
    """Why the assistant is skipped: dashboard edits it would overwrite, which
    `safety.dashboard_edits: refuse` keeps (empty when it is not skipped)."""
    if run.project.config.dashboard_edits != "refuse" or run.overwrite_dashboard_edits:
        return ""
    fields = [c.field for c in current.changes if c.origin in OVERWRITES_DASHBOARD]
    if not fields:
        return ""
    return (
        f"{', '.join(fields)} were edited in the dashboard since the last apply, and "
        "safety.dashboard_edits is refuse; keep the edits with voiceops import, or "
        "overwrite them with apply --overwrite-dashboard-edits"
    )


def _origins(changes: Any) -> list[tuple[str, str | None, tuple[str, ...]]]:
    return sorted((c.field, c.origin, tuple(c.labels)) for c in changes)


def _stale(item: SavedAssistant, current: AssistantPlan) -> str | None:
    """Why the saved plan no longer says what voiceops would do now, if it does not."""
    if item.status is not Status.ADOPT and current.status is not item.status:
        return f"voiceops would now {current.status.value} it, not {item.status.value} it"
    # The plan's fingerprint, not the live state's: a failed read (RequestFailed) has none.
    if current.fingerprint != item.fingerprint:
        return "live state changed since the plan was made"
    if current.spec_digest != item.spec_digest:
        return "its spec changed since the plan was made"
    if sorted(c.field for c in current.changes) != sorted(c.field for c in item.changes):
        return "its changes now differ from the plan's (a secret rotated?)"
    # Plan files from before origins and labels carry none: nothing to compare.
    recorded = any(c.origin is not None for c in item.changes)
    if recorded and _origins(current.changes) != _origins(item.changes):
        return "the origins or risk labels of its changes differ from the plan's"
    request = current.request
    if request is None or not same_request(item, request, current.template):
        return (
            "the plan file's request is not the update voiceops builds from the spec and "
            "the live state (edited?)"
        )
    return None


def same_request(
    item: SavedAssistant, request: UpdateRequest, template: dict[str, Any] | None
) -> bool:
    """The saved request equals the rebuilt one: method, path and body (with its secret
    references), compared as canonical JSON so that `1` and `true` stay different."""
    saved = {"method": item.method, "path": item.path, "body": item.body}
    rebuilt = {"method": request.method, "path": request.path, "body": template}
    return canonical_json(saved) == canonical_json(rebuilt)


def failure_text(provider: Provider, exc: RequestFailed) -> str:
    """A failed request in one assistant's words; a 401 is told as the connection's."""
    if isinstance(exc, StatusFailed) and exc.status == 401:
        return connection_error(provider, exc).message
    return exc.message


async def read_back(
    run: RunContext, provider: Provider, specs: list[AssistantSpec]
) -> list[AssistantResult]:
    """Read every applied assistant again and name the fields that did not converge."""
    if not specs:
        return []
    if run.session.stop.is_set():
        return [applied(s, "not read back: the run was interrupted") for s in specs]
    try:
        ids = [s.known_id for s in specs]
        live = await run.session.read(provider.name, ids, whole_connection=provider.reads_by_list)
    except Interrupted:
        return [applied(s, "not read back: the run was interrupted") for s in specs]
    except VoiceopsError as exc:
        return [not_converged(s, f"read-back failed: {exc}") for s in specs]
    results = []
    for spec in specs:
        raw = live[spec.known_id]
        if spec.ensure is Ensure.ABSENT:
            if raw is None:
                run.write_only.forget(spec.connection, spec.known_id)
            results.append(deleted(spec) if raw is None else still_there(spec))
            continue
        if raw is None:
            results.append(not_converged(spec, "gone after the update (404)"))
            continue
        results.append(_converged(run, provider, spec, raw))
    return results


def _converged(
    run: RunContext, provider: Provider, spec: AssistantSpec, raw: dict[str, Any] | Any
) -> AssistantResult:
    """Whether one assistant read back as git says. When it did not, the write-only values
    sent with it are not recorded as applied: a vendor that kept nothing readable of the
    update may well have ignored them too."""
    after = plan_in(run, provider, spec, raw)
    left = [c.field for c in after.changes if not c.write_only]
    if after.error:
        return not_converged(spec, f"read-back failed: {after.error}")
    if left:
        run.write_only.withdraw(spec.connection, spec.known_id)
        detail = "the vendor did not keep: " + ", ".join(left) + provider.not_kept_hint()
        return not_converged(spec, detail)
    record_converged(run, provider, spec)
    return applied(spec)


def record_converged(run: RunContext, provider: Provider, spec: AssistantSpec) -> None:
    """Remember digests of the values the assistant now has, for telling later whose
    change a difference is (`origins`); secrets (sensitive or from the environment) aside."""
    desired = envref.resolve(spec.spec, run.options.env)
    secret = frozenset({*provider.sensitive, *(path for path, _ in spec.references)})
    digests = applied_digests(spec.connection, spec.known_id, desired, secret)
    run.write_only.remember_converged(spec.connection, spec.known_id, digests)

"""The plan stage: validated specs + live state -> `Plan`.

`plan_assistant` turns (spec, live state) into an `AssistantPlan` without any I/O, and
returns the secret values it handled; `make_plan` reads every connection and tells the
run's redactor about those secrets.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceops.errors import VoiceopsError
from voiceops.live.httpclient import RequestFailed
from voiceops.live.providers.base import LiveState, Provider
from voiceops.live.session import RunOptions, wrong_base_url
from voiceops.reconcile.changes import UNKNOWN_WRITE_ONLY, Change, ValuePath, diff, lookup
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.plan import AssistantPlan, Plan, Status, mass_update_warning
from voiceops.reconcile.redaction import Redactor, body_template, is_sensitive, scrub_plan
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.validation import Project

# Assistants planned between two turns of the event loop: planning a whole list at once
# would hold up the reads still under way on the other connections.
PLAN_SLICE = 20


@dataclass(frozen=True)
class PlanContext:
    """What planning one assistant needs besides its spec and live state."""

    provider: Provider
    env: Mapping[str, str]
    record: WriteOnlyRecord


@dataclass(frozen=True)
class Planned:
    """An assistant's plan and the secret values planning it handled: `secrets` from the
    environment, `observed` the sensitive values read from the vendor."""

    plan: AssistantPlan
    secrets: tuple[str, ...] = ()
    observed: tuple[Any, ...] = ()


def fingerprint(data: dict[str, Any]) -> str:
    """A digest of a JSON object: a live state as read, or a spec."""
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(canonical.encode()).hexdigest()


def group_by_connection(specs: list[AssistantSpec]) -> dict[str, list[AssistantSpec]]:
    groups: dict[str, list[AssistantSpec]] = {}
    for spec in specs:
        groups.setdefault(spec.connection, []).append(spec)
    return groups


async def plan_project(project: Project, options: RunOptions) -> tuple[Plan, Redactor]:
    """`make_plan` in a run of its own: the plan, scrubbed of every secret the run handled,
    and the redactor that knows them (for whatever is printed next)."""
    async with RunContext(project, options) as run:
        plan = await make_plan(run)
    return scrub_plan(plan, run.redactor), run.redactor


async def make_plan(run: RunContext, *, mass_update_allowed: bool = False) -> Plan:
    """Read every connection's live state once and compare each assistant with git. The
    plan warns of a mass update unless `mass_update_allowed` (apply --allow-mass-update)."""
    project = run.project
    groups = group_by_connection(project.specs)
    results = await asyncio.gather(*(_plan_connection(run, n, g) for n, g in groups.items()))
    by_name = {a.name: a for group in results for a in group}
    plan = Plan([by_name[s.name] for s in project.specs], managed=project.managed)
    config = project.config
    warning = mass_update_warning(
        len(plan.with_status(Status.UPDATE)),
        plan.managed,
        config.max_update_share,
        config.min_managed,
    )
    if warning and not mass_update_allowed:
        plan.warnings.append(warning)
    return plan


async def _plan_connection(
    run: RunContext, name: str, group: list[AssistantSpec]
) -> list[AssistantPlan]:
    try:
        provider, _ = await run.session.connect(name)
        if not provider.reads_by_list:
            return await _plan_as_reads_land(run, provider, group)
        live = await run.session.read(name, [s.known_id for s in group])
    except VoiceopsError as exc:
        return [error_plan(run, spec, str(exc)) for spec in group]
    except Exception as exc:  # a bug, confined to this connection
        return [error_plan(run, spec, internal_error(exc)) for spec in group]
    plans = []
    for n, spec in enumerate(group, 1):
        plans.append(guarded_plan(run, provider, spec, live[spec.known_id]))
        if n % PLAN_SLICE == 0:
            await asyncio.sleep(0)  # let the other connections' answers in meanwhile
    return plans


async def _plan_as_reads_land(
    run: RunContext, provider: Provider, group: list[AssistantSpec]
) -> list[AssistantPlan]:
    """One GET per assistant: each is planned as soon as its own answer is in, so planning
    overlaps the reads still on the wire. When no answer at all looks like the vendor's API,
    the connection (its base_url) is blamed, as for a read of the whole connection."""

    async def one(spec: AssistantSpec) -> tuple[AssistantPlan, LiveState]:
        try:
            live = await run.session.read(provider.name, [spec.known_id], whole_connection=False)
        except VoiceopsError as exc:
            return error_plan(run, spec, str(exc)), None
        return guarded_plan(run, provider, spec, live[spec.known_id]), live[spec.known_id]

    planned = await asyncio.gather(*(one(spec) for spec in group))
    blamed = wrong_base_url(provider, [live for _, live in planned])
    if blamed is not None:
        return [error_plan(run, spec, str(blamed)) for spec in group]
    return [plan for plan, _ in planned]


def plan_in(
    run: RunContext, provider: Provider, spec: AssistantSpec, live_raw: LiveState
) -> AssistantPlan:
    """`plan_assistant` within a run: the secrets it handled are added to the run's redactor."""
    context = PlanContext(provider, run.options.env, run.write_only)
    planned = plan_assistant(spec, live_raw, context)
    run.redactor.add(*planned.secrets)
    run.redactor.add(*planned.observed, observed=True)
    return planned.plan


def guarded_plan(
    run: RunContext, provider: Provider, spec: AssistantSpec, live_raw: LiveState
) -> AssistantPlan:
    """`plan_in`, with a failure that escaped it confined to this one assistant."""
    try:
        return plan_in(run, provider, spec, live_raw)
    except Exception as exc:  # a bug, but one assistant's bug must not end the run
        return error_plan(run, spec, internal_error(exc))


def internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it as a voiceops bug"


def error_plan(run: RunContext, spec: AssistantSpec, message: str) -> AssistantPlan:
    return error_plan_for(spec, run.project.config.connections[spec.connection].type, message)


def error_plan_for(spec: AssistantSpec, provider_type: str, message: str) -> AssistantPlan:
    plan = blank_plan(spec, provider_type)
    plan.error = message
    return plan


def blank_plan(spec: AssistantSpec, provider_type: str) -> AssistantPlan:
    return AssistantPlan(
        name=spec.name,
        connection=spec.connection,
        provider_type=provider_type,
        id=spec.known_id,
        source=str(spec.doc.location(("metadata", "name"))),
        spec_digest=fingerprint(spec.spec),
    )


def plan_assistant(spec: AssistantSpec, live_raw: LiveState, context: PlanContext) -> Planned:
    """Compare one spec with its live state and build the request that would converge it."""
    plan = blank_plan(spec, context.provider.type)
    unresolved = spec.reference_problems(context.env)
    if unresolved:
        plan.error = str(unresolved[0])
    elif live_raw is None:
        plan.error = (
            f"{spec.doc.location(('id',))}: assistant {spec.known_id!r} was not found on "
            f"connection {spec.connection!r} (404)"
        )
    elif isinstance(live_raw, RequestFailed):
        plan.error = (
            f"{spec.doc.location(('id',))}: reading assistant {spec.known_id!r} on connection "
            f"{spec.connection!r} failed: {live_raw.message}"
        )
    else:
        return _compare(plan, spec, live_raw, context)
    return Planned(plan)


def _compare(
    plan: AssistantPlan, spec: AssistantSpec, live_raw: dict[str, Any], context: PlanContext
) -> Planned:
    references = spec.references
    secrets = tuple(context.env[v] for _, v in references)
    observed: tuple[Any, ...] = ()
    try:
        live = context.provider.to_spec_shape(live_raw)
        observed = tuple(
            value
            for value in (lookup(live, path) for path in context.provider.sensitive)
            if isinstance(value, str | dict | list)
        )
        _fill(plan, spec, live_raw, live, references, context)
    except Exception as exc:  # a bug; the secrets found so far are returned all the same
        return Planned(
            error_plan_for(spec, context.provider.type, internal_error(exc)), secrets, observed
        )
    return Planned(plan, secrets, observed)


def _fill(
    plan: AssistantPlan,
    spec: AssistantSpec,
    live_raw: dict[str, Any],
    live: dict[str, Any],
    references: tuple[tuple[ValuePath, str], ...],
    context: PlanContext,
) -> None:
    """The plan's changes and, when there are any, the request that makes them."""
    provider = context.provider
    desired = envref.resolve(spec.spec, context.env)
    secret_paths = frozenset(path for path, _ in references)
    plan.fingerprint = fingerprint(live_raw)
    plan.live_raw = live_raw
    plan.changes = desired_changes(provider, spec, live, desired, secret_paths, context.record)
    if plan.changes:
        changed = list(dict.fromkeys(c.top for c in plan.changes))
        body = provider.build_body(live, desired, changed)
        plan.request = provider.update_request(spec.known_id, body)
        env_names: dict[ValuePath, list[str]] = {}
        for path, variable in references:
            env_names.setdefault(path, []).append(variable)
        template = body_template(body, desired, provider.sensitive, secret_paths, env_names)
        plan.template = provider.encode_body(template)


def desired_changes(
    provider: Provider,
    spec: AssistantSpec,
    live: dict[str, Any],
    desired: dict[str, Any],
    secret_paths: frozenset[ValuePath],
    record: WriteOnlyRecord,
) -> list[Change]:
    """Readable fields by comparison with live state; write-only ones by the applied-hash record."""
    write_only = {path[0] for path in provider.write_only if len(path) == 1}
    readable = {k: v for k, v in desired.items() if k not in write_only}
    changes = diff(live, readable, sensitive=provider.sensitive, secret_paths=secret_paths)
    for key, value in desired.items():
        if key in write_only and not record.matches(spec.connection, spec.known_id, key, value):
            sensitive = is_sensitive((key,), provider.sensitive, secret_paths)
            changes.append(Change((key,), UNKNOWN_WRITE_ONLY, value, sensitive, write_only=True))
    return changes

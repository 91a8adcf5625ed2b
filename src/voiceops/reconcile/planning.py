"""The plan stage: validated specs + live state -> `Plan`.

`make_plan` reads every connection (its list, where documents without an id need it) and
plans each assistant (`assistant_plan`, `lifecycle`), telling the run's redactor about the
secrets planning handled.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

from voiceops.errors import VoiceopsError
from voiceops.live.providers.base import LiveState, Provider
from voiceops.live.session import RunOptions, wrong_base_url
from voiceops.reconcile.assistant_plan import (
    PlanContext,
    Planned,
    error_plan_for,
    internal_error,
    plan_assistant,
)
from voiceops.reconcile.context import RunContext
from voiceops.reconcile.doctor import unknown_key_summary
from voiceops.reconcile.labels import field_labels, labelled
from voiceops.reconcile.lifecycle import (
    Listing,
    create_limit_warning,
    desired_name,
    listing_by_id,
    plan_newcomers,
    unmanaged_assistants,
)
from voiceops.reconcile.plan import (
    RISKY,
    Action,
    AssistantPlan,
    Plan,
    Unmanaged,
    mass_update_warning,
)
from voiceops.reconcile.redaction import Redactor, scrub_plan
from voiceops.spec.documents import AssistantSpec
from voiceops.spec.validation import Project

# Assistants planned between two turns of the event loop: planning a whole list at once
# would hold up the reads still under way on the other connections.
PLAN_SLICE = 20


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
    for name in reporting_connections(project):
        groups.setdefault(name, [])
    results = await asyncio.gather(*(_plan_connection(run, n, g) for n, g in groups.items()))
    by_name = {a.name: a for result in results for a in result.plans}
    plan = Plan(
        [by_name[s.name] for s in project.specs],
        managed=project.managed,
        warnings=[w for result in results for w in result.warnings],
        unmanaged=[u for result in results for u in result.unmanaged],
        environment=project.config.environment,
    )
    plan.warnings.extend(_nothing_to_delete(plan))
    config = project.config
    warning = mass_update_warning(
        sum(1 for a in plan.assistants if a.status in RISKY),
        plan.managed,
        config.max_update_share,
        config.min_managed,
    )
    if warning and not mass_update_allowed:
        plan.warnings.append(warning)
    return plan


def _nothing_to_delete(plan: Plan) -> list[str]:
    """A delete the vendor answers 404 to is converged, but a mistyped id would be, too:
    each is said, so that a review can tell the two apart."""
    return [
        f"{a.source}: the vendor knows no assistant {a.id!r} on connection {a.connection!r}, "
        "so there is nothing to delete; if it was never deleted, check the id, and otherwise "
        "remove the document"
        for a in plan.assistants
        if a.action is Action.DELETE and a.request is None and a.error is None
    ]


def reporting_connections(project: Project) -> list[str]:
    """The connections whose unmanaged assistants a plan lists (`report_unmanaged: true`)."""
    return [
        name
        for name, connection in project.config.connections.items()
        if connection.report_unmanaged
    ]


@dataclass
class ConnectionPlan:
    plans: list[AssistantPlan] = field(default_factory=list)
    unmanaged: list[Unmanaged] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


async def _plan_connection(
    run: RunContext, name: str, group: list[AssistantSpec]
) -> ConnectionPlan:
    try:
        provider, _ = await run.session.connect(name)
        listing = await _listing(run, provider, group)
        existing = [s for s in group if s.id is not None]
        plans = await _plan_existing(run, provider, existing, listing)
    except VoiceopsError as exc:
        return ConnectionPlan([error_plan(run, spec, str(exc)) for spec in group])
    except Exception as exc:  # a bug, confined to this connection
        return ConnectionPlan([error_plan(run, spec, internal_error(exc)) for spec in group])
    newcomers = [s for s in group if s.id is None]
    reports = listing is not None and connection_reports_unmanaged(run.project, name)
    result = ConnectionPlan(plans, warnings=unknown_keys_warning(provider, plans))
    if not (newcomers or reports):  # the walks over every document below are not needed
        return result
    context = PlanContext(provider, run.options.env, run.write_only)
    managed = managed_ids(run.project, name)
    claims = name_claims(run, provider)
    for planned in plan_newcomers(newcomers, context, listing, managed, run.pending, claims):
        plans.append(absorb(run, planned))
    if listing is not None and reports:
        awaited = frozenset(claims)
        result.unmanaged = unmanaged_assistants(provider, listing, managed, plans, awaited)
    warning = create_limit_warning(provider, plans)
    result.warnings += [warning] if warning else []
    return result


def unknown_keys_warning(provider: Provider, plans: list[AssistantPlan]) -> list[str]:
    """One line when the live assistants read carry keys the schema does not know."""
    summary = unknown_key_summary(provider, [p.unknown_keys for p in plans])
    return [summary] if summary else []


def name_claims(run: RunContext, provider: Provider) -> dict[str, AssistantSpec]:
    """The names documents without an id give on the connection (--target or not), each
    with the first document to give it: a live assistant of such a name is theirs to adopt,
    not one to import, and a later document of the same name is refused."""
    claims: dict[str, AssistantSpec] = {}
    for spec in run.project.every_spec:
        if spec.connection != provider.name or spec.id is not None:
            continue
        if not spec.reference_problems(run.options.env):
            name = desired_name(provider, spec, run.options.env)
            if name:
                claims.setdefault(name, spec)
    return claims


def connection_reports_unmanaged(project: Project, name: str) -> bool:
    return project.config.connections[name].report_unmanaged


def managed_ids(project: Project, connection: str) -> frozenset[str]:
    """The ids documents manage on `connection`'s account, in any environment and through
    any connection (--target or not): never adopted, and never a created id."""
    return project.managed_ids(connection)


async def _listing(
    run: RunContext, provider: Provider, group: list[AssistantSpec]
) -> Listing | None:
    """Every live assistant of the connection, when the vendor lists them and the plan needs
    them: documents without an id (adopt or create), or `report_unmanaged`."""
    needed = any(s.id is None for s in group) or connection_reports_unmanaged(
        run.project, provider.name
    )
    if not provider.lists or not needed:
        return None
    listing = listing_by_id(provider, await run.session.list_all(provider.name))
    run.listed[provider.name] = frozenset(listing)
    return listing


async def _plan_existing(
    run: RunContext, provider: Provider, group: list[AssistantSpec], listing: Listing | None
) -> list[AssistantPlan]:
    """Plans of the documents with an id, from the listing when there is one."""
    if not group:
        return []
    if listing is None and not provider.reads_by_list:
        return await _plan_as_reads_land(run, provider, group)
    if listing is not None:
        live: dict[str, LiveState] = {s.known_id: listing.get(s.known_id) for s in group}
    else:
        live = await run.session.read(provider.name, [s.known_id for s in group])
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
    return absorb(run, plan_assistant(spec, live_raw, context))


def absorb(run: RunContext, planned: Planned) -> AssistantPlan:
    """The plan, once the run's redactor knows the secrets planning it handled, with the
    risk labels of its changes."""
    run.redactor.add(*planned.secrets)
    run.redactor.add(*planned.observed, observed=True)
    plan = planned.plan
    if plan.changes:
        vendor = plan.provider_type
        if vendor not in run.labels:  # once per run and vendor: every assistant asks
            run.labels[vendor] = field_labels(run.project, vendor)
        plan.changes = labelled(plan.changes, run.labels[vendor])
    return plan


def guarded_plan(
    run: RunContext, provider: Provider, spec: AssistantSpec, live_raw: LiveState
) -> AssistantPlan:
    """`plan_in`, with a failure that escaped it confined to this one assistant."""
    try:
        return plan_in(run, provider, spec, live_raw)
    except Exception as exc:  # a bug, but one assistant's bug must not end the run
        return error_plan(run, spec, internal_error(exc))


def error_plan(run: RunContext, spec: AssistantSpec, message: str) -> AssistantPlan:
    return error_plan_for(spec, run.project.config.connections[spec.connection].type, message)

"""Planning one assistant: its spec and live state in, an `AssistantPlan` out, no I/O.

An assistant with an id and `ensure: present` is compared with its live state (an update);
`ensure: absent` plans its delete; one without an id plans its create, or, when the vendor
lists an unmanaged assistant of the same name, its adoption (an update of that assistant).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from voiceops.live.httpclient import RequestFailed
from voiceops.live.providers.base import LiveState, Provider
from voiceops.reconcile.changes import UNKNOWN_WRITE_ONLY, Change, ValuePath, diff, lookup
from voiceops.reconcile.origins import Origin, origin_of
from voiceops.reconcile.plan import Action, AssistantPlan
from voiceops.reconcile.redaction import body_template, is_sensitive
from voiceops.reconcile.writeonly import WriteOnlyRecord
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec, Ensure


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


def internal_error(exc: Exception) -> str:
    return f"internal error ({type(exc).__name__}: {exc}); please report it as a voiceops bug"


def error_plan_for(spec: AssistantSpec, provider_type: str, message: str) -> AssistantPlan:
    plan = blank_plan(spec, provider_type)
    plan.error = message
    return plan


def blank_plan(spec: AssistantSpec, provider_type: str) -> AssistantPlan:
    return AssistantPlan(
        name=spec.name,
        connection=spec.connection,
        provider_type=provider_type,
        id=spec.id,
        source=str(spec.doc.location(("metadata", "name"))),
        spec_data=spec.spec,
    )


def plan_assistant(spec: AssistantSpec, live_raw: LiveState, context: PlanContext) -> Planned:
    """Compare one spec (with an id) with its live state and build the request that would
    converge it: an update, or with `ensure: absent` a delete."""
    plan = blank_plan(spec, context.provider.type)
    if spec.ensure is Ensure.ABSENT:
        plan.action = Action.DELETE
    unresolved = spec.reference_problems(context.env) if plan.action is Action.UPDATE else []
    if unresolved:
        plan.error = str(unresolved[0])
    elif live_raw is None and plan.action is Action.DELETE:
        pass  # the vendor no longer knows it: converged
    elif live_raw is None:
        plan.error = (
            f"{spec.position(('id',))}: assistant {spec.known_id!r} was not found on "
            f"connection {spec.connection!r} (404)"
        )
    elif isinstance(live_raw, RequestFailed):
        plan.error = (
            f"{spec.position(('id',))}: reading assistant {spec.known_id!r} on connection "
            f"{spec.connection!r} failed: {live_raw.message}"
        )
    elif context.provider.gone(live_raw):
        if plan.action is not Action.DELETE:  # deleted already: a tombstone has converged
            plan.error = soft_deleted(spec, context.provider)
    elif plan.action is Action.DELETE:
        plan.live_raw = live_raw
        plan.request = context.provider.delete_request(spec.known_id)
    else:
        return _compare(plan, spec, live_raw, context)
    return Planned(plan)


def soft_deleted(spec: AssistantSpec, provider: Provider) -> str:
    """Why an assistant its vendor marks deleted is not updated, and what to do instead."""
    return (
        f"{spec.position(('id',))}: {provider.type.capitalize()} marks assistant "
        f"{spec.known_id!r} as deleted, so voiceops never updates it; remove this document, "
        f"or point it at another assistant (voiceops import --provider {spec.connection} "
        "--id <id>)"
    )


def plan_adopt(
    spec: AssistantSpec, adopted_id: str, live_raw: dict[str, Any], context: PlanContext
) -> Planned:
    """The plan of a document without an id that takes over the live assistant `adopted_id`:
    its id is written back, then it is updated as if the document had named it."""
    planned = plan_assistant(dataclasses.replace(spec, id=adopted_id), live_raw, context)
    planned.plan.action = Action.ADOPT
    return planned


def plan_create(spec: AssistantSpec, context: PlanContext) -> Planned:
    """The plan of a document without an id: one create request holding the whole spec."""
    provider = context.provider
    plan = blank_plan(spec, provider.type)
    plan.action = Action.CREATE
    unresolved = spec.reference_problems(context.env)
    if unresolved:
        plan.error = str(unresolved[0])
        return Planned(plan)
    references = spec.references
    desired = envref.resolve(spec.spec, context.env)
    secret_paths = frozenset(path for path, _ in references)
    write_only = {path[0] for path in provider.write_only if len(path) == 1}
    plan.changes = [
        dataclasses.replace(c, write_only=c.top in write_only, origin=Origin.GIT)
        for c in diff({}, desired, sensitive=provider.sensitive, secret_paths=secret_paths)
    ]
    plan.request = provider.create_request(desired)
    plan.template = provider.encode_body(
        body_template(desired, desired, provider.sensitive, secret_paths, _env_names(references))
    )
    return Planned(plan, tuple(context.env[v] for _, v in references))


def _env_names(references: tuple[tuple[ValuePath, str], ...]) -> dict[ValuePath, list[str]]:
    env_names: dict[ValuePath, list[str]] = {}
    for path, variable in references:
        env_names.setdefault(path, []).append(variable)
    return env_names


def _compare(
    plan: AssistantPlan, spec: AssistantSpec, live_raw: dict[str, Any], context: PlanContext
) -> Planned:
    references = spec.references
    secrets = tuple(context.env[v] for _, v in references)
    observed: tuple[Any, ...] = ()
    try:
        live = context.provider.to_spec_shape(live_raw)
        unknown = context.provider.unknown_paths(live)
        observed = tuple(
            value
            for value in (lookup(live, path) for path in (*context.provider.sensitive, *unknown))
            if isinstance(value, str | dict | list)
        )
        plan.unknown_keys = unknown
        _fill(plan, spec, live_raw, live, references, context, unknown)
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
    unknown: frozenset[ValuePath] = frozenset(),
) -> None:
    """The plan's changes and, when there are any, the request that makes them. Values under
    keys the schema does not know (`unknown`) go into the plan file as references to live
    state, like secrets: nothing says they are not."""
    provider = context.provider
    desired = envref.resolve(spec.spec, context.env)
    secret_paths = frozenset(path for path, _ in references)
    plan.live_raw = live_raw
    conflict = provider.conflict_with_live(live, desired)
    if conflict is not None:
        field_name, reason = conflict
        plan.error = f"{spec.position(('spec', field_name))}: {reason}"
        return
    changes = desired_changes(provider, spec, live, desired, secret_paths, context.record)
    plan.changes = with_origins(changes, spec, context.record)
    frozen = [c for c in plan.changes if _under_any(c.path, provider.create_only)]
    if frozen:
        plan.error = create_only_changed(spec, provider, frozen)
    elif plan.changes:
        changed = list(dict.fromkeys(c.top for c in plan.changes))
        body = provider.build_body(live, desired, changed)
        plan.request = provider.update_request(spec.known_id, body)
        template = body_template(
            body, desired, provider.sensitive, secret_paths | unknown, _env_names(references)
        )
        plan.template = provider.encode_body(template)


def with_origins(
    changes: list[Change], spec: AssistantSpec, record: WriteOnlyRecord
) -> list[Change]:
    """`changes`, each with whose change it is (git, dashboard, both, or unknown)."""
    recorded = record.last_applied_to(spec.connection, spec.known_id)
    return [
        dataclasses.replace(c, origin=origin_of(c, recorded, spec.connection, spec.known_id))
        for c in changes
    ]


def create_only_changed(spec: AssistantSpec, provider: Provider, changes: list[Change]) -> str:
    """Why a difference in fields the vendor no longer takes in an update stops the update."""
    vendor = provider.type.capitalize()
    fields = ", ".join(c.field for c in changes)
    one = len(changes) == 1
    return (
        f"{spec.position(('spec', *changes[0].path))}: {fields} "
        f"{'differs' if one else 'differ'} from live, and {vendor}'s update no longer takes "
        f"{'it' if one else 'them'} (set on create only); change "
        f"{'it' if one else 'them'} in the {vendor} dashboard, or write the live "
        f"{'value' if one else 'values'} in the spec"
    )


def _under_any(path: ValuePath, fields: frozenset[tuple[str, ...]]) -> bool:
    return any(path[: len(f)] == f for f in fields)


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

"""Planning documents without an id, on one connection: create, or adopt what is there.

Never two of the same: where the vendor lists its assistants, a live assistant with the
document's name that no document manages is adopted rather than created again (it may be
the result of an earlier create whose id never reached git). Where the vendor lists none,
a create whose outcome is unknown is in the pending-creates record, and the document is
refused until someone checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from voiceops.live.providers.base import Provider
from voiceops.paths import dotted
from voiceops.reconcile.assistant_plan import (
    PlanContext,
    Planned,
    error_plan_for,
    plan_adopt,
    plan_create,
)
from voiceops.reconcile.pending import PendingCreates
from voiceops.reconcile.plan import AssistantPlan, Status, Unmanaged
from voiceops.spec import envref
from voiceops.spec.documents import AssistantSpec

# A connection's live assistants by id (normalised), as its list gives them.
Listing = Mapping[str, dict[str, Any]]


def listing_by_id(provider: Provider, items: Iterable[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {provider.normalize_id(str(provider.live_id(item))): item for item in items}


def plan_newcomers(
    specs: list[AssistantSpec],
    context: PlanContext,
    listing: Listing | None,
    managed: frozenset[str],
    pending: PendingCreates,
    claims: Mapping[str, AssistantSpec],
) -> list[Planned]:
    """Create or adopt plans for `specs` (all without an id). `listing` is None where the
    vendor lists no assistants; `managed` are the ids documents already name; `claims` the
    first document without an id to give each name, in repository order (--target or not)."""
    provider = context.provider
    plans: list[Planned] = []
    for spec in specs:
        problems = spec.reference_problems(context.env)
        name = "" if problems else desired_name(provider, spec, context.env)
        twin = claims.get(name, spec) if name and listing is not None else spec
        # A create whose outcome voiceops could not trust: refused until someone checks.
        entry = pending.get(spec.connection, spec.name)
        if twin.name != spec.name:
            plans.append(_refused(spec, provider, _twin_message(spec, twin, name)))
        elif entry is not None:
            vendor = provider.type.capitalize()
            refusal = pending.refusal(entry, vendor, dotted(spec.id_path))
            plans.append(_refused(spec, provider, refusal))
        elif listing is None:
            plans.append(plan_create(spec, context))
        else:
            plans.append(_create_or_adopt(spec, name, context, listing, managed))
    return plans


def desired_name(provider: Provider, spec: AssistantSpec, env: Mapping[str, str]) -> str:
    """The name the assistant will have at the vendor, from the spec ("" without one)."""
    key = provider.read_names.get(provider.name_field, provider.name_field)
    value = envref.resolve(spec.spec.get(key), env)
    return value if isinstance(value, str) else ""


def _create_or_adopt(
    spec: AssistantSpec,
    name: str,
    context: PlanContext,
    listing: Listing,
    managed: frozenset[str],
) -> Planned:
    provider = context.provider
    candidates = namesakes(provider, name, listing, managed)
    if not candidates:
        return plan_create(spec, context)
    odd = [live_id for live_id in candidates if not provider.valid_id(live_id)]
    if odd:
        # Its id could not go into the document; creating another would make a namesake.
        return _refused(
            spec,
            provider,
            f"{spec.doc.location(('metadata', 'name'))}: a live assistant on connection "
            f"{spec.connection!r} is named {name!r}, but the vendor gives it the id "
            f"{odd[0][:60]!r}, unlike {provider.type} ids; voiceops neither adopts it nor "
            "creates a second one: give one of the two another name",
        )
    if len(candidates) == 1:
        return plan_adopt(spec, candidates[0], listing[candidates[0]], context)
    return _refused(
        spec,
        provider,
        f"{spec.doc.location(('metadata', 'name'))}: {len(candidates)} live assistants on "
        f"connection {spec.connection!r} are named {name!r} and no document manages them "
        f"(ids {', '.join(candidates)}); write the id of the one to manage into this document",
    )


def namesakes(
    provider: Provider, name: str, listing: Listing, managed: frozenset[str]
) -> list[str]:
    """The ids of the listed assistants named `name` that no document manages."""
    return sorted(
        live_id
        for live_id, item in listing.items()
        if name and live_id not in managed and provider.display_name(item) == name
    )


def _twin_message(spec: AssistantSpec, twin: AssistantSpec, name: str) -> str:
    return (
        f"{spec.doc.location(('metadata', 'name'))}: {twin.name!r} "
        f"({twin.doc.location(('metadata', 'name'))}) would also create an assistant named "
        f"{name!r} on connection {spec.connection!r}; voiceops could not tell the two apart "
        "when adopting, so give one of them another name"
    )


def _refused(spec: AssistantSpec, provider: Provider, message: str) -> Planned:
    return Planned(error_plan_for(spec, provider.type, message))


def unmanaged_assistants(
    provider: Provider,
    listing: Listing,
    managed: frozenset[str],
    plans: list[AssistantPlan],
    awaited: frozenset[str] = frozenset(),
) -> list[Unmanaged]:
    """The live assistants no document manages, nor adopts in this plan, nor would adopt
    (`awaited`: the names of documents without an id, also those --target leaves out)."""
    adopted = {p.id for p in plans if p.status is Status.ADOPT}
    return [
        Unmanaged(provider.name, provider.type, live_id, provider.display_name(item))
        for live_id, item in sorted(listing.items())
        if live_id not in managed
        and live_id not in adopted
        and provider.display_name(item) not in awaited
    ]


def create_limit_warning(provider: Provider, plans: list[AssistantPlan]) -> str | None:
    """Plan's warning when it would create more assistants than the vendor allows an hour."""
    limit = provider.creates_per_hour
    creates = sum(1 for p in plans if p.status is Status.CREATE)
    if limit is None or creates <= limit:
        return None
    return (
        f"connection {provider.name!r} would create {creates} assistants, but "
        f"{provider.type.capitalize()} allows {limit} creates an hour; apply creates {limit} "
        "and reports the rest as deferred, for a later apply"
    )

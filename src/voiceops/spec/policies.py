"""Organisation policies: named rules in voiceops.yaml that documents must follow.

Each policy selects documents (by vendor type, connection, environment and
`metadata.labels`) and gives a JSON Schema their effective spec must satisfy. They are
checked offline, in every environment, like any other input error.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from voiceops.errors import Diagnostic, Severity
from voiceops.spec.schemas import CompiledSchema
from voiceops.spec.yamlsource import Positions

if TYPE_CHECKING:  # documents reads the config, which reads the policies
    from voiceops.spec.documents import AssistantSpec

# A failing value may be a whole prompt: a finding quotes at most this much of it.
LONGEST_DETAIL = 300


@dataclass(frozen=True)
class Policy:
    name: str
    description: str
    schema: CompiledSchema = field(compare=False)
    vendors: tuple[str, ...] = ()
    connections: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    labels: tuple[tuple[str, str], ...] = ()

    def selects(self, spec: AssistantSpec, vendor: str) -> bool:
        """Whether `spec` (of a connection of type `vendor`) falls under this policy; an
        empty list selects everything."""
        return (
            (not self.vendors or vendor in self.vendors)
            and (not self.connections or spec.connection in self.connections)
            and (not self.environments or spec.environment in self.environments)
            and all(spec.labels.get(k) == v for k, v in self.labels)
        )


def read_policies(data: Any, doc: Positions) -> tuple[tuple[Policy, ...], list[Diagnostic]]:
    """The policies of voiceops.yaml's `policies:` (its shape is checked by the config
    schema), and a problem for each whose schema is not a valid JSON Schema."""
    policies, problems = [], []
    for n, item in enumerate(data if isinstance(data, list) else []):
        if not isinstance(item, dict) or not isinstance(item.get("schema"), dict):
            continue
        try:
            schema = CompiledSchema(item["schema"])
        except Exception as exc:  # jsonschema-rs says why in its own exception types
            message = f"policy {item.get('name')!r}: schema is not a valid JSON Schema ({exc})"
            problems.append(Diagnostic(message, doc.location(("policies", n, "schema"))))
            continue
        select = item.get("select") or {}
        policies.append(
            Policy(
                str(item.get("name", "")),
                str(item.get("description", "")),
                schema,
                tuple(select.get("vendors", ())),
                tuple(select.get("connections", ())),
                tuple(select.get("environments", ())),
                tuple(sorted((select.get("labels") or {}).items())),
            )
        )
    return tuple(policies), problems


def policy_problems(
    policies: tuple[Policy, ...],
    specs: list[AssistantSpec],
    vendor_of: dict[str, str],
    severity: Severity = Severity.ERROR,
) -> list[Diagnostic]:
    """Each way a selected document breaks a policy, at the place in the document at fault,
    with the policy's name and description. `vendor_of` maps connections to vendor types."""
    found = []
    for spec in specs:
        vendor = vendor_of.get(spec.connection, "")
        for policy in policies:
            if not policy.selects(spec, vendor):
                continue
            for error in policy.schema.iter_errors(spec.spec):
                where = spec.position(("spec", *error.absolute_path))
                found.append(Diagnostic(_message(policy, spec, error.message), where, severity))
    return found


def _message(policy: Policy, spec: AssistantSpec, detail: str) -> str:
    # Which environment it is in, validate adds to every finding, as to the schemas' own.
    if len(detail) > LONGEST_DETAIL:
        detail = detail[: LONGEST_DETAIL - 3] + "..."
    return f"{spec.name} breaks policy {policy.name!r} ({policy.description}): {detail}"

"""What the offline side knows of each vendor, read from the vendor schemas.

A vendor schema is a `schemas/<type>.schema.json` whose root carries `x-voiceops-vendor`:
its value is the vendor's place in lists shown to users. The schema also holds the
vendor's other facts, so that the adapters and the offline checks share one copy:

- `$defs/id` carries `x-voiceops-id-form`, the canonical form of an id (`ID_FORMS`);
- `$defs/connection/properties/base_url` has the production URL as its `default`;
- the connection's `*_env` properties name the environment variables holding credentials;
- the lifecycle: `$defs/create` holds what a new assistant's spec must carry, and its
  presence says the vendor documents a create; a root `x-voiceops-deletes: true` says it
  documents a delete, else `x-voiceops-instead-of-delete` says what to do instead; a
  `report_unmanaged` property in `$defs/connection` says it documents a list of assistants.
Without these markers a vendor neither creates, deletes nor lists.

A vendor whose API takes more than one field set (Autocalls) lets a connection choose one
with its `fields` setting: the vendor schema describes the default set, and each other
set `<set>` has its own spec schema, `<type>-<set>.schema.json`, with its own `$defs/create`.
Its properties carry `x-voiceops-counterpart`, the default set's name for the same setting.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from voiceops.spec.schemas import SchemaStore

if TYPE_CHECKING:
    from voiceops.spec.config import Connection

VENDOR = "x-voiceops-vendor"
ID_FORM = "x-voiceops-id-form"
CREDENTIAL_SUFFIX = "_env"
DELETES = "x-voiceops-deletes"
INSTEAD_OF_DELETE = "x-voiceops-instead-of-delete"
# The subschema a spec without id is checked against as well as the vendor's schema.
CREATE_SCHEMA = "/$defs/create"
REPORT_UNMANAGED = "report_unmanaged"
# The connection setting that picks a field set, the set a vendor schema describes, and
# the annotation naming a field's counterpart in that set.
FIELD_SET = "fields"
DEFAULT_FIELD_SET = "current"
COUNTERPART = "x-voiceops-counterpart"

_UUID = re.compile(r"^[0-9a-fA-F]{8}-([0-9a-fA-F]{4}-){3}[0-9a-fA-F]{12}$")


def _uuid_lowercase(assistant_id: str) -> str:
    """UUIDs are case-insensitive: lower case. Other ids are kept as they are."""
    return assistant_id.lower() if _UUID.match(assistant_id) else assistant_id


def _integer(assistant_id: str) -> str:
    """Integer ids: 0127 and 127 are one assistant."""
    if assistant_id.isascii() and assistant_id.isdigit():
        return str(int(assistant_id))
    return assistant_id


ID_FORMS: dict[str, Callable[[str], str]] = {
    "as-is": lambda assistant_id: assistant_id,
    "lowercase": str.lower,
    "uuid-lowercase": _uuid_lowercase,
    "integer": _integer,
}


def vendor_types(schemas: SchemaStore) -> tuple[str, ...]:
    """The vendors the schema store describes, in the order they are listed to users."""
    ranked = []
    for name in schemas.names:
        rank = schemas.document(name).get(VENDOR)
        if isinstance(rank, int) and not isinstance(rank, bool):
            ranked.append((rank, name))
    return tuple(name for _, name in sorted(ranked))


def id_normalizer(schemas: SchemaStore, vendor: str) -> Callable[[str], str]:
    form = schemas.document(vendor)["$defs"]["id"].get(ID_FORM, "as-is")
    return ID_FORMS[form]


def normalize_id(schemas: SchemaStore, vendor: str, assistant_id: str) -> str:
    """The canonical form of an id, so that two spellings of one assistant compare equal
    (the schema has already restricted its form)."""
    return id_normalizer(schemas, vendor)(assistant_id)


def _connection_properties(schemas: SchemaStore, vendor: str) -> dict[str, Any]:
    properties: dict[str, Any] = schemas.document(vendor)["$defs"]["connection"]["properties"]
    return properties


def default_base_url(schemas: SchemaStore, vendor: str) -> str:
    """The vendor's production URL: the default of the connection's base_url."""
    return str(_connection_properties(schemas, vendor)["base_url"]["default"])


def credential_settings(schemas: SchemaStore, vendor: str) -> tuple[str, ...]:
    """Connection settings that name environment variables holding credentials."""
    return tuple(
        k for k in _connection_properties(schemas, vendor) if k.endswith(CREDENTIAL_SUFFIX)
    )


# ---- lifecycle ---------------------------------------------------------------------------


def creates(schemas: SchemaStore, vendor: str) -> bool:
    """Whether the vendor documents an endpoint that creates assistants."""
    return "create" in schemas.document(vendor).get("$defs", {})


def deletes(schemas: SchemaStore, vendor: str) -> bool:
    """Whether the vendor documents an endpoint that deletes assistants."""
    return schemas.document(vendor).get(DELETES) is True


def lists(schemas: SchemaStore, vendor: str) -> bool:
    """Whether the vendor documents a list of assistants (its connections may then
    ask for `report_unmanaged`)."""
    return REPORT_UNMANAGED in _connection_properties(schemas, vendor)


def dashboard(vendor: str) -> str:
    return f"the {vendor.capitalize()} dashboard"


def delete_alternative(schemas: SchemaStore, vendor: str) -> str:
    """What to do instead of `ensure: absent` on a vendor without a delete, as a clause."""
    instead = schemas.document(vendor).get(INSTEAD_OF_DELETE)
    if isinstance(instead, str) and instead:
        return instead
    return (
        f"delete it in {dashboard(vendor)} and remove the document "
        "(removing a document stops managing it)"
    )


def cannot_create(vendor: str, connection: str) -> str:
    """Why a document without id cannot be on a vendor without a create, and the way in."""
    return (
        f"{vendor} documents no endpoint that creates assistants, so this document needs an "
        f"id: create the assistant in {dashboard(vendor)}, then take it over with "
        f"voiceops import --provider {connection} --id <its id>"
    )


def cannot_delete(schemas: SchemaStore, vendor: str) -> str:
    """Why `ensure: absent` cannot be on a vendor without a delete, and the alternative."""
    return (
        f"{vendor} documents no endpoint that deletes assistants; "
        f"{delete_alternative(schemas, vendor)}"
    )


def cannot_list(vendor: str) -> str:
    """Why `report_unmanaged` cannot be on a vendor without a list of assistants."""
    return (
        f"{vendor} documents no list of assistants, so voiceops cannot find unmanaged ones; "
        f"remove {REPORT_UNMANAGED}"
    )


def required_on_create(vendor: str) -> str:
    """Said of spec fields a create requires: `spec is missing the required field x, …`."""
    return (
        f"which {vendor} requires to create an assistant "
        "(this document has no id, so apply creates one)"
    )


# ---- field sets ------------------------------------------------------------------------


def spec_schema(connection: Connection) -> str:
    """Name of the schema a connection's specs follow: its vendor's, or the one of the field
    set the connection chose with `fields`. Create requirements and the sensitive and
    write-only fields are looked up there too."""
    chosen = connection.setting(FIELD_SET, DEFAULT_FIELD_SET)
    return connection.type if chosen == DEFAULT_FIELD_SET else f"{connection.type}-{chosen}"


def _field_set(vendor: str, schema: str) -> str:
    return schema.removeprefix(f"{vendor}-") if schema != vendor else DEFAULT_FIELD_SET


def _counterparts(schemas: SchemaStore, schema: str) -> dict[str, str]:
    """A non-default set's field -> the default set's name for it."""
    properties: dict[str, Any] = schemas.document(schema).get("properties", {})
    return {k: v[COUNTERPART] for k, v in properties.items() if COUNTERPART in v}


def other_set_field(schemas: SchemaStore, connection: Connection, key: str) -> str | None:
    """Why `key`, unknown in the connection's field set, is wrong there when another set of
    its vendor has it: the name to write instead, or the setting to change; else None."""
    own = spec_schema(connection)
    vendor = connection.type
    for other in (n for n in schemas.names if n == vendor or n.startswith(f"{vendor}-")):
        if other == own or key not in schemas.property_names(other):
            continue
        other_set, own_set = _field_set(vendor, other), _field_set(vendor, own)
        setting = f"set {FIELD_SET}: {other_set} on connection {connection.name!r}"
        renamed = _counterparts(schemas, other).get(key)
        if renamed is None:
            renamed = next((k for k, v in _counterparts(schemas, own).items() if v == key), None)
        if renamed is not None:
            return (
                f"{key!r} is the {other_set} name of {renamed!r}; write {renamed!r}, or {setting}"
            )
        return (
            f"{key!r} belongs to the {other_set} field set, and connection {connection.name!r} "
            f"speaks the {own_set} one; remove it, or {setting}"
        )
    return None

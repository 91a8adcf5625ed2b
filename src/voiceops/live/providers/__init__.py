"""The vendor adapters. Adding a vendor adds one module and one line to `ADAPTER_CLASSES`."""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from voiceops.live.credentials import Credentials, resolve_credentials
from voiceops.live.providers.base import Provider
from voiceops.spec.config import Connection
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.vendors import credential_settings

# One line per vendor: "<module in this package>.<adapter class>".
ADAPTER_CLASSES = (
    "interactly.Interactly",
    "edmo.Edmo",
    "invent.Invent",
    "autocalls.Autocalls",
)


def _adapter(entry: str) -> type[Provider]:
    module, _, name = entry.rpartition(".")
    adapter: type[Provider] = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    return adapter


ADAPTERS: dict[str, type[Provider]] = {a.type: a for a in map(_adapter, ADAPTER_CLASSES)}
PROVIDER_TYPES: tuple[str, ...] = tuple(ADAPTERS)


def credentials_for(
    connection: Connection, schemas: SchemaStore, env: Mapping[str, str]
) -> Credentials:
    """What `connection`'s `*_env` settings name in `env`, and why any of it is unusable."""
    header_settings = ADAPTERS[connection.type].header_credentials
    settings = credential_settings(schemas, connection.type)
    return resolve_credentials(connection, settings, header_settings, env)


def build_adapter(connection: Connection, schemas: SchemaStore, env: Mapping[str, str]) -> Provider:
    """The adapter of `connection`, handed the credentials its settings name in `env`."""
    credentials = credentials_for(connection, schemas, env)
    return ADAPTERS[connection.type](connection, schemas, credentials)

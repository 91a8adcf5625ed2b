"""Accounts: which connections reach the same assistants, and who manages each of them.

Two connections are one account when, after the environments' overlays, they have the same
vendor, base URL, organisation (where the vendor has one) and credential variables. Every
document names its id per environment, so one account's managed ids are gathered from every
document in every environment: one assistant is managed once, and adopt and create on one
connection respect what a document manages through another connection or environment.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from voiceops.errors import Diagnostic, Location
from voiceops.paths import lookup
from voiceops.spec.config import Config, Connection
from voiceops.spec.environments import document_id, id_path
from voiceops.spec.schemas import SchemaStore
from voiceops.spec.vendors import credential_settings, default_base_url, normalize_id
from voiceops.spec.yamlsource import YamlDocument

AccountKey = tuple[Any, ...]


def account_key(connection: Connection, schemas: SchemaStore) -> AccountKey:
    """What identifies the vendor account behind a connection: two connections with the same
    type, URL, organisation and credential variables reach the same assistants."""
    kind = connection.type
    base_url = str(connection.setting("base_url") or default_base_url(schemas, kind)).rstrip("/")
    credentials = tuple(connection.setting(s) for s in credential_settings(schemas, kind))
    return (kind, base_url.lower(), connection.setting("org_id", "c"), credentials)


@dataclass(frozen=True)
class Owner:
    """A document that manages an assistant: in which environment, through which connection."""

    name: str
    connection: str
    environment: str | None
    location: Location

    def place(self) -> str:
        where = f"{self.name!r} on connection {self.connection!r}"
        if self.environment is not None:
            where += f" in environment {self.environment!r}"
        return f"{where} ({self.location})"


# (account, normalised id) -> the documents that name that id, in repository order.
Owners = dict[tuple[AccountKey, str], list[Owner]]


def owners(documents: Iterable[YamlDocument], config: Config, schemas: SchemaStore) -> Owners:
    """Every id the documents name, in every environment, by the account it is on. Documents
    too broken to say (no name, unknown connection, an id of no known form) are left to the
    checks that report them."""
    found: Owners = {}
    environments: tuple[str | None, ...] = config.environments or (None,)
    for doc in documents:
        data = doc.data
        if not isinstance(data, dict) or not isinstance(data.get("provider"), str):
            continue
        name = str(lookup(data, ("metadata", "name")) or "")
        for env in environments:
            connections = config.per_environment.get(env, {}) if env else config.connections
            connection = connections.get(data["provider"])
            raw = document_id(data, env)
            if connection is None or raw is None:
                continue
            assistant_id = normalize_id(schemas, connection.type, str(raw))
            where = doc.location(("id",) if env is None else id_path(env))
            owner = Owner(name, connection.name, env, where)
            found.setdefault((account_key(connection, schemas), assistant_id), []).append(owner)
    return found


def across_environments(found: Owners) -> list[Diagnostic]:
    """An id that documents manage in two environments on one account (the same environment
    twice is the per-environment check's to report)."""
    problems = []
    for (_, assistant_id), each in found.items():
        first = each[0]
        for other in each[1:]:
            if other.environment == first.environment:
                continue
            problems.append(
                Diagnostic(
                    f"assistant {assistant_id!r} is managed twice on one account: by "
                    f"{other.place()} and by {first.place()}; those connections reach the "
                    "same account (vendor, base URL, org and credentials), so give each "
                    "environment its own assistant, or its own credentials",
                    other.location,
                )
            )
    return problems


def managed_on(found: Owners, config: Config, schemas: SchemaStore) -> dict[str, frozenset[str]]:
    """Per connection of `config`: the ids any document manages on its account, in any
    environment and through any connection."""
    by_account: dict[AccountKey, set[str]] = {}
    for account, assistant_id in found:
        by_account.setdefault(account, set()).add(assistant_id)
    return {
        name: frozenset(by_account.get(account_key(connection, schemas), ()))
        for name, connection in config.connections.items()
    }

"""Autocalls: Bearer token; no single read, so each account's list is paged once per run.

The API takes one of two field sets (the connection's `fields`: current by default, or
legacy), while the list answers in one shape for both. This adapter maps that shape to
the connection's set: names, 1/0 for booleans, numbers listed as strings, and built-in
tools listed as {type, data} but written flat. Fields the list leaves out are marked
write-only in the set's schema.
"""

from __future__ import annotations

import math
from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import TYPE_CHECKING, Any, ClassVar

from voiceops.live.httpclient import Client, RequestFailed
from voiceops.live.providers.base import (
    LiveState,
    Page,
    PageGuard,
    Provider,
    affects_connection,
    answer_object,
    assistant_items,
    json_kind,
    list_pages,
    segment,
)
from voiceops.spec.vendors import DEFAULT_FIELD_SET, FIELD_SET

if TYPE_CHECKING:
    from voiceops.live.credentials import Credentials
    from voiceops.spec.config import Connection
    from voiceops.spec.schemas import SchemaStore

PAGE_SIZE = 100
END_CALL_TOOL = "end_call_tool.description"
CALCOM_KEY = "calcom_api_key"


class Autocalls(Provider):
    type = "autocalls"
    id_field = "id"
    name_field = "name"
    read_only = frozenset(
        {
            (name,)
            for name in (
                "id", "user_id", "engine_id", "synthesizer_id", "transcriber_id", "instance_id",
                "status", "inbound_webhook_url", "flows_platform_id", "uuid", "widget_settings",
                "created_at", "updated_at", "deleted_at",
            )
        }
    )  # fmt: skip
    # The list's 1/0 booleans (the current set's names are the list's own).
    read_values: ClassVar[Mapping[str, Mapping[Any, Any]]] = {
        "fillers": {1: True, 0: False},
        "end_call_on_voicemail": {1: True, 0: False},
    }
    # Objects the update replaces whole, as its page says: sent as live with git laid over.
    replaces_whole = frozenset({"variables", "filler_config"})
    concurrency_cap = 8
    reads_by_list = True

    def __init__(
        self, connection: Connection, schemas: SchemaStore, credentials: Credentials
    ) -> None:
        super().__init__(connection, schemas, credentials)
        self.legacy = connection.setting(FIELD_SET, DEFAULT_FIELD_SET) == "legacy"
        # Fields of the set that the list may show as strings of digits ("0.35", "900").
        properties = schemas.document(self.spec_schema).get("properties", {})
        self.numeric = frozenset(k for k, v in properties.items() if _is_number(v))
        self.integers = frozenset(k for k, v in properties.items() if _is_integer(v))
        # The list shows the current set's fields to legacy connections too: those the older
        # set has no name for are the list's own, not unknown keys.
        current = schemas.document("autocalls").get("properties", {})
        self.current_only = (
            frozenset(current) - frozenset(properties) - frozenset(LEGACY_NAMES)
            if self.legacy
            else frozenset()
        )

    def to_spec_shape(self, live: dict[str, Any]) -> dict[str, Any]:
        shaped = super().to_spec_shape(live)
        if isinstance(shaped.get("tools"), list):
            shaped["tools"] = [_flat_tool(tool) for tool in shaped["tools"]]
        if self.legacy:
            shaped = _legacy_shape({k: v for k, v in shaped.items() if k not in self.current_only})
        else:  # the list's `language` (a name or code) is a field of the older set only
            shaped.pop("language", None)
        for name in (self.numeric | self.integers) & shaped.keys():
            shaped[name] = _number(shaped[name], whole=name in self.integers)
        return shaped

    def not_kept_hint(self) -> str:
        # Laravel answers 200 to keys it has no rule for and changes nothing.
        other = "current" if self.legacy else "legacy"
        return (
            f"; Autocalls ignores fields it does not know, so if this account takes the "
            f"{other} field set, set fields: {other} on connection {self.name!r} "
            "(voiceops doctor may tell)"
        )

    def field_set_evidence(self, items: list[dict[str, Any]]) -> str | None:
        """The list answers in one shape for both sets, so it tells only when it shows the
        older set's own names, which a current-set connection would not expect."""
        older = sorted({key for item in items for key in item} & set(LEGACY_NAMES.values()))
        if not older or self.legacy:
            return None
        return (
            f"the list shows the older field set's names ({', '.join(older)}): this account "
            f"may take that set; if so, set fields: legacy on connection {self.name!r}"
        )

    async def pages(self, client: Client) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Each page's assistants, until `last_page` or an empty page."""

        async def fetch(page: int) -> Page:
            response = await client.request(
                "GET", "/user/assistants/get", params={"page": page, "per_page": PAGE_SIZE}
            )
            listing = answer_object(response)
            items = assistant_items(response, listing.get("data"), self.id_field)
            self._report_secrets(items)
            return Page(page, items, _last_page(listing.get("last_page")))

        guard = PageGuard("the Autocalls assistant list", self.id_field)
        async with aclosing(list_pages(fetch, guard, PAGE_SIZE)) as listed:
            async for page in listed:
                yield page.items

    def _report_secrets(self, items: list[dict[str, Any]]) -> None:
        """A calendar tool's Cal.com key, as listed, is a secret of the run: outputs scrub
        it and `import` writes a reference in its place."""
        if self.on_secret is None:
            return
        for item in items:
            tools = item.get("tools")
            for tool in tools if isinstance(tools, list) else []:
                data = tool.get("data") if isinstance(tool, dict) else None
                key = data.get(CALCOM_KEY) if isinstance(data, dict) else None
                if isinstance(key, str) and key:
                    self.on_secret(key)

    async def read(self, client: Client, ids: list[str]) -> dict[str, LiveState]:
        wanted = set(ids)
        found: dict[str, dict[str, Any]] = {}
        try:
            async with aclosing(self.pages(client)) as pages:
                async for items in pages:
                    for item in items:
                        item_id = self.normalize_id(str(item[self.id_field]))
                        if item_id in wanted:
                            found[item_id] = item
                    if len(found) == len(wanted):
                        break
        except RequestFailed as exc:
            if affects_connection(exc):
                raise
            # Those already found stand; the page that failed may have held the others.
            return {i: found.get(i, exc) for i in ids}
        return {i: found.get(i) for i in ids}

    async def list_all(self, client: Client) -> list[dict[str, Any]]:
        return [item async for items in self.pages(client) for item in items]

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PUT", f"/user/assistant/{segment(assistant_id)}"

    def create_target(self) -> tuple[str, str]:
        return "POST", "/user/assistant"

    def delete_target(self, assistant_id: str) -> tuple[str, str]:
        return "DELETE", f"/user/assistant/{segment(assistant_id)}"

    def created_id(self, answer: Any) -> str:
        # The create answers {"message": ..., "data": {"id": ..., "name": ...}}.
        return super().created_id(answer.get("data") if isinstance(answer, dict) else None)

    def encode_body(self, body: dict[str, Any]) -> dict[str, Any]:
        # The API validates this key as Laravel dot notation, i.e. a nested object.
        encoded = dict(body)
        if END_CALL_TOOL in encoded:
            encoded["end_call_tool"] = {"description": encoded.pop(END_CALL_TOOL)}
        return encoded


def _last_page(value: Any) -> int:
    if value is None:
        return 1
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    raise RequestFailed(
        f"the Autocalls assistant list gave {json_kind(value)} as last_page, not a page number",
        unexpected=True,
    )


# The list's name -> the legacy set's, and the listed value -> the legacy value where
# they differ. `mode` maps where the values match (dualplex has no legacy value).
LEGACY_NAMES = {
    "name": "assistant_name",
    "type": "calls_direction",
    "max_duration": "max_call_duration",
    "record": "record_call",
    "fillers": "filler_audios",
    "reengagement_interval": "re_engagement_interval",
    "mode": "engine_type",
    "enable_noise_cancellation": "noise_cancellation",
}
LEGACY_VALUES: Mapping[str, Mapping[Any, Any]] = {
    "calls_direction": {"inbound": "receive", "outbound": "make"},
}


def _legacy_shape(shaped: dict[str, Any]) -> dict[str, Any]:
    legacy: dict[str, Any] = {}
    for name, value in shaped.items():
        name = LEGACY_NAMES.get(name, name)
        values = LEGACY_VALUES.get(name, {})
        legacy[name] = values.get(value, value) if isinstance(value, str) else value
    return legacy


def _flat_tool(tool: Any) -> Any:
    """A listed tool {type, data: {...}} in the flat form it is written in. Ids the list
    gives as digit strings ("outbound_phone_id": "7") become numbers, as written."""
    if not isinstance(tool, dict) or not isinstance(tool.get("data"), dict):
        return tool
    flat = {k: v for k, v in tool.items() if k != "data"}
    for key, value in tool["data"].items():
        is_digits = isinstance(value, str) and value.isascii() and value.isdigit()
        flat[key] = int(value) if key.endswith("_id") and is_digits else value
    return flat


def _is_number(schema: Any) -> bool:
    return _has_type(schema, "number")


def _is_integer(schema: Any) -> bool:
    return _has_type(schema, "integer")


def _has_type(schema: Any, kind: str) -> bool:
    kinds = schema.get("type") if isinstance(schema, dict) else None
    return kinds == kind or (isinstance(kinds, list) and kind in kinds)


def _number(value: Any, *, whole: bool = False) -> Any:
    """A number the list gives as a string, as a number (an integer field's whole number as
    an int); anything else as it is."""
    if not isinstance(value, str):
        return value
    try:
        number = float(value)
    except ValueError:
        return value
    if not math.isfinite(number):
        return value
    return int(number) if whole and number.is_integer() else number

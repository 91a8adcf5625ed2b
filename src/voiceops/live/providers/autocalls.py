"""Autocalls: Bearer token; no single read, so each account's list is paged once per run.

The list shows several fields under other names and encodings, and leaves out many write
fields entirely; those are marked write-only in the schema.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from contextlib import aclosing
from typing import Any, ClassVar

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

PAGE_SIZE = 100
END_CALL_TOOL = "end_call_tool.description"


class Autocalls(Provider):
    type = "autocalls"
    id_field = "id"
    name_field = "name"
    read_only = frozenset(
        {
            (name,)
            for name in (
                "id", "user_id", "engine_id", "synthesizer_id", "transcriber_id", "instance_id",
                "status", "inbound_webhook_url", "flows_platform_id", "tools",
                "created_at", "updated_at", "deleted_at",
            )
        }
    )  # fmt: skip
    read_names: ClassVar[Mapping[str, str]] = {
        "name": "assistant_name",
        "type": "calls_direction",
        "max_duration": "max_call_duration",
        "record": "record_call",
        "fillers": "filler_audios",
        "reengagement_interval": "re_engagement_interval",
    }
    read_values: ClassVar[Mapping[str, Mapping[Any, Any]]] = {
        "calls_direction": {"inbound": "receive", "outbound": "make"},
        "filler_audios": {1: True, 0: False},
    }
    replaces_whole = frozenset({"variables"})
    concurrency_cap = 8
    reads_by_list = True

    async def pages(self, client: Client) -> AsyncGenerator[list[dict[str, Any]], None]:
        """Each page's assistants, until `last_page` or an empty page."""

        async def fetch(page: int) -> Page:
            response = await client.request(
                "GET", "/user/assistants/get", params={"page": page, "per_page": PAGE_SIZE}
            )
            listing = answer_object(response)
            items = assistant_items(response, listing.get("data"), self.id_field)
            return Page(page, items, _last_page(listing.get("last_page")))

        guard = PageGuard("the Autocalls assistant list", self.id_field)
        async with aclosing(list_pages(fetch, guard, PAGE_SIZE)) as listed:
            async for page in listed:
                yield page.items

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

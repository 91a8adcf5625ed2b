"""Invent: Bearer key, org-scoped routes, a paged list of 100, and 500 requests a minute.
Creates are limited to 10 an hour; no delete is documented, but reads carry `deleted`.

An update sends what the newest update page lists (docs.useinvent.com/api-reference/
orgs-assistants/update-assistant); `config.stt`, `config.tts` and `config.conversation`
are create-only in the schema. `boards` reads as links with names and whole segments,
and is written as `{board_id, initial_segment_id}` items."""

from __future__ import annotations

import math
import re
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
    answer_json,
    assistant_items,
    list_pages,
    segment,
)

PAGE_SIZE = 100


class Invent(Provider):
    type = "invent"
    id_field = "id"
    name_field = "name"
    read_only = frozenset(
        {
            ("id",),
            ("deleted",),
            ("secret_key",),
            ("avatar_url",),
            ("integrations",),
            ("actions",),
            ("created_at",),
            ("updated_at",),
            ("config", "conversation", "enable_update_contact_tool"),
        }
    )
    replaces_whole = frozenset({"config"})
    # The newest update page lists these config keys and no others: an update sends them
    # (live laid under desired), never create-only or unknown ones, which it refuses.
    update_keys: ClassVar[Mapping[str, frozenset[str]]] = {
        "config": frozenset({"instructions", "language", "model", "knowledge_scope", "timezone"})
    }
    concurrency_cap = 8
    requests_per_minute = 500
    reads_by_list = True
    creates_per_hour = 10

    def gone(self, live: dict[str, Any]) -> bool:
        return live.get("deleted") is True

    def to_spec_shape(self, live: dict[str, Any]) -> dict[str, Any]:
        shaped = super().to_spec_shape(live)
        if isinstance(shaped.get("boards"), list):
            shaped["boards"] = [_board(item) for item in shaped["boards"]]
        return shaped

    @property
    def org(self) -> str:
        return str(self.connection.setting("org_id", "c"))

    def read_path(self, assistant_id: str) -> str:
        return f"/orgs/{segment(self.org)}/assistants/{segment(assistant_id)}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)

    def create_target(self) -> tuple[str, str]:
        return "POST", f"/orgs/{segment(self.org)}/assistants"

    async def pages(self, client: Client) -> AsyncGenerator[tuple[list[dict[str, Any]], int], None]:
        """Each page of the list with the number of pages still to come."""

        async def fetch(page: int) -> Page:
            response = await client.request(
                "GET",
                f"/orgs/{segment(self.org)}/assistants",
                params={"page": page, "take": PAGE_SIZE},
            )
            pages = math.ceil(_count(response.headers.get("pagination-count")) / PAGE_SIZE)
            return Page(
                page, assistant_items(response, answer_json(response), self.id_field), pages
            )

        guard = PageGuard("the Invent assistant list", self.id_field)
        async with aclosing(list_pages(fetch, guard, PAGE_SIZE)) as listed:
            async for page in listed:
                yield [i for i in page.items if not i.get("deleted")], page.last - page.number

    async def read(self, client: Client, ids: list[str]) -> dict[str, LiveState]:
        """Page through the list while that costs fewer requests than one GET per id."""
        if len(ids) <= 1:
            return await super().read(client, ids)
        found: dict[str, LiveState] = {}
        try:
            rest = await self._scan(client, ids, found)
            if rest:
                found.update(await super().read(client, rest))
        except RequestFailed as exc:
            if affects_connection(exc):
                raise
            return {i: found.get(i, exc) for i in ids}
        return {i: found.get(i) for i in ids}

    async def _scan(self, client: Client, ids: list[str], found: dict[str, LiveState]) -> list[str]:
        """Fill `found` from the list's pages; return the ids left to read one by one, once
        paging on would cost more requests than that (the pages in flight are cancelled)."""
        wanted = set(ids)
        async with aclosing(self.pages(client)) as pages:
            async for items, remaining in pages:
                found.update(
                    {str(i[self.id_field]): i for i in items if str(i[self.id_field]) in wanted}
                )
                missing = [i for i in ids if i not in found]
                if not missing:
                    return []
                if remaining > len(missing):
                    return missing
        return []

    async def list_all(self, client: Client) -> list[dict[str, Any]]:
        return [item async for items, _ in self.pages(client) for item in items]


def _count(header: str | None) -> int:
    """The list's total from its `pagination-count` header (absent: one page)."""
    if header is None:
        return 0
    if re.fullmatch(r"\s*[0-9]{1,15}\s*", header):
        return int(header)
    raise RequestFailed(
        f"the Invent assistant list gave pagination-count {header[:40]!r}, not a number",
        unexpected=True,
    )


def _board(item: Any) -> Any:
    """A board as read (a link with its name and whole initial segment) in its write form."""
    if not isinstance(item, dict):
        return item
    board: dict[str, Any] = {"board_id": item.get("board_id")}
    segment = item.get("initial_segment")
    if isinstance(segment, dict) and segment.get("id") is not None:
        board["initial_segment_id"] = segment["id"]
    elif item.get("initial_segment_id") is not None:
        board["initial_segment_id"] = item["initial_segment_id"]
    return board

"""Invent: Bearer key, org-scoped routes, a paged list of 100, and 500 requests a minute."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator
from typing import Any

from voiceops.httpclient import Client
from voiceops.providers.base import LiveState, Provider, segment

PAGE_SIZE = 100


class Invent(Provider):
    type = "invent"
    default_base_url = "https://api.useinvent.com"
    read_only = frozenset(
        {
            ("id",),
            ("deleted",),
            ("secret_key",),
            ("avatar_url",),
            ("integrations",),
            ("actions",),
            ("boards",),
            ("created_at",),
            ("updated_at",),
            ("config", "conversation", "enable_update_contact_tool"),
        }
    )
    replaces_whole = frozenset({"config"})
    concurrency_cap = 8
    requests_per_minute = 500

    @property
    def org(self) -> str:
        return str(self.connection.setting("org_id", "c"))

    def read_path(self, assistant_id: str) -> str:
        return f"/orgs/{segment(self.org)}/assistants/{segment(assistant_id)}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)

    async def pages(self, client: Client) -> AsyncIterator[tuple[list[dict[str, Any]], int]]:
        """Each page of the list with the number of pages still to come."""
        page, pages = 1, 1
        while page <= pages:
            response = await client.request(
                "GET",
                f"/orgs/{segment(self.org)}/assistants",
                params={"page": page, "take": PAGE_SIZE},
            )
            pages = math.ceil(int(response.headers.get("pagination-count", 0)) / PAGE_SIZE)
            items = response.json()
            if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
                raise ValueError("not a page of the assistant list")
            yield [i for i in items if not i.get("deleted")], pages - page
            page += 1

    async def read(self, client: Client, ids: list[str]) -> dict[str, LiveState]:
        """Page through the list while that costs fewer requests than one GET per id."""
        if len(ids) <= 1:
            return await super().read(client, ids)
        found: dict[str, LiveState] = {}
        wanted = set(ids)
        async for items, remaining in self.pages(client):
            found.update({str(i.get("id")): i for i in items if str(i.get("id")) in wanted})
            missing = [i for i in ids if i not in found]
            if not missing:
                break
            if remaining > len(missing):
                found.update(await super().read(client, missing))
                break
        return {i: found.get(i) for i in ids}

    async def list_all(self, client: Client) -> list[dict[str, Any]]:
        return [item async for items, _ in self.pages(client) for item in items]

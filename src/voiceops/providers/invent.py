"""Invent: Bearer key, org-scoped routes, a paged list of 100, and 500 requests a minute."""

from __future__ import annotations

import asyncio
import math
from typing import Any

from voiceops.httpclient import Client
from voiceops.providers.base import Provider

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
        return f"/orgs/{self.org}/assistants/{assistant_id}"

    def update_target(self, assistant_id: str) -> tuple[str, str]:
        return "PATCH", self.read_path(assistant_id)

    async def read(self, client: Client, ids: list[str]) -> dict[str, dict[str, Any] | None]:
        """Page through the list while that costs fewer requests than one GET per id."""
        if len(ids) <= 1:
            return await super().read(client, ids)
        wanted = set(ids)
        found: dict[str, dict[str, Any]] = {}
        page, pages = 1, 1
        while page <= pages:
            response = await client.request(
                "GET", f"/orgs/{self.org}/assistants", params={"page": page, "take": PAGE_SIZE}
            )
            for item in response.json():
                if str(item.get("id")) in wanted and not item.get("deleted"):
                    found[str(item["id"])] = item
            total = int(response.headers.get("pagination-count", 0))
            pages = math.ceil(total / PAGE_SIZE)
            page += 1
            missing = [i for i in ids if i not in found]
            if not missing or (pages - page + 1) > len(missing):
                break
        missing = [i for i in ids if i not in found]
        if missing and page <= pages:
            singles = await super().read(client, missing)
            found.update({k: v for k, v in singles.items() if v is not None})
        await asyncio.sleep(0)
        return {i: found.get(i) for i in ids}

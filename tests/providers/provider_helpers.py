"""Adapters built from a connection, and reads through a stand-in vendor handed to the
client as its transport: what each read sends is recorded."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

import httpx

from voiceops.errors import Location
from voiceops.live.httpclient import Client, RetryPolicy
from voiceops.live.providers import Provider, build_adapter
from voiceops.live.providers.base import LiveState
from voiceops.spec.config import Connection
from voiceops.spec.schemas import SchemaStore

BASE_URL = "http://127.0.0.1:9/api"
Vendor = Callable[[httpx.Request], httpx.Response]


def provider(vendor: str, **settings: Any) -> Provider:
    connection = Connection(
        f"{vendor}-test", vendor, {"type": vendor, **settings}, Location("voiceops.yaml")
    )
    return build_adapter(connection, SchemaStore(), {})


def read(
    adapter: Provider, ids: list[str], vendor: Vendor
) -> tuple[dict[str, LiveState], list[httpx.Request]]:
    """What `adapter.read` gives for `ids`, and the requests it sent to `vendor`."""
    sent: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return vendor(request)

    async def run() -> dict[str, LiveState]:
        client = Client(
            BASE_URL,
            global_limit=asyncio.Semaphore(4),
            vendor_limit=4,
            retry=RetryPolicy(attempts=1),
            transport=httpx.MockTransport(record),
        )
        try:
            return await adapter.read(client, ids)
        finally:
            await client.close()

    return asyncio.run(run()), sent


def shown(requests: list[httpx.Request]) -> list[str]:
    """Each request as `METHOD /path?query`, relative to the base URL."""
    prefix = httpx.URL(BASE_URL).raw_path.decode()
    return [f"{r.method} {r.url.raw_path.decode().removeprefix(prefix)}" for r in requests]


def unchanged(function: Callable[..., Any], *args: Any) -> Any:
    """Call `function` and check it changed none of its (JSON-shaped) arguments."""
    before = copy.deepcopy(args)
    result = function(*args)
    assert args == before
    return result

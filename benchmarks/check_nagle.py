"""Check: the sandbox answers a bare httpx client in its added latency, without Nagle stalls.

A server that writes an answer's head and body as two small TCP segments without
TCP_NODELAY holds the body back until the client ACKs the head, and the client delays
that ACK by up to 40 ms: a stand-in configured with 50 ms of latency would then take about
90 ms per request, and every benchmark's bound would be wrong. This script serves the
sandbox (the same server `voiceops sandbox` uses) in a thread of this process, sets the
added latency, and sends requests one after another over one keep-alive connection with a
bare `httpx.AsyncClient`: reads (Interactly GET, Invent list page) and updates (Interactly
PATCH with a JSON body). Then it sends the same reads from 16 connections at once, where
a stall would show as lost throughput. It prints the time per request and the excess over
the added latency; more than a few milliseconds of excess is a stall.

    python benchmarks/check_nagle.py [--latency-ms 50] [--requests 40] [--concurrency 16]
    python benchmarks/check_nagle.py --control   # what a stall looks like

`--control` serves from a listening socket created without `IPPROTO_TCP`, as a plain
`socket.socket()` would be: asyncio then leaves Nagle on for accepted connections, and
the check shows the stall (about 45 ms of excess per request).

The 16-connection figure shares this process between client and server; the benchmarks
run voiceops in a process of its own.

Exit code 0 whatever it measures (it prints figures; judging them is for people).
"""

from __future__ import annotations

import argparse
import asyncio
import socket
import statistics
import time
import types
from collections.abc import Awaitable, Callable
from typing import Any

import httpx

from voiceops.sandbox import Faults, Sandbox, SandboxOptions
from voiceops.sandbox import server as sandbox_server

INTERACTLY_ID = "5f7b1b1b1b1b1b1b1b1b1b1b"  # in the sandbox's default state
STALL_MS = 10.0  # more excess than this per request is not scheduling noise


Send = Callable[[httpx.AsyncClient], Awaitable[httpx.Response]]


def requests_to_check(credentials: dict[str, str]) -> dict[str, tuple[str, Send]]:
    """name -> (vendor, send one request) for the kinds of request voiceops makes."""
    interactly = {"Authorization": f"Bearer {credentials['INTERACTLY_API_KEY']}"}
    invent = {"Authorization": f"Bearer {credentials['INVENT_API_KEY']}"}
    path = f"/assistants/v1/assistants/{INTERACTLY_ID}"

    async def get_one(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get(path, headers=interactly)

    async def patch_one(client: httpx.AsyncClient) -> httpx.Response:
        body = {"name": "Clinic Intake", "idleTimeout": 30}
        return await client.patch(path, json=body, headers=interactly)

    async def list_page(client: httpx.AsyncClient) -> httpx.Response:
        params = {"page": 1, "take": 100}
        return await client.get("/orgs/c/assistants", params=params, headers=invent)

    return {
        "Interactly GET one": ("interactly", get_one),
        "Interactly PATCH": ("interactly", patch_one),
        "Invent GET list page": ("invent", list_page),
    }


async def sequential(base_url: str, send: Send, count: int) -> list[float]:
    """Seconds per request, one after another on one keep-alive connection."""
    times: list[float] = []
    limits = httpx.Limits(max_connections=1)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as client:
        (await send(client)).raise_for_status()  # connect outside the timing
        for _ in range(count):
            started = time.perf_counter()
            response = await send(client)
            times.append(time.perf_counter() - started)
            response.raise_for_status()
    return times


async def parallel(base_url: str, send: Send, count: int, concurrency: int) -> float:
    """Requests per second with `concurrency` connections each sending `count`."""
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(base_url=base_url, limits=limits) as client:

        async def worker() -> None:
            for _ in range(count):
                (await send(client)).raise_for_status()

        await asyncio.gather(*(send(client) for _ in range(concurrency)))  # open connections
        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return concurrency * count / (time.perf_counter() - started)


def serve_with_nagle() -> None:
    """Make the sandbox server (only it) create its listening socket with proto 0."""

    class PlainSocket(socket.socket):
        def __init__(self, family: int = -1, type: int = -1, proto: int = -1, **kw: Any):
            super().__init__(family, type, 0 if proto == socket.IPPROTO_TCP else proto, **kw)

    shim = types.ModuleType("socket")
    shim.__dict__.update(socket.__dict__)
    shim.socket = PlainSocket  # type: ignore[attr-defined]
    sandbox_server.socket = shim  # type: ignore[attr-defined]


def report(name: str, times: list[float], latency_ms: float) -> None:
    median = statistics.median(times) * 1000
    mean = statistics.fmean(times) * 1000
    worst = max(times) * 1000
    excess = median - latency_ms
    verdict = "stall" if excess > STALL_MS else "ok"
    print(
        f"  {name:<22} median {median:6.1f} ms  mean {mean:6.1f} ms  max {worst:6.1f} ms  "
        f"excess {excess:+5.1f} ms  {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--requests", type=int, default=40, help="per kind of request")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--control", action="store_true", help="serve with Nagle on")
    args = parser.parse_args()
    if args.control:
        serve_with_nagle()

    sandbox = Sandbox(SandboxOptions(seed=0))
    with sandbox.serve(port=0):
        checks = requests_to_check(sandbox.credentials)
        for latency in (0.0, args.latency_ms):
            sandbox.set_faults(Faults(latency_ms=latency))
            print(f"sandbox latency {latency:g} ms; one keep-alive connection, bare httpx:")
            for name, (vendor, send) in checks.items():
                base_url = sandbox.base_urls[vendor]
                report(name, asyncio.run(sequential(base_url, send, args.requests)), latency)
        vendor, send = checks["Interactly GET one"]
        rate = asyncio.run(
            parallel(sandbox.base_urls[vendor], send, args.requests, args.concurrency)
        )
        ideal = args.concurrency / (args.latency_ms / 1000) if args.latency_ms else float("inf")
        print(
            f"{args.concurrency} connections at once: {rate:.0f} requests/s "
            f"(latency allows {ideal:.0f}/s; {rate / ideal:.0%} of it)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

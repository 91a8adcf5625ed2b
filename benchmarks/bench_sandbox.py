"""Throughput of `voiceops sandbox` for reads, with no added latency.

The server runs in a subprocess (`python -m voiceops sandbox --port 0`) so that it
has a core of its own; this process drives it over N keep-alive HTTP/1.1
connections with a minimal asyncio client. Bounded by a request count and by
time, whichever comes first.

    python benchmarks/bench_sandbox.py [--connections 16] [--requests 20000] [--seconds 10]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import signal
import subprocess
import sys
import time
from urllib.parse import urlsplit

ASSISTANT = "5f7b1b1b1b1b1b1b1b1b1b1b"
TOKEN = "sandbox-interactly-key"


def start_server() -> tuple[subprocess.Popen[str], str, int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "voiceops", "sandbox", "--port", "0"],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    for line in proc.stdout:
        found = re.search(r"base_url: (http://127\.0\.0\.1:(\d+)/interactly)", line)
        if found:
            return proc, urlsplit(found.group(1)).path, int(found.group(2))
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise RuntimeError("the sandbox did not print its base URL")


def stop_server(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGINT)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


async def worker(
    port: int, request: bytes, budget: list[int], deadline: float, statuses: dict[int, int]
) -> int:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    done = 0
    try:
        while budget[0] > 0 and time.monotonic() < deadline:
            budget[0] -= 1
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))  # type: ignore[union-attr]
            await reader.readexactly(length)
            statuses[status] = statuses.get(status, 0) + 1
            done += 1
    finally:
        writer.close()
        await writer.wait_closed()
    return done


async def drive(port: int, prefix: str, connections: int, requests: int, seconds: float) -> None:
    request = (
        f"GET {prefix}/assistants/v1/assistants/{ASSISTANT} HTTP/1.1\r\n"
        f"Host: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {TOKEN}\r\n"
        "Accept: application/json\r\n\r\n"
    ).encode()
    statuses: dict[int, int] = {}
    # Warm up, then measure.
    await asyncio.gather(*(worker(port, request, [50], time.monotonic() + 5, {}) for _ in range(4)))
    budget = [requests]
    started = time.perf_counter()
    deadline = time.monotonic() + seconds
    counts = await asyncio.gather(
        *(worker(port, request, budget, deadline, statuses) for _ in range(connections))
    )
    elapsed = time.perf_counter() - started
    total = sum(counts)
    print(f"{total} GETs over {connections} keep-alive connections in {elapsed:.2f}s")
    print(f"statuses: {dict(sorted(statuses.items()))}")
    print(f"throughput: {total / elapsed:,.0f} requests/second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--requests", type=int, default=20_000)
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    proc, prefix, port = start_server()
    try:
        asyncio.run(drive(port, prefix, args.connections, args.requests, args.seconds))
    finally:
        stop_server(proc)


if __name__ == "__main__":
    main()

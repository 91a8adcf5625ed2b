"""The rate window: a burst up to the limit goes at once, past it a request waits exactly
until the oldest leaves the window, and a vendor's Retry-After still wins.

A fake clock and sleep are handed in, so nothing here waits for real time.
"""

from __future__ import annotations

import asyncio
import random

import httpx
import pytest

from voiceops.live.httpclient import Client, RateLimiter, RetryPolicy, StatusFailed
from voiceops.live.providers.invent import Invent

WINDOW_S = 61.0  # the documented minute plus the client's slack


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        await asyncio.sleep(0)


def invent_window(fake: FakeTime) -> RateLimiter:
    return RateLimiter.documented(Invent.requests_per_minute, clock=fake.clock)


def test_invent_s_documented_limit_keeps_a_margin() -> None:
    limiter = invent_window(FakeTime())
    assert Invent.requests_per_minute == 500
    assert limiter.limit == 480
    assert limiter.window_s == WINDOW_S


def test_a_burst_up_to_the_limit_is_not_delayed() -> None:
    fake = FakeTime()
    limiter = invent_window(fake)

    async def burst() -> None:
        for _ in range(480):
            await limiter.acquire(fake.sleep)

    asyncio.run(burst())
    assert fake.sleeps == []


def test_past_the_limit_a_request_waits_until_the_oldest_leaves() -> None:
    fake = FakeTime()
    limiter = invent_window(fake)

    async def run() -> None:
        await limiter.acquire(fake.sleep)  # the oldest, at t = 1000
        fake.now += 10.0
        for _ in range(479):
            await limiter.acquire(fake.sleep)
        fake.now += 5.0
        await limiter.acquire(fake.sleep)  # the 481st

    asyncio.run(run())
    assert fake.sleeps == [WINDOW_S - 15.0]
    assert fake.now == 1000.0 + WINDOW_S


def test_no_window_ever_holds_more_than_the_limit() -> None:
    fake = FakeTime()
    limiter = RateLimiter(7, 3.0, clock=fake.clock)
    rng = random.Random(12)
    sent: list[float] = []

    async def run() -> None:
        for _ in range(400):
            fake.now += rng.choice([0.0, 0.0, 0.01, 0.3, 1.7])
            await limiter.acquire(fake.sleep)
            sent.append(fake.now)

    asyncio.run(run())
    for i, start in enumerate(sent):
        assert sum(1 for t in sent[i:] if t < start + 3.0) <= 7
    # and it waited no longer than the window required
    assert all(s > 0 for s in fake.sleeps)


def test_no_limit_never_waits() -> None:
    fake = FakeTime()
    limiter = RateLimiter.documented(None, clock=fake.clock)
    for _ in range(10_000):
        assert limiter.take()
    assert limiter.delay() == 0


def client_for(fake: FakeTime, handler: object, limiter: RateLimiter, slots: int = 8) -> Client:
    return Client(
        "http://vendor.test",
        global_limit=asyncio.Semaphore(slots),
        vendor_limit=slots,
        transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
        rate=limiter,
        retry=RetryPolicy(attempts=3, sleep=fake.sleep),
    )


def test_retry_after_wins_over_a_window_with_room() -> None:
    fake = FakeTime()
    answers = iter([httpx.Response(429, headers={"Retry-After": "7"}), httpx.Response(200)])

    def handler(request: httpx.Request) -> httpx.Response:
        return next(answers)

    async def run() -> int:
        client = client_for(fake, handler, invent_window(fake))
        try:
            return (await client.request("GET", "/x")).status_code
        finally:
            await client.close()

    assert asyncio.run(run()) == 200
    assert fake.sleeps == [7.0]


def test_concurrent_requests_through_the_client_stay_inside_the_window() -> None:
    fake = FakeTime()
    arrivals: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        arrivals.append(fake.now)
        return httpx.Response(200)

    async def run() -> None:
        client = client_for(fake, handler, RateLimiter(10, 5.0, clock=fake.clock), slots=4)
        try:
            await asyncio.gather(*(client.request("GET", f"/{i}") for i in range(45)))
        finally:
            await client.close()

    asyncio.run(run())
    assert len(arrivals) == 45
    assert arrivals[:10] == [1000.0] * 10  # the burst went at once
    for i, start in enumerate(arrivals):
        assert sum(1 for t in arrivals[i:] if t < start + 5.0) <= 10


@pytest.mark.parametrize("method", ["GET", "PATCH", "POST"])
def test_a_retry_after_beyond_the_cap_fails_at_once(method: str) -> None:
    """Retrying before the vendor's window reopens is refused again: a Retry-After longer
    than the client honours ends the request at once, saying how long the vendor asked."""
    fake = FakeTime()
    sent: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.method)
        return httpx.Response(429, headers={"Retry-After": "3600"})

    async def run() -> None:
        client = client_for(fake, handler, invent_window(fake))
        try:
            await client.request(method, "/x", json=None if method == "GET" else {})
        finally:
            await client.close()

    with pytest.raises(StatusFailed) as failed:
        asyncio.run(run())
    assert failed.value.status == 429
    assert "(it asks to wait 3600 s)" in failed.value.message
    assert sent == [method]
    assert fake.sleeps == []

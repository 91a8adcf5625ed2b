"""Paged lists: once page 1 gives the count, pages 2..n are requested at once, and are
still checked and handed on in order; whatever ends the list cancels what was not sent."""

from __future__ import annotations

import asyncio
from contextlib import aclosing

import pytest

from voiceops.live.httpclient import RequestFailed
from voiceops.live.providers.base import Page, PageGuard, list_pages

SIZE = 3


class FakeList:
    """A list endpoint behind a client that sends at most `slots` requests at once."""

    def __init__(self, pages: dict[int, list[int]], last: int, slots: int = 2) -> None:
        self.pages = pages
        self.last = last
        self.slots = asyncio.Semaphore(slots)
        self.sent: list[int] = []
        self.in_flight = 0
        self.most_in_flight = 0

    async def fetch(self, number: int) -> Page:
        async with self.slots:
            self.sent.append(number)
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            await asyncio.sleep(0)
            self.in_flight -= 1
        items = [{"id": i} for i in self.pages.get(number, [])]
        return Page(number, items, self.last)


def ids_on(pages: int, start: int = 1) -> dict[int, list[int]]:
    return {n: [n * 10 + i for i in range(SIZE)] for n in range(start, start + pages)}


async def read(listing: FakeList, stop_after: int | None = None) -> list[int]:
    seen: list[int] = []
    guard = PageGuard("the list", "id")
    async with aclosing(list_pages(listing.fetch, guard, SIZE)) as pages:
        async for page in pages:
            seen.append(page.number)
            if page.number == stop_after:
                break
    return seen


def test_pages_after_the_first_are_requested_together_and_come_in_order() -> None:
    listing = FakeList(ids_on(6), last=6, slots=4)

    assert asyncio.run(read(listing)) == [1, 2, 3, 4, 5, 6]
    assert sorted(listing.sent) == [1, 2, 3, 4, 5, 6]
    assert listing.most_in_flight == 4


def test_a_first_page_that_is_not_full_reads_on_one_page_at_a_time() -> None:
    pages = {1: [1], 2: [2, 3, 4], 3: [5]}
    listing = FakeList(pages, last=40, slots=4)

    assert asyncio.run(read(listing)) == [1, 2, 3]
    assert listing.sent == [1, 2, 3, 4]  # page 4 came back empty and ended the list
    assert listing.most_in_flight == 1


def test_an_empty_page_ends_the_list_and_cancels_what_was_not_sent() -> None:
    listing = FakeList(ids_on(2), last=50, slots=2)

    assert asyncio.run(read(listing)) == [1, 2]
    assert len(listing.sent) < 10


def test_a_repeated_page_fails_the_read_and_cancels_the_rest() -> None:
    same = [1, 2, 3]
    listing = FakeList({n: same for n in range(1, 50)}, last=49, slots=2)

    with pytest.raises(RequestFailed, match="page 2 of the list repeats an earlier page"):
        asyncio.run(read(listing))
    assert len(listing.sent) < 10


def test_a_failed_page_fails_the_read_after_the_pages_before_it() -> None:
    listing = FakeList(ids_on(5), last=5, slots=3)
    fetch = listing.fetch

    async def failing(number: int) -> Page:
        if number == 3:
            raise RequestFailed("page 3 answered 500", status=500)
        return await fetch(number)

    listing.fetch = failing  # type: ignore[method-assign]
    seen: list[int] = []

    async def run() -> None:
        async for page in list_pages(listing.fetch, PageGuard("the list", "id"), SIZE):
            seen.append(page.number)

    with pytest.raises(RequestFailed, match="page 3"):
        asyncio.run(run())
    assert seen == [1, 2]


def test_a_consumer_that_stops_early_cancels_pages_not_sent() -> None:
    listing = FakeList(ids_on(40), last=40, slots=2)

    assert asyncio.run(read(listing, stop_after=2)) == [1, 2]
    assert len(listing.sent) < 10


def test_a_later_page_claiming_more_pages_is_followed() -> None:
    listing = FakeList(ids_on(5), last=3, slots=2)
    fetch = listing.fetch

    async def growing(number: int) -> Page:
        page = await fetch(number)
        return Page(page.number, page.items, 5 if number >= 3 else 3)

    listing.fetch = growing  # type: ignore[method-assign]
    assert asyncio.run(read(listing)) == [1, 2, 3, 4, 5]


def test_an_absurd_count_on_page_one_is_refused_before_anything_else_is_sent() -> None:
    listing = FakeList(ids_on(1), last=1_000_000)

    with pytest.raises(RequestFailed, match="claims 1000000 pages"):
        asyncio.run(read(listing))
    assert listing.sent == [1]

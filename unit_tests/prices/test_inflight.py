"""PagesInFlight (inflight.py): pages fetched ahead, handed out in order, within its limits.

The fetches here are fakes that wait for the test's word, so pages arrive in the order a test
chooses; no test depends on timing.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping
from typing import Any

import pytest

from source_stock_ticker_api.prices.inflight import (
    Page,
    PageRequest,
    PagesInFlight,
    requests_in_flight,
)

WAIT_SECONDS = 10.0  # a fetch not answered in this long means the test is broken


class FakeApi:
    """Chains of pages: `pages["A"] = 3` gives A1, A2, A3, each naming the next. A fetch waits
    until the test `answer`s it (or answers at once when `instant`)."""

    def __init__(self, pages: Mapping[str, int], bars: int = 1, instant: bool = False) -> None:
        self.pages = dict(pages)
        self.known: dict[str, int] = {}  # chains whose pages are all known from the start
        self.bars = bars
        self.instant = instant
        self.lock = threading.Lock()
        self.events: list[str] = []  # "ask A1", "got A1", "write A1", in the order they happened
        self.answers: dict[str, threading.Event] = {}
        self.asked: dict[str, threading.Event] = {}
        self.got: dict[str, threading.Event] = {}
        self.failing: set[str] = set()

    def _event(self, table: dict[str, threading.Event], name: str) -> threading.Event:
        with self.lock:
            return table.setdefault(name, threading.Event())

    def note(self, event: str) -> None:
        with self.lock:
            self.events.append(event)

    def heads(self) -> list[list[PageRequest]]:
        """The chains: each of `known` with all its pages, then each of `pages` from its first."""
        known = [
            [PageRequest({"chain": chain, "page": n, "known": True}, self.bars) for n in pages]
            for chain, count in self.known.items()
            for pages in [range(1, count + 1)]
        ]
        followed = [[PageRequest({"chain": c, "page": 1}, self.bars)] for c in self.pages]
        return known + followed

    def fetch(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        """The page's answer names it, and carries its request (as a page read does)."""
        name = f"{stream_slice['chain']}{stream_slice['page']}"
        self.note(f"ask {name}")
        self._event(self.asked, name).set()
        if not self.instant:
            assert self._event(self.answers, name).wait(WAIT_SECONDS), f"{name} never answered"
        self.note(f"got {name}")
        self._event(self.got, name).set()
        if name in self.failing:
            raise RuntimeError(f"{name} failed")
        return {**stream_slice, "name": name}

    def follow(self, answer: Any) -> PageRequest | None:
        stream_slice = {key: value for key, value in answer.items() if key != "name"}
        if stream_slice.get("known") or stream_slice["page"] >= self.pages[stream_slice["chain"]]:
            return None
        return PageRequest({**stream_slice, "page": stream_slice["page"] + 1}, self.bars)

    def answer(self, *names: str) -> None:
        """Answers each page in turn, once it is asked, and waits until it has arrived."""
        for name in names:
            assert self._event(self.asked, name).wait(WAIT_SECONDS), f"{name} never asked"
            self._event(self.answers, name).set()
            assert self._event(self.got, name).wait(WAIT_SECONDS)

    def was_asked(self, name: str) -> bool:
        return self._event(self.asked, name).is_set()


def in_flight(api: FakeApi, limit: int, bars_ahead: int = 1_000_000) -> PagesInFlight:
    return PagesInFlight(api.fetch, api.follow, limit, bars_ahead)


def written(api: FakeApi, pages: Iterator[Any]) -> list[str]:
    out = []
    for page in pages:
        assert not page.failed
        name = page.take()["name"]
        api.note(f"write {name}")
        out.append(name)
    return out


def taken(page: Page) -> tuple[str | None, str | None]:
    """(the page's name, None), or (None, the error its fetch raised), as the writer sees it."""
    try:
        return page.take()["name"], None
    except RuntimeError as error:
        return None, str(error)


def test_a_page_is_a_slice_showing_its_requests_fields_and_gives_its_answer_once() -> None:
    page = Page({"chain": "A", "page": 1}, {"name": "A1"}, None)
    assert dict(page) == {"chain": "A", "page": 1}
    assert page.take() == {"name": "A1"}
    assert page.take() is None  # written: its bars are not held any more


def test_a_chains_pages_answered_out_of_order_are_handed_out_in_order() -> None:
    """A chain whose pages are all known (the grouped days): all asked at once, answered last
    first, written first first."""
    api = FakeApi({})
    api.known["G"] = 3
    fetcher = in_flight(api, limit=3)
    answering = threading.Thread(target=lambda: api.answer("G3", "G2", "G1"))
    answering.start()
    assert written(api, fetcher.pages(api.heads())) == ["G1", "G2", "G3"]
    answering.join()
    assert api.events[:3] == ["ask G1", "ask G2", "ask G3"]
    assert api.events.index("got G3") < api.events.index("got G1")
    assert fetcher.most_in_flight == 3


def test_the_first_chain_whose_page_has_arrived_is_written_first() -> None:
    """B's page arrives while A's is still on its way: B is written, then A."""
    api = FakeApi({"A": 1, "B": 1})
    pages = in_flight(api, limit=2).pages(api.heads())
    answering = threading.Thread(target=api.answer, args=("B1",))
    answering.start()
    first = next(pages)
    answering.join()
    assert first.take()["name"] == "B1"
    answering = threading.Thread(target=api.answer, args=("A1",))
    answering.start()
    assert [page.take()["name"] for page in pages] == ["A1"]
    answering.join()


def test_a_chains_next_page_is_asked_once_its_page_arrived_and_its_pages_stay_in_order() -> None:
    api = FakeApi({"A": 3, "B": 2})
    fetcher = in_flight(api, limit=4)
    answering = threading.Thread(target=lambda: api.answer("B1", "B2", "A1", "A2", "A3"))
    answering.start()
    out = written(api, fetcher.pages(api.heads()))
    answering.join()
    assert [name for name in out if name[0] == "A"] == ["A1", "A2", "A3"]
    assert [name for name in out if name[0] == "B"] == ["B1", "B2"]
    # B's second page was asked as soon as B1 arrived, before A's first was answered.
    assert api.events.index("ask B2") < api.events.index("got A1")
    # Each chain's pages are asked one after the other: A2 only once A1 had arrived.
    assert api.events.index("got A1") < api.events.index("ask A2")


def test_one_at_a_time_asks_each_page_only_after_the_one_before_is_written() -> None:
    api = FakeApi({"A": 2, "B": 1}, instant=True)
    assert written(api, in_flight(api, limit=1).pages(api.heads())) == ["A1", "A2", "B1"]
    assert api.events == [
        "ask A1", "got A1", "write A1",
        "ask A2", "got A2", "write A2",
        "ask B1", "got B1", "write B1",
    ]  # fmt: skip


def test_never_more_requests_than_the_limit() -> None:
    api = FakeApi({name: 2 for name in "ABCDEFGH"}, instant=True)
    fetcher = in_flight(api, limit=3)
    out = written(api, fetcher.pages(api.heads()))
    assert sorted(out) == sorted(f"{name}{n}" for name in "ABCDEFGH" for n in (1, 2))
    assert fetcher.most_in_flight <= 3
    # Counted from the events: at no point more than 3 asked and not yet written.
    outstanding, most = 0, 0
    for event in api.events:
        outstanding += event.startswith("ask ") - event.startswith("write ")
        most = max(most, outstanding)
    assert most == 3


def test_first_alone_asks_nothing_more_until_the_first_page_has_arrived() -> None:
    """A sync's first request goes alone (a rejected key costs one request), then the limit."""
    api = FakeApi({"A": 1, "B": 1, "C": 1})
    fetcher = PagesInFlight(api.fetch, api.follow, 3, 1_000_000, first_alone=True)
    answering = threading.Thread(target=lambda: api.answer("A1", "C1", "B1"))
    answering.start()
    out = written(api, fetcher.pages(api.heads()))
    answering.join()
    assert out[0] == "A1" and sorted(out) == ["A1", "B1", "C1"]
    assert api.events[:2] == ["ask A1", "got A1"]  # B1 and C1 asked only then
    assert fetcher.most_in_flight == 2


def test_first_alone_after_a_first_fetch_that_raised_asks_nothing_more() -> None:
    api = FakeApi({"A": 1, "B": 1}, instant=True)
    api.failing.add("A1")
    pages = list(
        PagesInFlight(api.fetch, api.follow, 2, 1_000_000, first_alone=True).pages(api.heads())
    )
    assert [taken(page) for page in pages] == [(None, "A1 failed")]
    assert not api.was_asked("B1")


def test_pages_requested_and_not_written_never_weigh_more_than_bars_ahead() -> None:
    """Ten chains of two 50,000-bar pages and room for 100,000 bars: never more than two pages
    between their request and the end of their writing."""
    api = FakeApi({name: 2 for name in "ABCDEFGHIJ"}, bars=50_000)
    most_outstanding = 0
    fetch = api.fetch

    def counting_fetch(stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        nonlocal most_outstanding
        with api.lock:
            asked = sum(event.startswith("ask ") for event in api.events) + 1
            done = sum(event.startswith("write ") for event in api.events)
            most_outstanding = max(most_outstanding, asked - done)
        return fetch(stream_slice)

    fetcher = PagesInFlight(counting_fetch, api.follow, limit=10, bars_ahead=100_000)
    pages = fetcher.pages(api.heads())
    answering = threading.Thread(target=lambda: api.answer("A1", "B1"))
    answering.start()
    first = next(pages)
    answering.join()
    # A1 in hand, B1 arrived: A2 is known but waits, as does C1.
    assert first.take()["name"] == "A1"
    assert not api.was_asked("A2") and not api.was_asked("C1")
    api.note("write A1")
    api.instant = True
    out = ["A1", *written(api, pages)]
    assert most_outstanding == 2
    assert sorted(out) == sorted(f"{name}{n}" for name in "ABCDEFGHIJ" for n in (1, 2))


def test_a_failed_fetch_comes_after_every_page_before_it_and_ends_the_requests() -> None:
    api = FakeApi({"A": 1, "B": 2, "C": 1}, instant=True)
    api.failing.add("B2")
    fetcher = in_flight(api, limit=1)
    pages = fetcher.pages(api.heads())
    handed = [taken(page) for page in pages]
    assert handed == [("A1", None), ("B1", None), (None, "B2 failed")]
    assert not api.was_asked("C1")  # one at a time: nothing was in flight after B2


def test_the_first_chain_with_a_known_page_is_asked_first_when_a_place_frees() -> None:
    """Two places: A1 and B1 are asked. When A1 is written, A2 takes the place, not C1."""
    api = FakeApi({"A": 2, "B": 1, "C": 1})
    fetcher = in_flight(api, limit=2)
    pages = fetcher.pages(api.heads())
    answering = threading.Thread(target=lambda: api.answer("A1", "A2", "B1", "C1"))
    answering.start()
    written(api, pages)
    answering.join()
    asks = [event for event in api.events if event.startswith("ask ")]
    assert asks == ["ask A1", "ask B1", "ask A2", "ask C1"]


@pytest.mark.parametrize(
    ("requests_per_minute", "max_concurrent_requests", "expected"),
    [
        (5, 10, 1),  # the free plan: one request every 12 s leaves nothing to overlap
        (30, 10, 1),
        (31, 10, 2),
        (100, 10, 4),
        (6000, 10, 10),
        (6000, 40, 40),
        (6000, 1, 1),
    ],
)
def test_requests_in_flight_are_what_the_pace_can_keep_busy(
    requests_per_minute: int, max_concurrent_requests: int, expected: int
) -> None:
    assert requests_in_flight(requests_per_minute, max_concurrent_requests) == expected

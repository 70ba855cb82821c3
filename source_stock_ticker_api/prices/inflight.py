"""Requests in flight while records are written: pages fetched ahead, handed out as they come.

A sync's pages form chains: each ticker's pages (page k+1 is known only once page k has arrived
and named its `next_url`), and the planned grouped days (one chain, every page known at once).
Up to `limit` requests are in flight at once, the first chains' first. The writer takes the next
page of the first chain whose page has arrived: a ticker's records still leave oldest first and
the grouped days in date order, while different tickers' pages are written as they arrive. The
CDK checkpoints after each page (slice), so a ticker's cursor only passes pages written. With a
limit of 1 each request waits for the page before it to be written: a sequential sync.

Why not the CDK's concurrent framework (ConcurrentSourceAdapter, StreamFacade): it keeps one
cursor per stream, as merged ranges; a cursor per partition (our tickers) is offered to
declarative sources only. See README, "Requests in flight".

Memory is bounded: the pages requested and not yet written weigh at most `bars_ahead` bars (as
many as the market's hours allow them), whatever the sync's size; one page is always allowed.

Every request goes through the stream's own CDK HTTP client, in a worker thread: the pace
(one shared APIBudget, which is thread-safe), retries, backoff, Retry-After, error messages and
key hygiene are those of a sequential request. Workers are daemon threads: a sync that fails
or is stopped does not wait for requests still in flight, whose pages nobody would write.
"""

from __future__ import annotations

import heapq
import math
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The slowest a page of the API takes to arrive (0.1 to 2 s measured): more requests in flight
# than the pace allows in that time would only wait for the pace.
SLOWEST_PAGE_SECONDS = 2.0
# Bars of the pages asked for and not yet written, at most: two full pages (bars.page_limit),
# about 60 MB parsed. 150,000 kept more tickers coming on a slow network (README, Performance)
# but took the 4-ticker minute benchmark over 250 MB.
BARS_AHEAD = 100_000
# A grouped day holds a bar of every US stock that traded: about 12,000 on the real API.
GROUPED_DAY_BARS = 12_000


def requests_in_flight(requests_per_minute: int, max_concurrent_requests: int) -> int:
    """max_concurrent_requests, but no more than the pace can keep busy.

    The free plan's 5 a minute give one request every 12 s: one in flight, as without this.
    100 a minute keep 4 busy; a paid plan's pace (6000) keeps any number busy.
    """
    usable = math.ceil(requests_per_minute / 60 * SLOWEST_PAGE_SECONDS)
    return max(1, min(max_concurrent_requests, usable))


@dataclass(frozen=True)
class PageRequest:
    """A page to fetch: the request (a typed slice) that names it, and how many bars it may
    hold."""

    request: Mapping[str, Any]
    bars: int


class Page(Mapping[str, Any]):
    """A page handed to the writer, as the CDK's slice: its request, and what fetching it
    returned or raised, taken once (`take`), so the page's bars go once it is written.

    A Mapping of its request's fields: the CDK logs slices as dicts (`--debug`).
    """

    def __init__(self, request: Mapping[str, Any], answer: Any, error: BaseException | None):
        self.request = request
        self._answer = answer
        self._error = error

    @property
    def failed(self) -> bool:
        return self._error is not None

    def take(self) -> Any:
        """What the fetch returned, or the error it raised, raised here in the writer."""
        if self._error is not None:
            raise self._error
        answer, self._answer = self._answer, None
        return answer

    def __getitem__(self, key: str) -> Any:
        return self.request[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self.request)

    def __len__(self) -> int:
        return len(self.request)


@dataclass
class _Ahead:
    request: PageRequest
    arrived: bool = False
    answer: Any = None
    error: BaseException | None = None


@dataclass
class _Chain:
    """One chain: its pages known and not requested yet, and those requested and not yet handed
    out, both oldest first."""

    index: int
    known: deque[PageRequest]
    ahead: deque[_Ahead] = field(default_factory=deque)

    @property
    def ready(self) -> bool:
        return bool(self.ahead) and self.ahead[0].arrived

    @property
    def done(self) -> bool:
        return not self.known and not self.ahead


Fetch = Callable[[Any], Any]
Follow = Callable[[Any], "PageRequest | None"]


class PagesInFlight:
    """Fetches the pages of a sync's chains ahead of the writer, at most `limit` at once.

    `fetch(request)` makes one request, in a worker thread, and returns its answer;
    `follow(answer)`, also in the worker, names the chain's next page, or None after the last.
    `first_alone`: no second request before the first has been answered.
    """

    def __init__(
        self, fetch: Fetch, follow: Follow, limit: int, bars_ahead: int, first_alone: bool = False
    ) -> None:
        self._fetch = fetch
        self._follow = follow
        self._limit = limit
        self._bars_ahead = bars_ahead
        self._changed = threading.Condition()
        self._chains: list[_Chain] = []
        self._wanting: list[int] = []  # heap: chains with a known page not requested yet
        self._ready: list[int] = []  # heap: chains whose oldest page requested has arrived
        self._first = 0  # no chain before this one is open (has pages not yet handed out)
        self._failed = sys.maxsize  # the first chain whose fetch raised
        self._outstanding = 0  # pages requested and not written yet
        self._in_flight = 0
        self._weight = 0  # expected bars of the pages requested and not written yet
        self._closed = False
        # With `first_alone`, one request alone until an answer arrives: a key the API rejects
        # costs one request, not one per request in flight (after it, none: polygon/halt.py).
        self._answered = not first_alone
        self.most_in_flight = 0  # for the log's totals and tests: the most requests at once

    def pages(self, chains: Sequence[Sequence[PageRequest]]) -> Iterator[Page]:
        """Every page of every chain, each chain's in order; among chains, the first (in the
        order given) whose next page has arrived.

        A page counts against the limits from its request until the writer asks for the next
        one: with a limit of 1, each request waits for the page before it to be written, and
        the pages come exactly in the order given. A page whose fetch raised comes with its
        error once every chain before its own is done; no request is made after it for the
        chains after it.
        """
        with self._changed:
            nonempty = [known for known in chains if known]
            self._chains = [_Chain(i, deque(known)) for i, known in enumerate(nonempty)]
            self._wanting = [chain.index for chain in self._chains]
        try:
            while True:
                with self._changed:
                    self._fill()
                    chain = self._next_ready()
                    while chain is None and self._first_open() < len(self._chains):
                        self._changed.wait()
                        chain = self._next_ready()
                    if chain is None:
                        return
                    ahead = chain.ahead.popleft()
                    if chain.ready:
                        heapq.heappush(self._ready, chain.index)
                    if ahead.error is not None:
                        self._closed = True
                page = Page(ahead.request.request, ahead.answer, ahead.error)
                ahead.answer = None  # the writer's page holds it, and lets it go once written
                yield page
                if page.failed:
                    return
                del page
                with self._changed:  # written: its place goes to the next request
                    self._outstanding -= 1
                    self._weight -= ahead.request.bars
        finally:
            with self._changed:
                self._closed = True

    def _next_ready(self) -> _Chain | None:
        """The first chain whose next page has arrived. A page whose fetch raised waits until
        every chain before its own is done: the sync stops there, after all they hold."""
        while self._ready:
            chain = self._chains[self._ready[0]]
            if not chain.ready:
                heapq.heappop(self._ready)
            elif chain.ahead[0].error is not None and self._first_open() < chain.index:
                return None
            else:
                heapq.heappop(self._ready)
                return chain
        return None

    def _first_open(self) -> int:
        while self._first < len(self._chains) and self._chains[self._first].done:
            self._first += 1
        return self._first

    def _fill(self) -> None:
        """Requests known pages, of the first chains first, while the limits allow.

        Called with the lock held, whenever a page arrives or is written.
        """
        limit = self._limit if self._answered else 1
        while self._wanting and not self._closed and self._outstanding < limit:
            chain = self._chains[self._wanting[0]]
            if chain.index > self._failed:
                return  # a page before it failed: the sync stops there
            request = chain.known[0]
            if self._outstanding and self._weight + request.bars > self._bars_ahead:
                return  # later chains wait their turn: no skipping ahead of this one
            chain.known.popleft()
            if not chain.known:
                heapq.heappop(self._wanting)
            ahead = _Ahead(request)
            chain.ahead.append(ahead)
            self._outstanding += 1
            self._in_flight += 1
            self._weight += request.bars
            self.most_in_flight = max(self.most_in_flight, self._in_flight)
            threading.Thread(target=self._run, args=(chain, ahead), daemon=True).start()

    def _run(self, chain: _Chain, ahead: _Ahead) -> None:
        following: PageRequest | None = None
        try:
            answer = self._fetch(ahead.request.request)
            following = self._follow(answer)
        except BaseException as error:  # handed to the writer, raised there in its place
            answer = None
            ahead.error = error
        with self._changed:
            if ahead.error is not None:
                self._failed = min(self._failed, chain.index)
            else:
                self._answered = True
            ahead.arrived, ahead.answer = True, answer
            self._in_flight -= 1
            if following is not None:
                if not chain.known:
                    heapq.heappush(self._wanting, chain.index)
                chain.known.append(following)
            if chain.ahead and chain.ahead[0] is ahead:
                heapq.heappush(self._ready, chain.index)
            self._fill()
            self._changed.notify_all()

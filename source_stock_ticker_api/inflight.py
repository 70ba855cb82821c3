"""Requests in flight while records are written: pages fetched ahead, handed out in order.

A sync's pages form chains: each ticker's pages (page k+1 is known only once page k has
arrived and named its `next_url`), and each grouped day (a chain of one). Chains are
independent, so up to `limit` requests are in flight at once, across chains and along each
chain as soon as its next page is known. The writer takes pages in the order a sequential sync
reads them: chain by chain, page by page. So a ticker's records still leave oldest first, and
the CDK's checkpoint after each page (slice) still covers exactly the pages written.

Why not the CDK's concurrent framework (ConcurrentSourceAdapter, StreamFacade): it reads the
partitions of a stream out of order and keeps one cursor per stream, as merged date ranges;
per-ticker state is offered to declarative sources only. See README, "Requests in flight".

Memory is bounded: the pages requested and not yet written weigh at most `bars_ahead` bars
(their expected size), except that the writer's own chain may always have one page coming, so
a sync never stalls on a large page.

Every request goes through the stream's own CDK HTTP client, in a worker thread: the pace
(one shared APIBudget, which is thread-safe), retries, backoff, Retry-After, error messages and
key hygiene are those of a sequential request. Workers are daemon threads: a sync that fails
or is stopped does not wait for requests still in flight, whose pages nobody would write.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# The slowest a page of the API takes to arrive (0.1 to 2 s measured): more requests in flight
# than the pace allows in that time would only wait for the pace.
SLOWEST_PAGE_SECONDS = 2.0
# Bars fetched ahead of the writer, at most: four full pages (bars.page_limit), about 100 MB
# parsed. Enough to keep the next page of every ticker coming while one is written.
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
    """A page to fetch: the slice that names it, and how many bars it may hold."""

    stream_slice: Mapping[str, Any]
    bars: int


@dataclass
class Page:
    """A page handed to the writer: its slice and what fetching it returned or raised."""

    stream_slice: Mapping[str, Any]
    answer: Any = None
    error: BaseException | None = None


@dataclass
class _Ahead:
    request: PageRequest
    arrived: bool = False
    answer: Any = None
    error: BaseException | None = None


@dataclass
class _Chain:
    """One chain's pages requested and not yet handed out, oldest first, and what follows."""

    head: PageRequest | None  # not requested yet
    ahead: deque[_Ahead] = field(default_factory=deque)
    following: PageRequest | None = None  # known from the last page arrived, not requested yet
    ended: bool = False  # no page follows the last one requested


Fetch = Callable[[Mapping[str, Any]], Any]
Follow = Callable[[Mapping[str, Any], Any], "PageRequest | None"]


class PagesInFlight:
    """Fetches the pages of `chains` ahead of the writer, at most `limit` at once.

    `fetch(slice)` makes one request, in a worker thread, and returns its answer; `follow(slice,
    answer)`, also in the worker, names the chain's next page, or None after the last.
    """

    def __init__(self, fetch: Fetch, follow: Follow, limit: int, bars_ahead: int) -> None:
        self._fetch = fetch
        self._follow = follow
        self._limit = limit
        self._bars_ahead = bars_ahead
        self._changed = threading.Condition()
        self._chains: list[_Chain] = []
        self._writing = 0  # index of the chain the writer is in
        self._outstanding = 0  # pages requested and not written yet
        self._in_flight = 0
        self._weight = 0  # expected bars of the pages requested and not written yet
        self._closed = False
        self.most_in_flight = 0  # for the benchmark and tests: the most requests at once

    def pages(self, heads: Sequence[PageRequest]) -> Iterator[Page]:
        """Every page of every chain, in order; each chain starts from its head.

        A page counts against the limits from its request until the writer asks for the next
        one: with a limit of 1, each request waits for the page before it to be written, as in
        a sequential sync. A page whose fetch raised comes with its error, after every page
        before it, and ends the chains: no later request is made.
        """
        with self._changed:
            self._chains = [_Chain(head) for head in heads]
        try:
            for index, chain in enumerate(self._chains):
                while True:
                    with self._changed:
                        self._writing = index
                        self._fill()
                        while not (chain.ahead and chain.ahead[0].arrived) and not self._done(
                            chain
                        ):
                            self._changed.wait()
                        if not chain.ahead:
                            break
                        ahead = chain.ahead.popleft()
                        if ahead.error is not None:
                            self._closed = True
                        self._fill()  # the chain's next page, while this one is written
                    page = Page(ahead.request.stream_slice, ahead.answer, ahead.error)
                    ahead.answer = None  # the writer's page holds it, and lets it go once written
                    yield page
                    if page.error is not None:
                        return
                    del page
                    with self._changed:  # written: its place goes to the next request
                        self._outstanding -= 1
                        self._weight -= ahead.request.bars
        finally:
            with self._changed:
                self._closed = True

    @staticmethod
    def _done(chain: _Chain) -> bool:
        return not chain.ahead and chain.head is None and chain.following is None and chain.ended

    def _fill(self) -> None:
        """Requests the next known pages, the writer's chain first, while the limits allow.

        Called with the lock held, whenever a page arrives or is handed out.
        """
        if self._closed:
            return
        for chain in self._chains[self._writing :]:
            if self._outstanding >= self._limit:
                return
            request = chain.head or chain.following
            if request is None:
                continue
            first = chain is self._chains[self._writing] and not chain.ahead
            if not first and self._weight + request.bars > self._bars_ahead:
                return  # later chains wait their turn: no skipping ahead of this one
            chain.head = chain.following = None
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
            answer = self._fetch(ahead.request.stream_slice)
            following = self._follow(ahead.request.stream_slice, answer)
        except BaseException as error:  # handed to the writer, raised there in order
            answer = None
            ahead.error = error
        with self._changed:
            ahead.arrived, ahead.answer = True, answer
            self._in_flight -= 1
            chain.following = following
            chain.ended = following is None
            self._fill()
            self._changed.notify_all()

"""A price page read into a value: the API's bars and the figures taken from the raw page.

Reading happens where the page arrives (a worker thread of inflight.py, or the writer's): the
body is parsed once (the error handler already did), and what comes next (`following`) is known
before any record is built. Records are built lazily, when the page is written: a page of
50,000 minute bars as dicts would weigh ten times its bars.

API docs: https://polygon.io/docs/rest/stocks/aggregates/custom-bars (and under /crypto/,
/forex/, /indices/, /options/); https://polygon.io/docs/rest/stocks/aggregates/daily-market-summary
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from source_stock_ticker_api.bars import day_start, to_ms
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.endpoints import next_page
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.polygon.stream import Fetched
from source_stock_ticker_api.prices.records import Records, Render
from source_stock_ticker_api.prices.slices import GroupedDay, TickerPage

Bar = Mapping[str, Any]


@dataclass(frozen=True)
class TickerPageResult:
    """One page of one ticker's bars, oldest first, and the page it names next."""

    request: TickerPage
    bars_read: Sequence[Bar]
    following: TickerPage | None  # None on the ticker's last page, and after a refusal
    refusal: Refusal | None

    @property
    def bars(self) -> int:
        return len(self.bars_read)

    @property
    def first_ms(self) -> int | None:
        return self.bars_read[0]["t"] if self.bars_read else None

    @property
    def last_ms(self) -> int | None:
        return self.bars_read[-1]["t"] if self.bars_read else None

    def records(self, records: Records, render: Render) -> Iterator[dict[str, Any]]:
        return records(self.request.ticker, self.bars_read, render)


@dataclass(frozen=True)
class GroupedDayResult:
    """One grouped day: the bar of each of its tickers that has one, stamped with the day's
    start (the grouped `t` is the bar's end, 16:00 New York: polygon-io/issues#250), so the
    record is the custom-bars endpoint's, byte for byte."""

    request: GroupedDay
    bars_by_ticker: Mapping[str, Bar]
    refusal: Refusal | None

    def bars_of(self, tickers: Sequence[str]) -> dict[str, Bar]:
        """The day's bars of `tickers`, in their order."""
        found = self.bars_by_ticker
        return {ticker: found[ticker] for ticker in tickers if ticker in found}


PageResult = TickerPageResult | GroupedDayResult


def read_ticker_page(
    request: TickerPage, fetched: Fetched, bodies: ParsedBodies
) -> TickerPageResult:
    """The page's bars and the page after it; a refused page has neither."""
    if not fetched.response.ok:
        return TickerPageResult(request, (), None, fetched.refusal)
    body = bodies.of(fetched.response)
    following = next_page(body)
    return TickerPageResult(
        request,
        body.get("results") or (),
        request.next(following) if following is not None else None,
        None,
    )


def read_grouped_day(
    request: GroupedDay, fetched: Fetched, bodies: ParsedBodies
) -> GroupedDayResult:
    """The day's bars of the request's tickers; a refused day has none."""
    if not fetched.response.ok:
        return GroupedDayResult(request, {}, fetched.refusal)
    wanted = set(request.tickers)
    start_ms = to_ms(day_start(request.day))
    found = {
        str(bar["T"]): {**bar, "t": start_ms}
        for bar in bodies.of(fetched.response).get("results") or ()
        if bar.get("T") in wanted
    }
    return GroupedDayResult(request, found, None)

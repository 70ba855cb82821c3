"""One sync of one price stream, from its plan to its one error: plain code on a `fetch`.

The plan (plan.py) names the chains of pages; inflight.py fetches them ahead, each read into a
value where it arrives (pages.py); the writer takes each page in turn: its records, the cursor
moved past its complete bars (cursors.py), the figures counted (progress.py) and said
(report.py). The API's refusals are kept, ticker by ticker, for one config_error at the end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping
from datetime import date, datetime
from typing import Any

import orjson
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.bars import TimeFormatter, day_start, to_ms
from source_stock_ticker_api.cdk.record_pages import records_as_messages
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.messages import refused_tickers_message
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.request import ApiRequest
from source_stock_ticker_api.polygon.stream import Fetched
from source_stock_ticker_api.prices.cursors import Cursors
from source_stock_ticker_api.prices.empty import last_possible_bar
from source_stock_ticker_api.prices.inflight import (
    BARS_AHEAD,
    Page,
    PageRequest,
    PagesInFlight,
    requests_in_flight,
)
from source_stock_ticker_api.prices.pages import (
    GroupedDayResult,
    PageResult,
    TickerPageResult,
    read_grouped_day,
    read_ticker_page,
)
from source_stock_ticker_api.prices.plan import SyncPlan
from source_stock_ticker_api.prices.progress import Progress
from source_stock_ticker_api.prices.records import records_of
from source_stock_ticker_api.prices.report import Line, Report
from source_stock_ticker_api.prices.slices import GroupedDay, TickerPage

Fetch = Callable[[ApiRequest], Fetched]


class PriceSync:
    """The read of one price stream: `opening`, then `slices` and `read` for each, `closing`."""

    def __init__(
        self,
        name: str,
        plan: SyncPlan,
        config: StockTickerConfig,
        cursors: Cursors,
        now: datetime,
        fetch: Fetch,
        bodies: ParsedBodies,
        logger: logging.Logger,
    ) -> None:
        self._name = name
        self._plan = plan
        self._config = config
        self._cursors = cursors
        self._now_ms = to_ms(now)
        self._fetch = fetch
        self._bodies = bodies
        self._logger = logger
        self._formatter = TimeFormatter(plan.market.zone)
        self._records = records_of(plan.market)
        self._refused: dict[str, str] = {}  # ticker -> the words of its refusal, in order
        self._with_bars: set[str] = set()  # tickers read per ticker that got a bar so far
        self._first_ms = {t.ticker: t.first_ms for t in plan.tickers}
        self._progress = Progress(plan)
        today: date = now.astimezone(plan.market.zone).date()
        self._report = Report(name, plan, today)
        self._most_in_flight = 0

    @property
    def plan(self) -> SyncPlan:
        return self._plan

    def opening(self) -> Iterator[StreamData]:
        """The plan in the log, and the first estimate."""
        progress = self._progress
        self._log(
            self._report.opening(progress.planned, progress.requests_planned, self._config.end_date)
        )
        yield from self._estimate()

    def slices(self) -> Iterator[Page]:
        """Every page of the plan, each a slice once it has arrived (inflight.py): each
        ticker's pages in time order, the grouped days in date order. One request at a time,
        ticker by ticker."""
        config = self._config
        pages = PagesInFlight(
            self._fetch_page,
            self._following,
            requests_in_flight(config.requests_per_minute, config.max_concurrent_requests),
            BARS_AHEAD,
            first_alone=True,  # a rejected key costs one request, whatever the limit
        )
        chains = self._plan.first_pages()
        for page in pages.pages(chains):
            self._most_in_flight = pages.most_in_flight
            yield page

    def _fetch_page(self, request: TickerPage | GroupedDay) -> PageResult | None:
        """One page, read where it arrives; None, with no request, for a grouped day whose
        tickers have all been refused."""
        if isinstance(request, GroupedDay):
            if not self._not_refused(request.tickers):
                return None
            return read_grouped_day(request, self._fetch(request), self._bodies)
        return read_ticker_page(request, self._fetch(request), self._bodies)

    def _following(self, result: PageResult | None) -> PageRequest | None:
        """The page after this one, weighed by what the market's hours allow in it."""
        if not isinstance(result, TickerPageResult) or result.following is None:
            return None
        return PageRequest(result.following, self._plan.bars_after(result.last_ms))

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        assert isinstance(stream_slice, Page)
        request = stream_slice.request
        if isinstance(request, GroupedDay):
            yield from self._read_day(request, stream_slice)
        else:
            result = stream_slice.take()
            assert isinstance(result, TickerPageResult)
            yield from self._read_page(result)

    def _read_page(self, result: TickerPageResult) -> Iterator[StreamData]:
        """A ticker's page: its records, its cursor moved, then its line and the new estimate.

        A refused page names no next page: the ticker's plan will not change in this sync.
        """
        ticker = result.request.ticker
        yield from records_as_messages(self._name, result.records(self._records, self._render))
        self._advance(ticker, result.bars_read)
        if result.bars:
            self._with_bars.add(ticker)
        elif result.refusal is None and result.following is None:
            if ticker not in self._with_bars:
                self._pass_empty_range(ticker)
        self._progress.page_read(result, self._last_record_bytes(result))
        if result.refusal is not None:
            self._refused[ticker] = result.refusal.message
        self._log(self._report.page(result, ticker in self._refused))
        yield from self._estimate()

    def _read_day(self, request: GroupedDay, page: Page) -> Iterator[StreamData]:
        """One grouped day: its tickers not refused so far, their records in configuration
        order and cursors, then the new estimate. Nothing when its tickers were all refused
        on an earlier day: its request, if it was made ahead, is not needed any more."""
        tickers = self._not_refused(request.tickers)
        if not tickers:
            return
        result = page.take()
        assert isinstance(result, GroupedDayResult)
        if result.refusal is not None:
            for ticker in tickers:
                self._refused[ticker] = result.refusal.message
        lines = self._report.grouped_day(result, tickers, list(self._refused))
        records: list[dict[str, Any]] = []
        if result.refusal is None:
            found = result.bars_of(tickers)
            for ticker, bar in found.items():
                records += self._records(ticker, (bar,), self._render)
                self._advance(ticker, (bar,))
            self._pass_empty_day(request, [t for t in tickers if t not in found])
        self._log(lines)
        yield from records_as_messages(self._name, records)
        self._progress.day_read(result, len(records))
        yield from self._estimate()

    def closing(self) -> None:
        """The totals, then one config_error for the tickers the API refused.

        Raised after the last STATE message, so every readable ticker is read and saved first.
        """
        report, progress = self._report, self._progress
        for ticker in report.unfinished():  # a sync stopped by the reader's limit (_limit)
            self._log(report.end_ticker(ticker, ticker in self._refused))
        self._log(
            [
                report.totals(
                    progress.read(),
                    progress.planned,
                    progress.requests_planned,
                    self._most_in_flight,
                )
            ]
        )
        if self._refused:
            raise AirbyteTracedException(
                message=refused_tickers_message(self._refused, len(self._config.tickers)),
                internal_message=f"Refused by the API: {', '.join(self._refused)}.",
                failure_type=FailureType.config_error,
            )

    def _not_refused(self, tickers: Iterable[str]) -> list[str]:
        return [ticker for ticker in tickers if ticker not in self._refused]

    def _advance(self, ticker: str, bars: Any) -> None:
        zone = self._plan.market.zone
        self._cursors.advance(ticker, bars, self._plan.query, zone, self._now_ms, self._formatter)

    def _pass_empty_range(self, ticker: str) -> None:
        """A ticker's range answered with no bar at all: its cursor moves to the last bar that
        could have been there and is complete (empty.py), so the next sync starts after it."""
        plan = self._plan
        first_ms = self._first_ms[ticker]
        last = last_possible_bar(plan.market, plan.query, first_ms, plan.after_end_ms, self._now_ms)
        if last is not None:
            self._cursors.pass_empty(ticker, last, self._formatter)

    def _pass_empty_day(self, request: GroupedDay, absent: Iterable[str]) -> None:
        """A grouped day holds every ticker that traded: one absent from it has no bar that
        day, and its cursor moves there once the day's bar would be complete (cursors.py)."""
        plan = self._plan
        start_ms = to_ms(day_start(request.day, plan.market.zone))
        if plan.bar_end(start_ms) <= self._now_ms:
            for ticker in absent:
                self._cursors.pass_empty(ticker, start_ms, self._formatter)

    def _render(self, ms: int) -> tuple[str, str]:
        return self._formatter.render(ms)

    def _last_record_bytes(self, result: TickerPageResult) -> int | None:
        """The size of the page's last record as JSON, for the estimate's bytes."""
        if not result.bars_read:
            return None
        (last,) = self._records(result.request.ticker, result.bars_read[-1:], self._render)
        return len(orjson.dumps(last))

    def _estimate(self) -> Iterator[StreamData]:
        message = self._progress.estimate_message(self._name)
        if message is not None:
            yield message

    def _log(self, lines: Iterable[Line]) -> None:
        for level, text in lines:
            self._logger.log(level, text)

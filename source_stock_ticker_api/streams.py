"""The price streams, one per market: custom bars per ticker from the aggregates endpoint, and
daily stock bars of many tickers at once from the grouped daily endpoint when that takes fewer
requests (planner.py, grouped.py).

`stock_prices` came first; the other markets' streams are thin subclasses that change only what
their market changes (markets.py): the zone of a bar's date, the calendar, the record's fields.

API docs: https://polygon.io/docs/rest/stocks/aggregates/custom-bars (and the same page under
/crypto/, /forex/, /indices/ and /options/)
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cached_property
from typing import Any

import orjson
import requests
from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    ConfiguredAirbyteStream,
    EstimateType,
    FailureType,
    SyncMode,
    TraceType,
    Type,
)
from airbyte_cdk.sources.streams import CheckpointMixin
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig
from airbyte_cdk.sources.utils.slice_logger import SliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.auth import AuthBase

from source_stock_ticker_api import clock
from source_stock_ticker_api.api import (
    aggs_params,
    aggs_path,
    next_page,
    readable_point,
)
from source_stock_ticker_api.bars import (
    INTRADAY,
    MAX_BARS_PER_PAGE,
    TimeFormatter,
    bar_end_ms,
    day_start,
    page_limit,
    to_ms,
)
from source_stock_ticker_api.cdk_overrides import records_as_messages
from source_stock_ticker_api.config import EARLIEST_DATE, StockTickerConfig
from source_stock_ticker_api.estimates import Estimate, estimate
from source_stock_ticker_api.grouped import GroupedReads, reads_grouped
from source_stock_ticker_api.inflight import (
    BARS_AHEAD,
    GROUPED_DAY_BARS,
    Page,
    PageRequest,
    PagesInFlight,
    requests_in_flight,
)
from source_stock_ticker_api.markets import CRYPTO, FOREX, INDICES, OPTIONS, STOCKS, Market
from source_stock_ticker_api.messages import counted, no_bars_warning, refused_tickers_message
from source_stock_ticker_api.polygon_stream import Fetched, PolygonStream
from source_stock_ticker_api.records import bar_records
from source_stock_ticker_api.state import (
    SETTINGS_KEY,
    bar_settings,
    check_bar_settings,
    legacy_date,
    state_timestamp,
    validate_state,
)

# Size of a record's data as JSON before any is read: a minute bar of AAPL with every field.
# The estimate for the platform then uses the last record of each page.
RECORD_BYTES = 230
# Tickers named in the one line about tickers that need no request; the rest are counted.
NAMED_IDLE_TICKERS = 10


@dataclass
class _TickerRead:
    """What one ticker's pages of this sync returned, for one warning at most."""

    ticker: str
    first: str  # the range's start: a date or Unix ms
    last: str = ""  # the range's end
    bars: int = 0
    past_trading_day: bool = False  # the range holds a finished trading day


@dataclass
class TickerPlan:
    """One ticker's part of a sync: its pending range, and what is left of it to read.

    `left` starts as what the market's hours allow (estimates.py) and is corrected by each page.
    """

    ticker: str
    first_ms: int  # start of the first bar to read
    start: str  # the same, as the API takes it: a date when it is a day's start, else Unix ms
    end: str  # end_date
    left: Estimate
    bars: int = 0  # read so far
    requests: int = 0  # made so far


@dataclass
class SyncPlan:
    """The tickers to read, in order, and those that need no request at all."""

    tickers: list[TickerPlan]
    idle: list[str]  # nothing can be new for them: the market has not been open since
    horizon_ms: int  # bars starting from here on do not exist yet, or are after end_date
    # Read with the grouped daily endpoint (planner.py): one request a day for all of them.
    grouped_tickers: int = 0
    grouped_days: int = 0  # left to read
    grouped_bars: int = 0  # left to read: one per ticker and day, at most
    grouped_read: Estimate = Estimate()  # bars read, and days read as requests

    @cached_property
    def by_ticker(self) -> dict[str, TickerPlan]:
        """The tickers read per ticker, by name: looked up once per page."""
        return {ticker.ticker: ticker for ticker in self.tickers}

    def left(self) -> Estimate:
        total = Estimate(self.grouped_bars, self.grouped_days)
        for ticker in self.tickers:
            total += ticker.left
        return total

    def requests_left(self, page_limit: int) -> int:
        return self.grouped_days + sum(t.left.requests(page_limit) for t in self.tickers)

    def read(self) -> Estimate:
        """Bars read so far, and the requests that read them."""
        total = self.grouped_read
        for ticker in self.tickers:
            total += Estimate(ticker.bars, ticker.requests)
        return total


class StockPrices(PolygonStream, CheckpointMixin):
    """Bars for every configured ticker, oldest first, with one cursor per ticker.

    State is `{"bar_settings": {...}, "AAPL": {"timestamp": "<start of the last complete bar>"},
    ...}` (see state.py). A bar still being formed (today's daily bar during trading) is emitted
    but does not move the cursor, so the next sync reads it again in its final form.

    Each ticker's whole pending range is asked for at once, with the largest `limit`, and each
    page of it is a slice: the CDK checkpoints after every page, so a sync stopped halfway
    resumes at the page it stopped on.
    """

    market: Market = STOCKS  # whose calendar says when a bar can exist, and in which zone
    ticker_field = "stock_ticker"  # the tutorial's name; the other markets' streams say `ticker`
    cursor_field = "timestamp"
    state_checkpoint_interval = None

    @property
    def name(self) -> str:
        return self.market.stream_name

    @property
    def primary_key(self) -> list[str]:
        return [self.ticker_field, "timestamp"]

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        super().__init__(config, authenticator, api_budget)
        self._state: dict[str, Any] = {}
        self._saved_settings: Mapping[str, Any] | None = None
        self._zone = self.market.zone
        self._formatter = TimeFormatter(self._zone)
        self._now_ms = to_ms(clock.now())
        self._page_limit = page_limit(config.timespan, config.multiplier)
        self._plan: SyncPlan | None = None
        self._page = _Page()
        self._following: tuple[str, list[tuple[str, str]]] | None = None  # the page's next_url
        self._arrived: Page | None = None  # the page of the slice being read (inflight.py)
        self._most_in_flight = 0  # the most requests in flight at once, this sync
        self._record_bytes = RECORD_BYTES
        self._estimated: tuple[int, int] | None = None  # the last estimate sent (rows, bytes)
        self._refusal: str | None = None  # the API's refusal of the page being read
        self._refused: dict[str, str] = {}  # ticker -> the words of its refusal, this sync
        self._ticker_reads: dict[str, _TickerRead] = {}  # tickers with pages still to read
        # Grouped daily reads (grouped.py, planner.py): day bars only.
        self._grouped = (
            GroupedReads(config, authenticator, api_budget, self._refused, self.logger)
            if reads_grouped(config) and self.market is STOCKS
            else None
        )

    @property
    def state(self) -> MutableMapping[str, Any]:
        """The cursors, always with the bar settings they were read with."""
        return {SETTINGS_KEY: bar_settings(self._config), **self._state}

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Accepts our per-ticker state and the tutorial's `{"date": "YYYY-MM-DD"}`.

        The saved bar settings are checked by stream_slices, which knows whether the sync
        resumes from them (incremental) or reads everything again (full refresh).
        """
        if not value:
            return
        validate_state(value)
        state = dict(value)
        self._saved_settings = state.pop(SETTINGS_KEY, None)
        if "date" in state:
            # The tutorial resumed after the last date it had read, for its one ticker. A date
            # before any bar leaves nothing to skip.
            day = legacy_date(state.pop("date"))
            if day >= EARLIEST_DATE:
                legacy = {"timestamp": self._formatter.render(to_ms(day_start(day, self._zone)))[0]}
                for ticker in self._config.tickers:
                    state.setdefault(ticker, legacy)
        self._state = state

    def plan(self, sync_mode: SyncMode) -> SyncPlan:
        """Each ticker's pending range, and whether the market's hours allow a bar in it.

        A full refresh reads everything again, so its state starts empty: it never hands on a
        cursor it did not read, nor one read with other bar settings. A ticker whose range has
        no open market time up to now (a night, a weekend, a holiday, a cursor on end_date's
        last bar) gets no request: no bar can be new.
        """
        config, zone = self._config, self._zone
        if sync_mode == SyncMode.incremental:
            check_bar_settings(self._saved_settings, config, self.name)
        else:
            self._state = {}
        after_end_ms = to_ms(day_start(config.end_date + timedelta(days=1), zone))
        horizon_ms = min(self._now_ms, after_end_ms)
        plan = SyncPlan([], [], horizon_ms)
        for ticker in config.tickers:
            first_ms = to_ms(day_start(config.start_date, zone))
            entry = self._state.get(ticker)
            if entry is not None:
                cursor_ms = state_timestamp(entry["timestamp"], self.name)
                if cursor_ms >= after_end_ms:
                    # Nothing after the cursor is in range; and the bar after a cursor such as
                    # 9999-12-31 would not fit in a datetime.
                    self.logger.warning(
                        f"{ticker}: the saved position {entry['timestamp']} is after end_date "
                        f"{config.end_date}; nothing to read. If that position is wrong, reset "
                        f"(refresh) the {self.name} stream."
                    )
                    continue
                if cursor_ms >= first_ms:  # an older cursor predates every bar in range
                    first_ms = bar_end_ms(cursor_ms, config.timespan, config.multiplier, zone)
            pending = self._estimate(first_ms, horizon_ms)
            if not pending.base:
                plan.idle.append(ticker)
                continue
            first_day = self._day_of(first_ms)
            exact_day = first_ms == to_ms(day_start(first_day, zone))
            start = first_day.isoformat() if exact_day else str(first_ms)
            plan.tickers.append(
                TickerPlan(ticker, first_ms, start, config.end_date.isoformat(), pending)
            )
        if self._grouped is not None:  # day bars: grouped days where they cost less
            grouped = self._grouped.plan(
                {t.ticker: self._day_of(t.first_ms) for t in plan.tickers}, clock.now()
            )
            plan.tickers = [t for t in plan.tickers if t.ticker in grouped.per_ticker]
            plan.grouped_tickers = len(grouped.grouped)
            plan.grouped_days = len(grouped.days)
            plan.grouped_bars = sum(len(grouped.tickers_on(day)) for day in grouped.days)
        return plan

    def _day_of(self, ms: int) -> date:
        """The date of Unix ms `ms` in the market's zone."""
        return datetime.fromtimestamp(ms / 1000, self._zone).date()

    def _estimate(self, start_ms: int, end_ms: int) -> Estimate:
        config = self._config
        return estimate(self.market, start_ms, end_ms, config.timespan, config.multiplier)

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        """One slice per page: the planner's grouped days, in date order, and each ticker's
        whole pending range and each `next_url` it names, in time order.

        The pages are fetched ahead, up to `max_concurrent_requests` at once (inflight.py); a
        slice is handed to the CDK once its page has arrived, and the CDK checkpoints after it.
        Different tickers' pages come as they arrive; one at a time, ticker by ticker.
        The plan is the one made by `read` (or a new one, outside a sync).
        """
        config = self._config
        pages = PagesInFlight(
            self._fetch_page,
            self.following_page,
            requests_in_flight(config.requests_per_minute, config.max_concurrent_requests),
            BARS_AHEAD,
        )
        heads = self.first_pages(sync_mode)
        days = [head for head in heads if "day" in head.stream_slice]  # written in order
        chains = [days, *([head] for head in heads if "day" not in head.stream_slice)]
        for page in pages.pages(chains):
            self._arrived = page
            del page
            self._most_in_flight = pages.most_in_flight
            yield self._arrived.stream_slice
            self._arrived = None  # written: its bars may go while the next page is awaited

    def first_pages(self, sync_mode: SyncMode) -> list[PageRequest]:
        """The first page of every chain of pages (inflight.py), in the order they are read:
        each grouped day, then each ticker's whole pending range.

        The plan made by `read`, or a new one outside a sync.
        """
        plan = self._plan if self._plan is not None else self.plan(sync_mode)
        heads = [PageRequest(day, GROUPED_DAY_BARS) for day in self._grouped_days()]
        for ticker in plan.tickers:
            first = {"ticker": ticker.ticker, "from": ticker.start, "to": ticker.end, "page": 1}
            heads.append(PageRequest(first, max(1, min(MAX_BARS_PER_PAGE, ticker.left.bars))))
        return heads

    def _grouped_days(self) -> Iterator[dict[str, Any]]:
        return self._grouped.slices() if self._grouped is not None else iter(())

    def _fetch_page(self, stream_slice: Mapping[str, Any]) -> Fetched | None:
        """The request of one slice, in a worker thread of inflight.py, or in this one. None,
        with no request, for a grouped day whose tickers have all been refused."""
        if "day" in stream_slice:
            assert self._grouped is not None
            if not self._grouped.tickers_left(stream_slice):
                return None
            return self._grouped.fetch(stream_slice)
        return self.fetch(stream_slice)

    def following_page(
        self, stream_slice: Mapping[str, Any], fetched: Fetched | None
    ) -> PageRequest | None:
        """The slice of the page after this one: its `next_url`, re-based on our api_url. A
        grouped day, a refused page and a ticker's last page name none."""
        if "day" in stream_slice or fetched is None or not fetched.response.ok:
            return None
        body = self._bodies.of(fetched.response)
        following = next_page(body)
        if following is None:
            return None
        path, query = following
        page = {**stream_slice, "next_path": path, "next_query": query}
        page["page"] = stream_slice["page"] + 1
        return PageRequest(page, self._bars_after(body.get("results") or ()))

    def _bars_after(self, results: Sequence[Mapping[str, Any]]) -> int:
        """How many bars the page after these may hold, at most: what the market's hours allow
        up to the plan's horizon, and never more than a page holds."""
        config, plan = self._config, self._plan
        if not results or plan is None:
            return MAX_BARS_PER_PAGE
        end_ms = bar_end_ms(results[-1]["t"], config.timespan, config.multiplier, self._zone)
        left = self._estimate(end_ms, max(end_ms, plan.horizon_ms)).bars
        return max(1, min(MAX_BARS_PER_PAGE, left))

    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        assert stream_slice is not None
        if "next_path" in stream_slice:
            return str(stream_slice["next_path"]).lstrip("/")
        c = self._config
        return aggs_path(
            stream_slice["ticker"],
            c.multiplier,
            c.timespan,
            stream_slice["from"],
            stream_slice["to"],
        )

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        # `limit` bounds the bars of a page, hence memory, for second bars too (bars.page_limit).
        following = (stream_slice or {}).get("next_query")
        params: dict[str, Any] = dict(following) if following else {}
        # Index bars are never adjusted, and their endpoint does not take the parameter.
        adjusted = self._config.adjusted if self.market.takes_adjusted else None
        params.update(aggs_params(adjusted, self._page_limit))
        return params

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """None: each page is a slice of its own (see stream_slices), so the CDK checkpoints
        after every page."""
        return None

    def page_records(
        self, response: requests.Response, stream_slice: Mapping[str, Any]
    ) -> Iterable[Mapping[str, Any]]:
        """The page's bars as records (read_records wraps them into messages).

        A field the API leaves out (`vwap`, `transactions`) is left out of the record, not set
        to None: the CDK's serializer would drop it, and cdk_overrides.record_json relies on
        data holding no None.
        """
        ticker = stream_slice["ticker"]
        body = self._bodies.of(response)
        # The path and cursor of `next_url`, re-based on our own api_url.
        self._following = next_page(body)
        results = body.get("results") or ()
        if results:
            self._page = _Page(len(results), results[0]["t"], results[-1]["t"])
        data: Mapping[str, Any] | None = None
        for data in self._records(ticker, results):
            yield data
        if data is not None:
            self._record_bytes = len(orjson.dumps(data))
        self._advance_cursor(ticker, results)

    def _records(
        self, ticker: str, results: Sequence[Mapping[str, Any]]
    ) -> Iterable[Mapping[str, Any]]:
        """Stock records (records.py): the tutorial's `stock_ticker` and `price`, and `otc`."""
        return bar_records(ticker, results, self._formatter.render)

    def _advance_cursor(self, ticker: str, results: Sequence[Mapping[str, Any]]) -> None:
        """Moves the ticker's cursor to the page's last complete bar, never back.

        Bars come oldest first, so only the newest few (still forming) need a look.
        """
        config, now_ms = self._config, self._now_ms
        cursor = self._state.get(ticker)
        cursor_ms = state_timestamp(cursor["timestamp"]) if cursor else -1
        for bar in reversed(results):
            t = bar["t"]
            if t <= cursor_ms:
                return
            if bar_end_ms(t, config.timespan, config.multiplier, self._zone) <= now_ms:
                self._state[ticker] = {"timestamp": self._formatter.render(t)[0]}
                return

    def read(
        self,
        configured_stream: ConfiguredAirbyteStream,
        logger: logging.Logger,
        slice_logger: SliceLogger,
        stream_state: MutableMapping[str, Any],
        state_manager: Any,  # ConnectorStateManager, left untyped by the CDK
        internal_config: InternalConfig,
    ) -> Iterable[StreamData]:
        """The plan and its estimate, every page the API serves, then one config_error for the
        tickers it refused.

        Raised after the last STATE message, so every readable ticker is read and saved first;
        the CDK then marks the stream INCOMPLETE, and the sync exits non-zero.
        """
        plan = self._plan = self.plan(configured_stream.sync_mode)
        planned = plan.left()
        requests_planned = plan.requests_left(self._page_limit)
        to_read = len(plan.tickers) + plan.grouped_tickers
        self.logger.info(
            f"Plan: {counted(to_read, 'ticker')} to read, about "
            f"{counted(planned.bars, 'bar')} in about {counted(requests_planned, 'request')}"
            f"{_idle_words(plan.idle)}."
        )
        yield from self._estimate_message()
        yield from super().read(
            configured_stream, logger, slice_logger, stream_state, state_manager, internal_config
        )
        for ticker in list(self._ticker_reads):  # a sync stopped by the reader's limit (_limit)
            self._end_ticker(ticker)
        done = plan.read()
        bars, requests_made = done.bars, done.base
        at_once = f", up to {self._most_in_flight} at once" if self._most_in_flight > 1 else ""
        self.logger.info(
            f"Totals: {counted(bars, 'bar')} in {counted(requests_made, 'request')}{at_once} "
            f"(planned: about {counted(planned.bars, 'bar')} in about "
            f"{counted(requests_planned, 'request')})."
        )
        if self._refused:
            raise AirbyteTracedException(
                message=refused_tickers_message(self._refused, len(self._config.tickers)),
                internal_message=f"Refused by the API: {', '.join(self._refused)}.",
                failure_type=FailureType.config_error,
            )

    def _estimate_message(self) -> Iterator[AirbyteMessage]:
        """The protocol's ESTIMATE trace for this stream, when it changed: the bars read so far
        and those the plan still expects, so the platform can draw a progress bar."""
        if self._plan is None:
            return
        rows = self._plan.read().bars + self._plan.left().bars
        estimated = (rows, rows * self._record_bytes)
        if estimated == self._estimated:
            return
        self._estimated = estimated
        yield AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ESTIMATE,
                emitted_at=time.time() * 1000,
                estimate=AirbyteEstimateTraceMessage(
                    name=self.name,
                    type=EstimateType.STREAM,
                    row_estimate=estimated[0],
                    byte_estimate=estimated[1],
                ),
            ),
        )

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """Reads one page as RECORD messages, then logs one line a person can follow in the
        Airbyte UI, and sends the plan's new estimate.

        A refused page names no next page: the ticker's plan will not change in this sync.
        """
        assert stream_slice is not None
        page = self._arrived
        if page is None or page.stream_slice is not stream_slice:  # read outside stream_slices
            page = Page(stream_slice, self._fetch_page(stream_slice))
        if "day" in stream_slice:
            yield from self._read_grouped_day(stream_slice, page)
            return
        if page.error is not None:
            raise page.error
        fetched: Fetched = page.answer
        ticker = stream_slice["ticker"]
        seen = self._ticker_reads.get(ticker)
        if seen is None:
            seen = self._ticker_reads[ticker] = _TickerRead(ticker, str(stream_slice["from"]))
        self._page = _Page()
        self._refusal = fetched.refusal
        records = self.parse_response(fetched.response, stream_state={}, stream_slice=stream_slice)
        yield from records_as_messages(self.name, records)
        planned = self._ticker_plan(ticker)
        start, end = readable_point(str(stream_slice["from"])), stream_slice["to"]
        if planned is not None:
            planned.requests += 1
            planned.bars += self._page.bars
            self._replan(planned)
        if self._refusal is not None:
            self._refused[ticker] = self._refusal
            self.logger.warning(
                f"{ticker}: refused from {start} to {end} (reason above). Its later pages are "
                f"skipped; the other tickers are read, then the sync fails naming {ticker}."
            )
        else:
            self.logger.info(self._page_line(stream_slice, seen.bars + self._page.bars))
            seen.last = end
            seen.bars += self._page.bars
            if not (seen.bars or seen.past_trading_day):
                seen.past_trading_day = self._has_past_trading_day(stream_slice)
        if self._following is None or self._refusal is not None:
            self._end_ticker(ticker)
        yield from self._estimate_message()

    def _read_grouped_day(
        self, stream_slice: Mapping[str, Any], page: Page
    ) -> Iterator[StreamData]:
        """One grouped day (grouped.py): its records, then the plan's new estimate. Nothing
        when its tickers were all refused on an earlier day: its request, if it was made
        ahead, is not needed any more, whatever it answered."""
        assert self._grouped is not None
        if not self._grouped.tickers_left(stream_slice):
            return
        if page.error is not None:
            raise page.error
        day_records = list(self._grouped.read_day(stream_slice, page.answer, self._advance_cursor))
        yield from records_as_messages(self.name, day_records)
        plan = self._plan
        if plan is not None:
            plan.grouped_read += Estimate(len(day_records), 1)
            plan.grouped_days = max(0, plan.grouped_days - 1)
            plan.grouped_bars = max(0, plan.grouped_bars - len(stream_slice["tickers"]))
        yield from self._estimate_message()

    def _ticker_plan(self, ticker: str) -> TickerPlan | None:
        return None if self._plan is None else self._plan.by_ticker.get(ticker)

    def _replan(self, ticker: TickerPlan) -> None:
        """What is left of the ticker after this page: nothing on its last page; otherwise what
        the market's hours allow after the page, scaled by how full the read part was."""
        page = self._page
        if self._following is None or self._refusal is not None:
            ticker.left = Estimate()
            return
        if not page.bars:
            return
        config = self._config
        read_to_ms = bar_end_ms(page.last_ms, config.timespan, config.multiplier, self._zone)
        read = self._estimate(ticker.first_ms, read_to_ms)
        rest = self._estimate(read_to_ms, self._plan.horizon_ms if self._plan else read_to_ms)
        ratio = min(1.0, ticker.bars / read.bars) if read.bars else 1.0
        left = rest.scaled(ratio)
        # A next_url means one more request at least.
        ticker.left = Estimate(max(left.bars, 1), max(left.base, 1))

    def _page_line(self, stream_slice: Mapping[str, Any], ticker_bars: int) -> str:
        """`AAPL page 2: 50000 bars from 2024-03-01T09:00:00Z to 2024-05-20T13:39:00Z; more
        follow.`, or, on a ticker's last page, its totals."""
        ticker, number, page = stream_slice["ticker"], stream_slice["page"], self._page
        if page.bars:
            shown = 0 if self._config.timespan in INTRADAY else 1  # the timestamp, or the date
            first = self._formatter.render(page.first_ms)[shown]
            last = self._formatter.render(page.last_ms)[shown]
        else:
            first, last = readable_point(str(stream_slice["from"])), stream_slice["to"]
        line = f"{ticker} page {number}: {counted(page.bars, 'bar')} from {first} to {last}"
        if self._following is not None:
            return f"{line}; more follow."
        return f"{line}; done, {counted(ticker_bars, 'bar')} in {counted(number, 'request')}."

    def _end_ticker(self, ticker: str) -> None:
        """Once a ticker's pages are read: one warning if a range with trading days held no
        bar at all. An empty range before a listing, or after a delisting, says nothing."""
        seen = self._ticker_reads.pop(ticker, None)
        if seen and not seen.bars and seen.past_trading_day and seen.ticker not in self._refused:
            self.logger.warning(no_bars_warning(seen.ticker, readable_point(seen.first), seen.last))

    def _has_past_trading_day(self, stream_slice: Mapping[str, Any]) -> bool:
        """Whether a window holds a finished trading day of the ticker's market, so an empty
        answer is suspicious."""
        market = self.market
        start = str(stream_slice["from"])
        if start.isdigit():
            moment = datetime.fromtimestamp(int(start) / 1000, market.zone)
            # Resuming inside a day after its session opened: the rest may rightly be empty.
            session = market.session(moment.date())
            late = session is not None and moment.hour * 60 + moment.minute > session[0]
            day = moment.date() + timedelta(days=1) if late else moment.date()
        else:
            day = date.fromisoformat(start)
        today = clock.now().astimezone(market.zone).date()
        last = min(date.fromisoformat(str(stream_slice["to"])), today - timedelta(days=1))
        while day <= last:
            if market.is_trading_day(day):
                return True
            day += timedelta(days=1)
        return False


@dataclass(frozen=True)
class _Page:
    """What the page being read held: how many bars, and the first and last one's start."""

    bars: int = 0
    first_ms: int = 0
    last_ms: int = 0


def _idle_words(idle: Sequence[str]) -> str:
    """'; no request for AAPL, MSFT: ...', naming at most NAMED_IDLE_TICKERS of them."""
    if not idle:
        return ""
    names = ", ".join(idle[:NAMED_IDLE_TICKERS])
    if len(idle) > NAMED_IDLE_TICKERS:
        names += f" and {len(idle) - NAMED_IDLE_TICKERS} more"
    return (
        f"; no request for {names}: the market has not been open between "
        f"{'its' if len(idle) == 1 else 'their'} last complete bar and now or end_date"
    )


class _MarketPrices(StockPrices):
    """Bars of a market other than US stocks: `ticker` instead of `stock_ticker`, no `price`
    (the tutorial's) and no `otc`; `volume`, `vwap` and `transactions` when the bar has them
    (index bars never do)."""

    ticker_field = "ticker"

    def _records(
        self, ticker: str, results: Sequence[Mapping[str, Any]]
    ) -> Iterable[Mapping[str, Any]]:
        render = self._formatter.render
        for bar in results:
            timestamp, day = render(bar["t"])
            data = {
                "ticker": ticker,
                "date": day,
                "timestamp": timestamp,
                "open": bar["o"],
                "high": bar["h"],
                "low": bar["l"],
                "close": bar["c"],
            }
            for short, field in _VOLUME_FIELDS:
                value = bar.get(short)
                if value is not None:
                    data[field] = value
            yield data


_VOLUME_FIELDS = (("v", "volume"), ("vw", "vwap"), ("n", "transactions"))


class CryptoPrices(_MarketPrices):
    """`X:` tickers: every day of the year, dates in UTC."""

    market = CRYPTO


class ForexPrices(_MarketPrices):
    """`C:` tickers: Sunday evening to Friday evening, dates in UTC; `volume` counts ticks."""

    market = FOREX


class IndexPrices(_MarketPrices):
    """`I:` tickers: the NYSE regular session, dates in New York; values only, no volume."""

    market = INDICES


class OptionPrices(_MarketPrices):
    """`O:` tickers (OCC symbols): the NYSE regular session, dates in New York; sparse bars."""

    market = OPTIONS


PRICE_STREAMS: tuple[type[StockPrices], ...] = (
    StockPrices,
    CryptoPrices,
    ForexPrices,
    IndexPrices,
    OptionPrices,
)

"""Daily bars of many tickers at once, from the grouped daily endpoint (see planner.py).

API docs: https://polygon.io/docs/rest/stocks/aggregates/daily-market-summary

One request returns one day's bar of every US stock. The connector reads the days its plan
names, one slice of `stock_prices` each, and keeps the bars of the tickers configured. The
records are the ones the custom-bars endpoint gives, byte for byte (records.py): the grouped `t`
is the bar's end (16:00 New York) where a custom bar's is its start, so the bar is stamped with
the start of the requested day, the trading date in New York.

The state moves as with per-ticker reads: after each day, every ticker with a complete bar that
day has its cursor on it (the CDK checkpoints after each slice). A sync stopped part-way resumes
after the last day it saved, with no gap; a ticker missing from a day (halted, not listed yet)
keeps its cursor, so nothing after it is skipped either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import date, datetime
from typing import Any

import requests
from airbyte_cdk.sources.streams.call_rate import APIBudget
from requests.auth import AuthBase

from source_stock_ticker_api.bars import TimeFormatter, day_start, to_ms
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.messages import counted, no_bars_warning
from source_stock_ticker_api.planner import Plan, plan_reads
from source_stock_ticker_api.polygon_stream import Fetched, PolygonStream
from source_stock_ticker_api.records import bar_records

GROUPED_PATH = "v2/aggs/grouped/locale/us/market/stocks"

# Moves a ticker's cursor past the bars given, as far as they are complete (StockPrices).
AdvanceCursor = Callable[[str, Sequence[Mapping[str, Any]]], None]


def reads_grouped(config: StockTickerConfig) -> bool:
    """Whether the configured bars are the grouped endpoint's: one bar per trading day."""
    return config.timespan == "day" and config.multiplier == 1


class GroupedDaily(PolygonStream):
    """One grouped day per slice, as raw bars of the slice's tickers; not in the catalog.

    It shares the pace (api_budget), key, timeouts, retries and error words of `stock_prices`,
    which reads through it.
    """

    primary_key = None

    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        assert stream_slice is not None
        return f"{GROUPED_PATH}/{stream_slice['day']}"

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        """`include_otc` always: whether a configured ticker trades OTC is only known from its
        bars, and the bars of tickers not configured are dropped anyway."""
        return {"adjusted": "true" if self._config.adjusted else "false", "include_otc": "true"}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        return None  # one page holds the whole day

    def page_records(
        self, response: requests.Response, stream_slice: Mapping[str, Any]
    ) -> Iterable[Mapping[str, Any]]:
        """The bars of the slice's tickers, each stamped with the day's start (see the module)."""
        wanted = set(stream_slice["tickers"])
        start_ms = to_ms(day_start(date.fromisoformat(stream_slice["day"])))
        for bar in self._bodies.of(response).get("results") or ():
            if bar.get("T") in wanted:
                yield {**bar, "t": start_ms}

    def page_bars(self, fetched: Fetched, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        """The day's bar of each of the slice's tickers that has one, by ticker."""
        records = self.parse_response(fetched.response, stream_state={}, stream_slice=stream_slice)
        return {str(bar["T"]): bar for bar in records}


class GroupedReads:
    """The grouped part of a `stock_prices` sync: its plan, its slices, and reading them."""

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None,
        refused: MutableMapping[str, str],
        logger: logging.Logger,
    ) -> None:
        self._refused = refused  # ticker -> the words of its refusal, shared with StockPrices
        self._logger = logger
        self._stream = GroupedDaily(config, authenticator, api_budget)
        self._formatter = TimeFormatter()
        self._end = config.end_date
        self._plan = Plan()
        self._bars: dict[str, int] = {}

    def plan(self, pending: Mapping[str, date], now: datetime) -> Plan:
        """The plan for tickers to read from their first pending day, logged in one line when
        it reads some of them grouped."""
        self._plan = plan_reads(pending, self._end, now)
        self._bars = dict.fromkeys(self._plan.grouped, 0)
        if self._plan.grouped:  # else every ticker is read as without the planner
            self._logger.info(self._plan.describe())
        return self._plan

    def slices(self) -> Iterator[dict[str, Any]]:
        """One slice per grouped day, oldest first, naming the tickers that need it."""
        for day in self._plan.days:
            yield {"day": day.isoformat(), "tickers": self._plan.tickers_on(day)}

    def fetch(self, stream_slice: Mapping[str, Any]) -> Fetched:
        """The request for one grouped day (inflight.py may make it ahead of the writer)."""
        return self._stream.fetch(stream_slice)

    def tickers_left(self, stream_slice: Mapping[str, Any]) -> list[str]:
        """The day's tickers not refused so far in this sync."""
        return [t for t in stream_slice["tickers"] if t not in self._refused]

    def read_day(
        self, stream_slice: Mapping[str, Any], fetched: Fetched, advance: AdvanceCursor
    ) -> Iterator[dict[str, Any]]:
        """The records of one grouped day, tickers in configuration order, then their cursors
        moved; after the last day, one warning per ticker that got no bar at all.

        A ticker refused on an earlier day is left out, though its day was asked for with it.
        """
        tickers = self.tickers_left(stream_slice)
        if not tickers:
            return
        day = stream_slice["day"]
        found = self._stream.page_bars(fetched, {"day": day, "tickers": tickers})
        if fetched.refusal is not None:
            for ticker in tickers:
                self._refused[ticker] = fetched.refusal
            self._logger.warning(
                f"Grouped daily bars of {day}: refused (reason above) for "
                f"{counted(len(tickers), 'ticker')}. They are skipped for the rest of this "
                "sync; the other tickers are read, then the sync fails naming them."
            )
            return
        for ticker in tickers:
            bar = found.get(ticker)
            if bar is not None:
                self._bars[ticker] += 1
                yield from bar_records(ticker, (bar,), self._formatter.render)
                advance(ticker, (bar,))
        self._logger.info(
            f"Grouped daily bars of {day}: {counted(len(found), 'bar')} for "
            f"{counted(len(tickers), 'ticker')} in 1 request."
        )
        if day == self._plan.days[-1].isoformat():
            self._warn_empty(day)

    def _warn_empty(self, last_day: str) -> None:
        """As for per-ticker reads: a ticker with no bar on any trading day read is suspect."""
        for ticker, first in self._plan.grouped.items():
            if not self._bars[ticker] and ticker not in self._refused:
                if first.isoformat() <= last_day:
                    self._logger.warning(no_bars_warning(ticker, first.isoformat(), last_day))

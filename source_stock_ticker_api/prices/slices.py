"""The requests of a price stream, as typed slices: a page of one ticker's bars, a grouped day.

Each knows its path and query; the stream's HTTP client sends either (polygon/stream.py). A
ticker's whole pending range is one request, and each `next_url` it names is the next page, a
slice of its own, so the CDK checkpoints after every page.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from source_stock_ticker_api.bars import page_limit
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.markets import Market
from source_stock_ticker_api.polygon.endpoints import NextPage, aggs_params, aggs_path
from source_stock_ticker_api.polygon.request import ApiRequest


@dataclass(frozen=True)
class BarQuery:
    """What every custom-bars request of a stream asks for: the bars, and `limit`."""

    timespan: str
    multiplier: int
    adjusted: bool | None  # None: not sent (index bars: their endpoint does not take it)
    limit: int  # bars.page_limit: the largest the API takes, less for second bars

    @classmethod
    def of(cls, config: StockTickerConfig, market: Market) -> BarQuery:
        adjusted = config.adjusted if market.takes_adjusted else None
        limit = page_limit(config.timespan, config.multiplier)
        return cls(config.timespan, config.multiplier, adjusted, limit)


@dataclass(frozen=True)
class TickerPage(ApiRequest):
    """Page `number` of one ticker's bars from `start` (a date, or Unix ms inside a day) to
    `end`; a later page is asked for at the path and cursor its page before named."""

    ticker: str
    start: str
    end: str
    query: BarQuery
    number: int = 1
    following: NextPage | None = None  # the next_url this page was named by, after page 1

    def path(self) -> str:
        if self.following is not None:
            return self.following.path.lstrip("/")
        q = self.query
        return aggs_path(self.ticker, q.multiplier, q.timespan, self.start, self.end)

    def params(self) -> dict[str, Any]:
        """The cursor's query, then ours again: whether a cursor keeps `adjusted=false` is
        undocumented, and `limit` bounds the bars of a page, hence memory."""
        params: dict[str, Any] = dict(self.following.query) if self.following else {}
        params.update(aggs_params(self.query.adjusted, self.query.limit))
        return params

    def next(self, following: NextPage) -> TickerPage:
        """The page this one names with its `next_url`."""
        return replace(self, number=self.number + 1, following=following)


@dataclass(frozen=True)
class GroupedDay(ApiRequest):
    """One day of every ticker of the market (grouped daily), read for `tickers`."""

    grouped_path: str  # markets.Market.grouped_daily_path
    day: date
    tickers: tuple[str, ...]
    adjusted: bool

    def path(self) -> str:
        return f"{self.grouped_path}/{self.day.isoformat()}"

    def params(self) -> dict[str, Any]:
        """`include_otc` always: whether a configured ticker trades OTC is only known from its
        bars, and the bars of tickers not configured are dropped anyway."""
        return {"adjusted": "true" if self.adjusted else "false", "include_otc": "true"}

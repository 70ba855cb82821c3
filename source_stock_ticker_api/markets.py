"""The markets the API covers, told apart by the ticker's prefix.

The custom-bars endpoint serves every market, but each keeps its own clock: stock, option and
index bars live on New York days and the NYSE calendar; crypto and forex bars on UTC days. A
ticker's market decides its stream, the zone of its `date`, the record's shape, which query
parameters and endpoints exist for it. This table is the one place that knows it: the price
stream is one class, instantiated once per row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

import holidays

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


# When bars can exist on a day, as minutes after the day's local midnight: [opens, closes).
Session = tuple[int, int]
WHOLE_DAY: Session = (0, 24 * 60)


@lru_cache(maxsize=64)
def _nyse_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.financial_holidays("NYSE", years=year))


def is_nyse_trading_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _nyse_holidays(day.year)


def _nyse_extended(day: date) -> Session | None:
    """Stock bars: the extended session, 04:00-20:00 New York (half days end earlier)."""
    return (4 * 60, 20 * 60) if is_nyse_trading_day(day) else None


def _nyse_regular(day: date) -> Session | None:
    """Option and index bars: the regular session, 09:30-16:00 New York, with a quarter hour
    more for the contracts and indices that settle at 16:15."""
    return (9 * 60 + 30, 16 * 60 + 15) if is_nyse_trading_day(day) else None


def _every_day(day: date) -> Session | None:
    """Crypto trades around the clock, every day of the year."""
    return WHOLE_DAY


def _forex_week(day: date) -> Session | None:
    """Forex (UTC days) opens Sunday at 17:00 New York and closes Friday at 17:00 New York:
    21:00 or 22:00 UTC with US daylight saving time. The wider hour of each is taken, so no
    bar is ever ruled out."""
    weekday = day.weekday()
    if weekday == 5:
        return None
    if weekday == 6:
        return (21 * 60, 24 * 60)
    if weekday == 4:
        return (0, 22 * 60)
    return WHOLE_DAY


@dataclass(frozen=True)
class Market:
    """One market: how its tickers are spelt, where its bars go, and what its bars carry."""

    name: str  # as a person says it: "stocks", "crypto"
    prefix: str  # the ticker prefix that selects it; "" for US stocks
    stream_name: str
    zone: ZoneInfo  # of its daily bars' start and of a bar's `date`
    # Values of /v3/reference/tickers' `market` filter that list its tickers; none for options.
    reference_markets: tuple[str, ...]
    has_volume: bool  # bars carry `v`, `vw`, `n` (index bars carry none of them)
    takes_adjusted: bool  # the API accepts `adjusted` (indices do not)
    # When bars can exist on a day of `zone`: a superset, so no bar is ever ruled out.
    session: Callable[[date], Session | None]
    # The record's ticker field: the tutorial's `stock_ticker` for stocks, `ticker` elsewhere.
    ticker_field: str = "ticker"
    # Stock records keep the tutorial's `price` (= close) and carry `otc`; the other markets'
    # records carry `volume`, `vwap` and `transactions` only where the bar has them.
    tutorial_record: bool = False
    # Path of the grouped daily endpoint the connector reads for 1-day bars, when it does: one
    # request returns one day of every ticker of the market (prices/grouped_plan.py).
    grouped_daily_path: str | None = None

    def is_trading_day(self, day: date) -> bool:
        return self.session(day) is not None

    def open_ms_between(self, start_ms: int, end_ms: int) -> int:
        """How long the market is open within [start_ms, end_ms): zero means no bar can start
        in that span, so asking the API for it is a wasted request."""
        if end_ms <= start_ms:
            return 0
        zone = self.zone
        day = datetime.fromtimestamp(start_ms / 1000, zone).date()
        last = datetime.fromtimestamp((end_ms - 1) / 1000, zone).date()
        total = 0
        while day <= last:
            session = self.session(day)
            if session is not None:
                midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
                opens = int((midnight + timedelta(minutes=session[0])).timestamp() * 1000)
                closes = int((midnight + timedelta(minutes=session[1])).timestamp() * 1000)
                total += max(0, min(closes, end_ms) - max(opens, start_ms))
            day += timedelta(days=1)
        return total


STOCKS = Market(
    "stocks",
    "",
    "stock_prices",
    NEW_YORK,
    ("stocks", "otc"),
    True,
    True,
    _nyse_extended,
    ticker_field="stock_ticker",
    tutorial_record=True,
    grouped_daily_path="v2/aggs/grouped/locale/us/market/stocks",
)
OPTIONS = Market("options", "O:", "option_prices", NEW_YORK, (), True, True, _nyse_regular)
INDICES = Market(
    "indices", "I:", "index_prices", NEW_YORK, ("indices",), False, False, _nyse_regular
)
CRYPTO = Market("crypto", "X:", "crypto_prices", UTC, ("crypto",), True, True, _every_day)
FOREX = Market("forex", "C:", "forex_prices", UTC, ("fx",), True, True, _forex_week)

MARKETS: tuple[Market, ...] = (STOCKS, CRYPTO, FOREX, INDICES, OPTIONS)
_BY_PREFIX: Mapping[str, Market] = {market.prefix: market for market in MARKETS if market.prefix}


def unknown_prefix(ticker: str) -> str | None:
    """The prefix of a ticker that looks prefixed (`Z:FOO`) but names no market, else None.

    Without this, such a ticker would be read as a US stock and silently return nothing.
    """
    prefix, colon, _ = ticker.partition(":")
    if colon and f"{prefix}:" not in _BY_PREFIX:
        return f"{prefix}:"
    return None


def market_of(ticker: str) -> Market:
    """The market a ticker belongs to: `X:BTCUSD` is crypto, `AAPL` (no prefix) a US stock."""
    prefix, colon, _ = ticker.partition(":")
    if colon:
        market = _BY_PREFIX.get(f"{prefix}:")
        if market is not None:
            return market
    return STOCKS


def tickers_by_market(tickers: Iterable[str]) -> dict[Market, tuple[str, ...]]:
    """The configured tickers of each market present, in MARKETS order, each in config order."""
    grouped: dict[Market, list[str]] = {}
    for ticker in tickers:
        grouped.setdefault(market_of(ticker), []).append(ticker)
    return {market: tuple(grouped[market]) for market in MARKETS if market in grouped}

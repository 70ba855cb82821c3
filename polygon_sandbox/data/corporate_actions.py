"""Dividends and splits, consistent with the sandbox's own prices.

The splits are the ones universe.SPLITS applies to unadjusted prices, and a split's
`historical_adjustment_factor` turns an unadjusted price before it into the adjusted one.
A dividend appears once declared (21 days before its ex-date); its factor, cumulative over
the dividends declared so far, changes when a later one appears, as the vendor's does.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import lru_cache
from typing import Any

from .market import Market
from .seeds import digest, number
from .trading_calendar import TRADING_DAYS, date_of_ms, is_trading_day, session_end_ms
from .universe import SPLITS, split_factor

DECLARED_DAYS_AHEAD = 21  # a dividend is announced this long before its ex-date

# Dividend payers: (first ex-date, payments a year, yearly yield on the split-adjusted price).
# Amazon and Tesla pay none; Meta and Alphabet started in 2024.
_MAJOR_DIVIDENDS: Mapping[str, tuple[date, int, float]] = {
    "AAPL": (date(2015, 2, 5), 4, 0.006),
    "MSFT": (date(2015, 2, 17), 4, 0.009),
    "NVDA": (date(2015, 2, 26), 4, 0.0008),
    "SPY": (date(2015, 3, 20), 4, 0.015),
    "META": (date(2024, 2, 21), 4, 0.004),
    "GOOGL": (date(2024, 6, 10), 4, 0.0045),
    "TCEHY": (date(2015, 5, 15), 1, 0.003),
}
_NO_DIVIDENDS = frozenset({"AMZN", "TSLA"})


def _event_id(kind: str, ticker: str, day: date) -> str:
    return "E" + digest(kind, ticker, day.isoformat()).hex()


@dataclass(frozen=True)
class _Dividend:
    ticker: str
    ex_date: date
    frequency: int
    cash: float  # per share as traded on the ex-date
    split_adjusted: float  # per share of today

    @property
    def declared(self) -> date:
        return self.ex_date - timedelta(days=DECLARED_DAYS_AHEAD)


def _dividend_plan(ticker: str) -> tuple[date, int, float] | None:
    if ticker in _NO_DIVIDENDS:
        return None
    if ticker in _MAJOR_DIVIDENDS:
        return _MAJOR_DIVIDENDS[ticker]
    n = number("dividends", ticker)
    if n % 2:
        return None
    return date(2015, 1 + n // 2 % 3, 10), 4, 0.01 + (n // 8 % 30) / 1000


def _trading_day_on_or_after(day: date) -> date:
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=512)
def _dividends(market: Market, ticker: str, through: date) -> tuple[_Dividend, ...]:
    """The ticker's dividends with an ex-date up to `through`, oldest first."""
    plan = _dividend_plan(ticker)
    if plan is None:
        return ()
    first, per_year, yearly_yield = plan
    months = 12 // per_year
    found: list[_Dividend] = []
    k = 0
    while True:
        month = first.month - 1 + k * months
        nominal = date(first.year + month // 12, month % 12 + 1, min(first.day, 28))
        ex_date = _trading_day_on_or_after(nominal)
        if ex_date > through:
            return tuple(found)
        year_start = TRADING_DAYS.between(date(ex_date.year, 1, 1), date(ex_date.year, 1, 10))[0]
        price = market.final_daily(ticker, year_start, True)[4]
        factor = split_factor(ticker, ex_date)
        cash = max(round(price * yearly_yield / per_year * factor, 2), 0.01)
        found.append(_Dividend(ticker, ex_date, per_year, cash, round(cash / factor, 6)))
        k += 1


def _close_before(market: Market, ticker: str, day: date, today: date, now_ms: int) -> float:
    """Split-adjusted close of the last final trading day before `day` (or before today)."""
    last = TRADING_DAYS.last_on_or_before(min(day, today + timedelta(days=1)) - timedelta(days=1))
    assert last is not None
    if session_end_ms(last) > now_ms:
        last = TRADING_DAYS.last_on_or_before(last - timedelta(days=1))
        assert last is not None
    return market.final_daily(ticker, last, True)[4]


def dividend_records(market: Market, ticker: str, now_ms: int) -> list[dict[str, Any]]:
    """Every dividend of `ticker` declared by `now`, oldest first, as the API serves it.

    `historical_adjustment_factor` multiplies a split-adjusted price before the ex-date: the
    product of (1 - amount / previous close) over this dividend and every later declared one.
    """
    today = date_of_ms(now_ms)
    declared = _dividends(market, ticker, today + timedelta(days=DECLARED_DAYS_AHEAD))
    factors: list[float] = []
    running = 1.0
    for dividend in reversed(declared):
        close = _close_before(market, ticker, dividend.ex_date, today, now_ms)
        running *= 1 - dividend.split_adjusted / close
        factors.append(running)
    records = []
    for dividend, factor in zip(declared, reversed(factors), strict=True):
        ex_date = dividend.ex_date
        record_date = ex_date if ex_date >= date(2024, 5, 28) else _next_trading_day(ex_date)
        records.append(
            {
                "id": _event_id("dividend", ticker, ex_date),
                "ticker": ticker,
                "cash_amount": dividend.cash,
                "currency": "USD",
                "declaration_date": dividend.declared.isoformat(),
                "ex_dividend_date": ex_date.isoformat(),
                "record_date": record_date.isoformat(),
                "pay_date": _trading_day_on_or_after(ex_date + timedelta(days=14)).isoformat(),
                "frequency": dividend.frequency,
                "distribution_type": "recurring",
                "historical_adjustment_factor": round(factor, 8),
                "split_adjusted_cash_amount": dividend.split_adjusted,
            }
        )
    return records


def _next_trading_day(day: date) -> date:
    return _trading_day_on_or_after(day + timedelta(days=1))


def split_records(ticker: str) -> list[dict[str, Any]]:
    """The ticker's splits, oldest first: exactly those universe.SPLITS applies to raw prices.

    A split's `historical_adjustment_factor` is the product of split_from / split_to over it and
    every later split: an unadjusted price before it, times the factor, is the adjusted price.
    """
    splits = SPLITS.get(ticker, ())
    records = []
    for execution_date, ratio in splits:
        records.append(
            {
                "id": _event_id("split", ticker, execution_date),
                "ticker": ticker,
                "execution_date": execution_date.isoformat(),
                "split_from": 1.0,
                "split_to": float(ratio),
                "adjustment_type": "forward_split",
                "historical_adjustment_factor": 1
                / split_factor(ticker, execution_date - timedelta(days=1)),
            }
        )
    return records

"""The cheapest way to read daily bars: grouped daily requests, per-ticker requests, or both.

On the free plan every request costs 12 seconds of a sync, so the number of requests is the
speed. Reading one ticker's pending daily bars with the custom-bars endpoint costs one request
(a page holds 50,000 daily bars), whatever its range. The grouped daily endpoint returns one day
of every US stock in one request, so it costs one request per trading day for any number of
tickers. Which is cheaper depends on how far behind each ticker is: 100 tickers one day behind
take 1 grouped request instead of 100; 3 tickers two years behind take 3 per-ticker requests
instead of 500 grouped ones.

Only 1-day bars can be read grouped: a grouped day is exactly one of them. Only days whose
extended session has ended (20:00 New York) are read grouped, so a grouped bar is always final.
A day still in session (or not yet started) is not read for the tickers read grouped: the next
sync after 20:00 New York reads it. Until midnight New York the cursor stays before that day
anyway (see cursors.py), so it is read once more the next day, as with per-ticker reads.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from source_stock_ticker_api.markets import NEW_YORK, is_nyse_trading_day
from source_stock_ticker_api.messages import counted

# The extended session ends at 20:00 New York (17:00 on the few early-close days: waiting until
# 20:00 there too costs a few hours, never a wrong bar).
SESSION_END = time(20, 0)
# Per-ticker requests named in the plan's log line; the rest are counted.
NAMES_SHOWN = 5


def last_final_day(now: datetime) -> date:
    """The last date whose session has ended at `now`: today after 20:00 New York, else the day
    before (which may be a holiday or a weekend: callers look for trading days up to it)."""
    local = now.astimezone(NEW_YORK)
    return local.date() if local.time() >= SESSION_END else local.date() - timedelta(days=1)


@dataclass(frozen=True)
class Plan:
    """What a sync reads: `days` grouped (oldest first) for `grouped` tickers, mapped to the first
    day each one needs, and `per_ticker` tickers with the custom-bars endpoint."""

    days: tuple[date, ...] = ()
    grouped: Mapping[str, date] = field(default_factory=dict)
    per_ticker: tuple[str, ...] = ()
    forming: date | None = None  # a trading day in a grouped ticker's range, still in session

    @property
    def requests(self) -> int:
        """What the plan costs: one request per grouped day and per per-ticker read."""
        return len(self.days) + len(self.per_ticker)

    def tickers_on(self, day: date) -> list[str]:
        """The grouped tickers whose pending range holds `day`, in configuration order."""
        return [ticker for ticker, first in self.grouped.items() if first <= day]

    def describe(self) -> str:
        """The plan in one line a person reads, e.g. "Plan: 1 grouped-daily request (2024-03-04)
        for 20 tickers, 0 per-ticker requests: 1 request in all." """
        if not self.days:
            span = ""
        elif len(self.days) == 1:
            span = f" ({self.days[0]})"
        else:
            span = f" ({self.days[0]} to {self.days[-1]})"
        names = ", ".join(self.per_ticker[:NAMES_SHOWN])
        if len(self.per_ticker) > NAMES_SHOWN:
            names += f" and {len(self.per_ticker) - NAMES_SHOWN} more"
        line = (
            f"Plan: {counted(len(self.days), 'grouped-daily request')}{span} for "
            f"{counted(len(self.grouped), 'ticker')}, "
            f"{counted(len(self.per_ticker), 'per-ticker request')}"
            f"{f' ({names})' if names else ''}: {counted(self.requests, 'request')} in all."
        )
        if self.forming is not None:
            line += (
                f" {self.forming} has not closed yet: the first sync after 20:00 New York time "
                "reads it for the tickers read grouped."
            )
        return line


def plan_reads(pending: Mapping[str, date], end: date, now: datetime) -> Plan:
    """The cheapest split of `pending` (ticker -> first day to read; every range ends at `end`)
    between grouped days and per-ticker reads, at `now`.

    Reading a set S of tickers grouped costs the trading days from the earliest first day in S
    to the last final day, plus one request per ticker outside S. For a given earliest first day,
    adding every ticker whose range starts on or after it leaves the grouped cost unchanged and
    removes per-ticker requests, so some optimal S is "the k tickers with the shortest ranges":
    trying every k finds the optimum. On a tie the plan reads fewer tickers grouped, which keeps
    a still-forming bar (only per-ticker reads get one) for more of them.
    """
    if not pending:
        return Plan()
    last = min(end, last_final_day(now))
    final_days = _trading_days(min(pending.values()), last)
    shortest_first = sorted(pending.items(), key=lambda item: item[1], reverse=True)
    best_k, best_cost = 0, len(pending)
    for k, (_, earliest) in enumerate(shortest_first, start=1):
        cost = len(final_days) - bisect_left(final_days, earliest) + len(pending) - k
        if cost < best_cost:
            best_k, best_cost = k, cost
    grouped_names = {ticker for ticker, _ in shortest_first[:best_k]}
    grouped = {ticker: first for ticker, first in pending.items() if ticker in grouped_names}
    per_ticker = tuple(ticker for ticker in pending if ticker not in grouped_names)
    days = final_days[bisect_left(final_days, min(grouped.values())) :] if grouped else []
    today = now.astimezone(NEW_YORK).date()
    forming = None
    if last < today <= end and is_nyse_trading_day(today):
        if any(first <= today for first in grouped.values()):
            forming = today
    return Plan(tuple(days), grouped, per_ticker, forming)


def _trading_days(first: date, last: date) -> list[date]:
    """NYSE trading days from `first` to `last`, both included, oldest first."""
    days = []
    day = first
    while day <= last:
        if is_nyse_trading_day(day):
            days.append(day)
        day += timedelta(days=1)
    return days

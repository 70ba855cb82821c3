"""What a person reads of a price stream's sync in the log: the plan, a line per page or grouped
day, the totals, and a warning for a ticker whose range with trading days held no bar at all.

Plain code: each method returns the lines (level, words) for the sync to log, so what is said
and when is tested without a stream.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from source_stock_ticker_api.bars import INTRADAY, TimeFormatter
from source_stock_ticker_api.markets import Market
from source_stock_ticker_api.messages import counted, no_bars_warning
from source_stock_ticker_api.polygon.endpoints import readable_point
from source_stock_ticker_api.prices.estimates import Estimate
from source_stock_ticker_api.prices.pages import GroupedDayResult, TickerPageResult
from source_stock_ticker_api.prices.plan import SyncPlan
from source_stock_ticker_api.prices.slices import TickerPage

Line = tuple[int, str]  # (logging level, message)
# Tickers named in the one line about tickers that need no request; the rest are counted.
NAMED_IDLE_TICKERS = 10


@dataclass
class _TickerRead:
    """What one ticker's pages of this sync returned, for one warning at most."""

    first: str  # the range's start: a date or Unix ms
    last: str = ""  # the range's end
    bars: int = 0
    past_trading_day: bool = False  # the range holds a finished trading day


class Report:
    """The log lines of one sync of one price stream."""

    def __init__(self, stream: str, plan: SyncPlan, today: date) -> None:
        self._stream = stream
        self._plan = plan
        self._today = today  # in the market's zone
        self._formatter = TimeFormatter(plan.market.zone)
        self._reads: dict[str, _TickerRead] = {}  # tickers with pages still to read
        grouped = plan.grouped
        self._day_bars = dict.fromkeys(grouped.grouped if grouped else (), 0)

    def opening(self, planned: Estimate, requests: int, end_date: date) -> list[Line]:
        """Before the first request: cursors past end_date, the grouped plan, the totals."""
        plan = self._plan
        lines = [
            (
                logging.WARNING,
                f"{ticker}: the saved position {saved} is after end_date {end_date}; nothing "
                f"to read. If that position is wrong, reset (refresh) the {self._stream} stream.",
            )
            for ticker, saved in plan.past_end
        ]
        if plan.grouped is not None and plan.grouped.grouped:
            lines.append((logging.INFO, plan.grouped.describe()))
        to_read = len(plan.tickers) + (len(plan.grouped.grouped) if plan.grouped else 0)
        lines.append(
            (
                logging.INFO,
                f"Plan: {counted(to_read, 'ticker')} to read, about "
                f"{counted(planned.bars, 'bar')} in about {counted(requests, 'request')}"
                f"{_idle_words(plan.idle)}.",
            )
        )
        return lines

    def page(self, result: TickerPageResult, refused: bool) -> list[Line]:
        """After a ticker's page is written: its line, or the refusal's; after its last page,
        the warning if its range had trading days and no bar."""
        request = result.request
        seen = self._reads.setdefault(request.ticker, _TickerRead(request.start))
        lines: list[Line] = []
        if result.refusal is not None:
            lines.append(
                (
                    logging.WARNING,
                    f"{request.ticker}: refused from {readable_point(request.start)} to "
                    f"{request.end} (reason above). Its later pages are skipped; the other "
                    f"tickers are read, then the sync fails naming {request.ticker}.",
                )
            )
        else:
            lines.append((logging.INFO, self._page_line(result, seen.bars + result.bars)))
            seen.last = request.end
            seen.bars += result.bars
            if not (seen.bars or seen.past_trading_day):
                seen.past_trading_day = self._has_past_trading_day(request)
        if result.following is None or result.refusal is not None:
            lines += self.end_ticker(request.ticker, refused)
        return lines

    def end_ticker(self, ticker: str, refused: bool) -> list[Line]:
        """Once a ticker's pages are read: one warning if a range with trading days held no
        bar at all, at the first sync that finds so (its cursor then moves on: empty.py). An
        empty range before a listing, or after a delisting, says nothing."""
        seen = self._reads.pop(ticker, None)
        if seen and not seen.bars and seen.past_trading_day and not refused:
            if not self._first_empty(ticker):
                return []
            first = readable_point(seen.first)
            return [(logging.WARNING, no_bars_warning(ticker, first, seen.last))]
        return []

    def unfinished(self) -> list[str]:
        """Tickers whose last page was not read (a sync stopped by the reader's `_limit`)."""
        return list(self._reads)

    def grouped_day(
        self, result: GroupedDayResult, tickers: Sequence[str], refused: Sequence[str]
    ) -> list[Line]:
        """A grouped day read for `tickers` (those not refused before it): its line, and after
        the plan's last day, a warning per grouped ticker that got no bar at all."""
        day = result.request.day.isoformat()
        if result.refusal is not None:
            return [
                (
                    logging.WARNING,
                    f"Grouped daily bars of {day}: refused (reason above) for "
                    f"{counted(len(tickers), 'ticker')}. They are skipped for the rest of this "
                    "sync; the other tickers are read, then the sync fails naming them.",
                )
            ]
        found = result.bars_of(tickers)
        for ticker in found:
            self._day_bars[ticker] += 1
        lines = [
            (
                logging.INFO,
                f"Grouped daily bars of {day}: {counted(len(found), 'bar')} for "
                f"{counted(len(tickers), 'ticker')} in 1 request.",
            )
        ]
        grouped = self._plan.grouped
        if grouped is not None and result.request.day == grouped.days[-1]:
            for ticker, first in grouped.grouped.items():
                if (
                    not self._day_bars[ticker]
                    and ticker not in refused
                    and self._first_empty(ticker)
                    and first.isoformat() <= day
                ):
                    lines.append((logging.WARNING, no_bars_warning(ticker, first.isoformat(), day)))
        return lines

    def _first_empty(self, ticker: str) -> bool:
        """Whether an empty answer for `ticker` is the first: it has no cursor yet. Once it has
        one, an empty range moved it on (empty.py), so the warning came at that sync."""
        return ticker not in self._plan.resumed

    def totals(self, read: Estimate, planned: Estimate, requests: int, at_once: int) -> Line:
        several = f", up to {at_once} at once" if at_once > 1 else ""
        return (
            logging.INFO,
            f"Totals: {counted(read.bars, 'bar')} in {counted(read.base, 'request')}{several} "
            f"(planned: about {counted(planned.bars, 'bar')} in about "
            f"{counted(requests, 'request')}).",
        )

    def _page_line(self, result: TickerPageResult, ticker_bars: int) -> str:
        """`AAPL page 2: 50000 bars from 2024-03-01T09:00:00Z to 2024-05-20T13:39:00Z; more
        follow.`, or, on a ticker's last page, its totals."""
        request = result.request
        if result.first_ms is not None and result.last_ms is not None:
            shown = 0 if self._plan.query.timespan in INTRADAY else 1  # the timestamp, or the date
            first = self._formatter.render(result.first_ms)[shown]
            last = self._formatter.render(result.last_ms)[shown]
        else:
            first, last = readable_point(request.start), request.end
        number = request.number
        line = (
            f"{request.ticker} page {number}: {counted(result.bars, 'bar')} from {first} to {last}"
        )
        if result.following is not None:
            return f"{line}; more follow."
        return f"{line}; done, {counted(ticker_bars, 'bar')} in {counted(number, 'request')}."

    def _has_past_trading_day(self, request: TickerPage) -> bool:
        """Whether the page's range holds a finished trading day of the ticker's market, so an
        empty answer is suspicious."""
        market: Market = self._plan.market
        start = request.start
        if start.isdigit():
            moment = datetime.fromtimestamp(int(start) / 1000, market.zone)
            # Resuming inside a day after its session opened: the rest may rightly be empty.
            session = market.session(moment.date())
            late = session is not None and moment.hour * 60 + moment.minute > session[0]
            day = moment.date() + timedelta(days=1) if late else moment.date()
        else:
            day = date.fromisoformat(start)
        last = min(date.fromisoformat(request.end), self._today - timedelta(days=1))
        while day <= last:
            if market.is_trading_day(day):
                return True
            day += timedelta(days=1)
        return False


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

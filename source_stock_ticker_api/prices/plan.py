"""What a price stream's sync reads: each ticker's pending range, or nothing when the market has
not been open since its cursor, and the grouped days that read many tickers at once.

Plain code on the cursors, the config and the clock: the plan is made once, before any request,
and never changes; what the pages then hold is counted by progress.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from source_stock_ticker_api.bars import MAX_BARS_PER_PAGE, bar_end_ms, day_start, to_ms
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.markets import Market
from source_stock_ticker_api.prices.cursors import Cursors, cursor_ms
from source_stock_ticker_api.prices.estimates import Estimate, estimate
from source_stock_ticker_api.prices.grouped_plan import Plan as GroupedPlan
from source_stock_ticker_api.prices.grouped_plan import plan_reads
from source_stock_ticker_api.prices.inflight import GROUPED_DAY_BARS, PageRequest
from source_stock_ticker_api.prices.slices import BarQuery, GroupedDay, TickerPage


@dataclass(frozen=True)
class TickerPlan:
    """One ticker's part of a sync: its pending range, and what the market's hours allow in it."""

    ticker: str
    first_ms: int  # start of the first bar to read
    start: str  # the same, as the API takes it: a date when it is a day's start, else Unix ms
    end: str  # end_date
    pending: Estimate


@dataclass(frozen=True)
class SyncPlan:
    """The tickers to read per ticker, in order; the grouped days; those needing no request."""

    market: Market
    query: BarQuery
    tickers: tuple[TickerPlan, ...]
    idle: tuple[str, ...]  # nothing can be new for them: the market has not been open since
    horizon_ms: int  # bars starting from here on do not exist yet, or are after end_date
    after_end_ms: int  # the start of the day after end_date: bars from here on are not asked
    grouped: GroupedPlan | None  # day bars of a market with grouped daily (grouped_plan.py)
    past_end: tuple[tuple[str, str], ...] = ()  # (ticker, cursor) saved after end_date
    # Tickers with a saved cursor: an empty answer for them warns no more (report.py).
    resumed: frozenset[str] = frozenset()

    def first_pages(self) -> list[list[PageRequest]]:
        """The chains of pages to read (inflight.py), first pages known: the grouped days as one
        chain, in date order, then one chain per ticker, its whole range as page 1."""
        days = []
        if self.grouped is not None and self.market.grouped_daily_path is not None:
            days = [
                PageRequest(
                    GroupedDay(
                        self.market.grouped_daily_path,
                        day,
                        tuple(self.grouped.tickers_on(day)),
                        bool(self.query.adjusted),
                    ),
                    GROUPED_DAY_BARS,
                )
                for day in self.grouped.days
            ]
        chains = [days]
        for ticker in self.tickers:
            page = TickerPage(ticker.ticker, ticker.start, ticker.end, self.query)
            chains.append([PageRequest(page, max(1, min(MAX_BARS_PER_PAGE, ticker.pending.bars)))])
        return chains

    def bars_after(self, last_ms: int | None) -> int:
        """How many bars the page after one ending with the bar at `last_ms` may hold, at most:
        what the market's hours allow up to the horizon, and never more than a page holds."""
        if last_ms is None:
            return MAX_BARS_PER_PAGE
        end_ms = self.bar_end(last_ms)
        left = self.estimate(end_ms, max(end_ms, self.horizon_ms)).bars
        return max(1, min(MAX_BARS_PER_PAGE, left))

    def bar_end(self, start_ms: int) -> int:
        query = self.query
        return bar_end_ms(start_ms, query.timespan, query.multiplier, self.market.zone)

    def estimate(self, start_ms: int, end_ms: int) -> Estimate:
        query = self.query
        return estimate(self.market, start_ms, end_ms, query.timespan, query.multiplier)


def plan_sync(
    market: Market, config: StockTickerConfig, cursors: Cursors, now: datetime
) -> SyncPlan:
    """Each ticker's pending range, and whether the market's hours allow a bar in it.

    A ticker whose range has no open market time up to now (a night, a weekend, a holiday, a
    cursor on end_date's last bar) gets no request: no bar can be new. For 1-day bars of a
    market with grouped daily, the tickers the grouped days read cheaper leave the per-ticker
    list (grouped_plan.py).
    """
    zone, query = market.zone, BarQuery.of(config, market)
    after_end_ms = to_ms(day_start(config.end_date + timedelta(days=1), zone))
    horizon_ms = min(to_ms(now), after_end_ms)
    start_ms = to_ms(day_start(config.start_date, zone))
    tickers: list[TickerPlan] = []
    idle: list[str] = []
    past_end: list[tuple[str, str]] = []
    for ticker in config.tickers:
        first_ms = start_ms
        saved = cursors.timestamp(ticker)
        if saved is not None:
            saved_ms = cursor_ms(saved)
            if saved_ms >= after_end_ms:
                # Nothing after the cursor is in range; and the bar after a cursor such as
                # 9999-12-31 would not fit in a datetime.
                past_end.append((ticker, saved))
                continue
            if saved_ms >= first_ms:  # an older cursor predates every bar in range
                first_ms = bar_end_ms(saved_ms, config.timespan, config.multiplier, zone)
        pending = estimate(market, first_ms, horizon_ms, config.timespan, config.multiplier)
        if not pending.base:
            idle.append(ticker)
            continue
        first_day = _day_of(first_ms, market)
        exact_day = first_ms == to_ms(day_start(first_day, zone))
        start = first_day.isoformat() if exact_day else str(first_ms)
        tickers.append(TickerPlan(ticker, first_ms, start, config.end_date.isoformat(), pending))
    grouped = None
    if market.grouped_daily_path is not None and reads_grouped(config):
        first_days = {t.ticker: _day_of(t.first_ms, market) for t in tickers}
        grouped = plan_reads(first_days, config.end_date, now)
        tickers = [t for t in tickers if t.ticker in grouped.per_ticker]
    resumed = frozenset(t for t in config.tickers if cursors.timestamp(t) is not None)
    return SyncPlan(
        market,
        query,
        tuple(tickers),
        tuple(idle),
        horizon_ms,
        after_end_ms,
        grouped,
        tuple(past_end),
        resumed,
    )


def reads_grouped(config: StockTickerConfig) -> bool:
    """Whether the configured bars are the grouped endpoint's: one bar per trading day."""
    return config.timespan == "day" and config.multiplier == 1


def _day_of(ms: int, market: Market) -> date:
    """The date of Unix ms `ms` in the market's zone."""
    return datetime.fromtimestamp(ms / 1000, market.zone).date()

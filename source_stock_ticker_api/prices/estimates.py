"""What a span of bars can hold, from a market's hours alone: the sync's plan before any request.

On the free plan every request costs 12 seconds of a sync, so the connector asks only for spans
in which the market was open (none: no request at all), and tells the platform and the person
reading the logs how many bars and requests a sync will take. The counts are upper bounds: a
thinly traded ticker has far fewer bars than the minutes its market is open. As pages come in,
`scaled` corrects what is left of a ticker by what its pages held so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache

from source_stock_ticker_api.bars import INTRADAY, bar_end_ms, fixed_bar_ms
from source_stock_ticker_api.markets import Market

MINUTE_MS = 60_000


@dataclass(frozen=True)
class Estimate:
    """At most `bars` bars, holding at most `base` base aggregates (what `limit` counts)."""

    bars: int = 0
    base: int = 0

    def requests(self, page_limit: int) -> int:
        """Pages the API needs for them: one at least when the market was open at all."""
        return math.ceil(self.base / page_limit)

    def scaled(self, ratio: float) -> Estimate:
        return Estimate(round(self.bars * ratio), round(self.base * ratio))

    def __add__(self, other: Estimate) -> Estimate:
        return Estimate(self.bars + other.bars, self.base + other.base)


@lru_cache(maxsize=1024)
def estimate(
    market: Market, start_ms: int, end_ms: int, timespan: str, multiplier: int
) -> Estimate:
    """The bars that can start in [start_ms, end_ms) while `market` is open.

    Intraday bars: the open time of each day cut into bars (they restart at midnight), and its
    minutes as base aggregates. Daily and longer bars: each bar whose span holds open time,
    and each trading day as a base aggregate. Zero means no bar can exist: no request.
    Cached: tickers of one sync mostly share their span.
    """
    if end_ms <= start_ms or not market.open_ms_between(start_ms, end_ms):
        return Estimate()
    zone = market.zone
    day = datetime.fromtimestamp(start_ms / 1000, zone).date()
    last = datetime.fromtimestamp((end_ms - 1) / 1000, zone).date()
    bar_ms = fixed_bar_ms(timespan, multiplier)
    bars = base = 0
    while day <= last:
        midnight = datetime(day.year, day.month, day.day, tzinfo=zone)
        following = midnight + timedelta(days=1)
        lo = max(start_ms, int(midnight.timestamp() * 1000))
        hi = min(end_ms, int(following.timestamp() * 1000))
        open_ms = market.open_ms_between(lo, hi)
        if open_ms:
            if timespan in INTRADAY:
                bars += math.ceil(open_ms / bar_ms)
                base += math.ceil(open_ms / MINUTE_MS)
            else:
                base += 1
        day += timedelta(days=1)
    if timespan in INTRADAY:
        return Estimate(bars, base)
    if timespan == "day" and multiplier == 1:
        return Estimate(base, base)
    bars = 0
    bar_start = start_ms
    while bar_start < end_ms:
        bar_end = bar_end_ms(bar_start, timespan, multiplier)
        if market.open_ms_between(bar_start, min(bar_end, end_ms)):
            bars += 1
        bar_start = bar_end
    return Estimate(bars, base)

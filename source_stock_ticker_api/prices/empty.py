"""Where a range the API answered with no bar at all leaves the ticker's cursor.

A symbol the API does not know (a typo, a delisted name) answers every range with no bars. If
its cursor never moved, every incremental sync would read its whole range again: one request per
ticker, or every grouped day since `start_date`. So an empty answer moves the cursor as a bar
would have: to the last bar that could exist in the range (the market's hours allow it) and is
complete now, by the same rule as cursors.py (a bar still forming, or not yet begun, could still
arrive: the cursor stays before it). The state keeps its shape: the cursor is that bar's start.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from source_stock_ticker_api.bars import bar_end_ms, day_start, fixed_bar_ms, to_ms
from source_stock_ticker_api.markets import Market
from source_stock_ticker_api.prices.slices import BarQuery


def last_possible_bar(
    market: Market, query: BarQuery, first_ms: int, after_end_ms: int, now_ms: int
) -> int | None:
    """The start of the last bar that can start in [first_ms, after_end_ms) while `market` is
    open and ends by `now_ms`; None when there is none (nothing to move the cursor to).

    Bars are on the grid the API uses (bars.py): intraday bars anchored at each midnight, longer
    bars from `first_ms`, which is a day's start or where the last complete bar ended.
    """
    if fixed_bar_ms(query.timespan, query.multiplier):
        return _last_intraday_bar(market, query, first_ms, after_end_ms, now_ms)
    found = None
    start = first_ms
    while start < after_end_ms:
        end = bar_end_ms(start, query.timespan, query.multiplier, market.zone)
        if end > now_ms:
            break
        if market.open_ms_between(start, end):
            found = start
        start = end
    return found


def _last_intraday_bar(
    market: Market, query: BarQuery, first_ms: int, after_end_ms: int, now_ms: int
) -> int | None:
    """The same for bars shorter than a day: the latest day with such a bar, then its last one.

    Counted per day rather than bar by bar: a year of minute bars is half a million of them.
    """
    zone, length = market.zone, fixed_bar_ms(query.timespan, query.multiplier)
    first_day = datetime.fromtimestamp(first_ms / 1000, zone).date()
    day = datetime.fromtimestamp((min(after_end_ms, now_ms) - 1) / 1000, zone).date()
    while day >= first_day:
        start_of_day = day_start(day, zone)
        midnight = to_ms(start_of_day)
        following = to_ms(day_start(day + timedelta(days=1), zone))
        session = market.session(day)
        if session is not None:
            closes = to_ms(start_of_day + timedelta(minutes=session[1]))  # as markets.py
            # The last bar that starts before the close, before after_end and ends by now.
            last = min(following, closes, after_end_ms)
            k = -(-(last - midnight) // length) - 1
            if now_ms < following:
                k = min(k, (now_ms - midnight) // length - 1)
            start = midnight + k * length
            if k >= 0 and start < first_ms:
                return None
            end = min(start + length, following)
            if k >= 0 and market.open_ms_between(start, end):
                return start
        day -= timedelta(days=1)
    return None

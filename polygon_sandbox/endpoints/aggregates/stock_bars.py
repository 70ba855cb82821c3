"""Stock bars of the custom-bars endpoint: parsing `from`/`to`, bucketing base bars, and cutting
pages by `limit`.

Semantics follow the vendor's documented and observed behaviour:

* `from`/`to` as `YYYY-MM-DD` mean 00:00 ET of `from` to the end of `to` (ET), or Unix ms; both
  then snap outwards to the start / end of their unit (second, minute, hour, day, week, ...).
* Second/minute/hour bars are built from minute bars (seconds from second bars) in buckets
  aligned to 00:00 ET; day and longer bars from daily bars, weeks starting Sunday, months on the
  1st; multi-unit buckets are anchored at `from`. A bar's `t` is its bucket's start, even when the
  bucket starts before `from` (the bar then only holds the part inside the range).
* `limit` counts *base aggregates* (minute bars for intraday, daily bars otherwise): a page takes
  whole bars while the base bars they hold fit in `limit`, and always at least one bar.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from ...data.bars import Row, aggregate, retime, start_of
from ...data.market import Market
from ...data.trading_calendar import (
    DAY_MS,
    HOUR_MS,
    MINUTE_MS,
    TRADING_DAYS,
    date_of_ms,
    midnight_ms,
)
from ...http.params import QueryError
from .query import (
    DATE_RE,
    INTRADAY,
    MS_RE,
    UNIT_MS,
    Page,
    RangeQuery,
    TimeRange,
    bucket_of,
    next_unit_start,
    unit_start,
)

# (bar row, base aggregates it adds to the page, bucket start ms, bucket end ms exclusive)
BarItem = tuple[Row, int, int, int]


def _snap_start(ms: int, timespan: str) -> int:
    if timespan in UNIT_MS:
        return ms - ms % UNIT_MS[timespan]  # ET offsets are whole hours
    return midnight_ms(unit_start(date_of_ms(ms), timespan))


def _snap_end(ms: int, timespan: str) -> int:
    if timespan in UNIT_MS:
        unit = UNIT_MS[timespan]
        return ms - ms % unit + unit - 1
    start = unit_start(date_of_ms(ms), timespan)
    return midnight_ms(next_unit_start(start, timespan)) - 1


def resolve_range(timespan: str, from_text: str, to_text: str) -> TimeRange:
    """Inclusive bounds of a request, or QueryError with the vendor's messages.

    A date means 00:00 ET (`from`) or the last ms of that day in ET (`to`); a number is Unix ms.
    Both then snap outwards to their unit (the vendor: "to ensure all the aggregate bars are
    full"), which only matters for dates with week/month/quarter/year bars.
    """
    requested: list[int] = []
    snapped: list[int] = []
    for which, text in (("from", from_text), ("to", to_text)):
        try:
            if DATE_RE.match(text):
                day = date.fromisoformat(text)
                if which == "to":
                    day += timedelta(days=1)
                ms = midnight_ms(day) - (1 if which == "to" else 0)
            elif MS_RE.match(text):
                ms = int(text)
            else:
                raise ValueError(text)
            snap = _snap_start if which == "from" else _snap_end
            snapped.append(snap(ms, timespan))
            requested.append(ms)
        except (ValueError, OverflowError, OSError) as exc:
            raise QueryError(
                f"Could not parse the time parameter: '{which}'. "
                "Use YYYY-MM-DD or Unix MS Timestamps"
            ) from exc
    if requested[1] < requested[0]:
        raise QueryError("The parameter 'to' cannot be a time that occurs before 'from'")
    return TimeRange(snapped[0], snapped[1], requested[0])


# -- bar streams ----------------------------------------------------------------------------


def _daily_items(market: Market, q: RangeQuery, now_ms: int) -> list[BarItem]:
    first = date_of_ms(q.from_ms)
    rows = [
        row
        for row in market.daily_range(q.ticker, first, date_of_ms(q.to_ms), q.adjusted, now_ms)
        if q.from_ms <= row[0] <= q.to_ms
    ]
    items: list[BarItem] = []
    if q.timespan == "day" and q.multiplier == 1:
        for row in rows:
            items.append((row, 1, row[0], midnight_ms(date_of_ms(row[0]) + timedelta(days=1))))
    else:
        anchor = unit_start(first, q.timespan)
        group: list[Row] = []
        bucket = bucket_end = anchor
        for row in rows:
            day = date_of_ms(row[0])
            if day >= bucket_end:
                if group:
                    items.append(_daily_bucket(group, bucket, bucket_end))
                bucket = bucket_of(day, anchor, q.timespan, q.multiplier)
                bucket_end = next_unit_start(bucket, q.timespan, q.multiplier)
                group = []
            group.append(row)
        if group:
            items.append(_daily_bucket(group, bucket, bucket_end))
    if q.descending:
        items.reverse()
    return items


def _daily_bucket(group: list[Row], start: date, end: date) -> BarItem:
    start_ms = midnight_ms(start)
    return aggregate(group, start_ms), len(group), start_ms, midnight_ms(end)


def _intraday_rows(market: Market, q: RangeQuery, now_ms: int) -> Iterator[Row]:
    """Base rows (minute, or second for second bars) inside the range that exist at `now_ms`,
    in the requested order."""
    seconds = q.timespan == "second"
    unit = 1000 if seconds else MINUTE_MS
    last_ms = min(q.to_ms, now_ms - unit)  # only bars whose window has closed
    if last_ms < q.from_ms:
        return
    days = TRADING_DAYS.between(date_of_ms(q.from_ms), date_of_ms(last_ms))
    if q.descending:
        days = days[::-1]
    for day in days:
        rows = (market.seconds if seconds else market.minutes)(q.ticker, day, q.adjusted)
        lo = bisect.bisect_left(rows, q.from_ms, key=start_of)
        hi = bisect.bisect_right(rows, last_ms, key=start_of)
        if lo >= hi:
            continue
        if q.descending:
            yield from reversed(rows[lo:hi])
        else:
            yield from rows[lo:hi]


def _intraday_items(market: Market, q: RangeQuery, now_ms: int) -> Iterator[BarItem]:
    rows = _intraday_rows(market, q, now_ms)
    size = UNIT_MS[q.timespan] * q.multiplier
    if q.timespan == "minute" and q.multiplier == 1:
        for row in rows:
            yield row, 1, row[0], row[0] + MINUTE_MS
        return
    seconds = q.timespan == "second"
    per_day = size < DAY_MS  # buckets restart at every midnight; longer ones tile from `from`
    last_minute = -1
    group: list[Row] = []
    group_start = -1
    group_base = 0
    midnight_cache: dict[int, int] = {}
    for row in rows:
        t = row[0]
        if per_day:
            hour = t // HOUR_MS
            midnight = midnight_cache.get(hour)
            if midnight is None:
                midnight = midnight_cache[hour] = midnight_ms(date_of_ms(t))
            start = midnight + (t - midnight) // size * size
        else:
            start = q.from_ms + (t - q.from_ms) // size * size
        if start != group_start:
            if group:
                yield _finish(group, group_start, size, group_base, q.descending)
            group = []
            group_start = start
            group_base = 0
        group.append(row)
        if seconds:
            minute = t - t % MINUTE_MS
            if minute != last_minute:
                group_base += 1
                last_minute = minute
        else:
            group_base += 1
    if group:
        yield _finish(group, group_start, size, group_base, q.descending)


def _finish(group: list[Row], start: int, size: int, base: int, descending: bool) -> BarItem:
    if len(group) == 1:
        row = group[0]
        bar = row if row[0] == start else retime(row, start)
    else:
        bar = aggregate(group[::-1] if descending else group, start)
    return bar, base, start, start + size


def iter_bars(market: Market, q: RangeQuery, now_ms: int) -> Iterator[BarItem]:
    """Every bar of the query that exists at `now_ms`, in the requested order."""
    if not market.knows(q.ticker):
        return iter(())
    if q.timespan in INTRADAY:
        return _intraday_items(market, q, now_ms)
    return iter(_daily_items(market, q, now_ms))


def take_page(market: Market, q: RangeQuery, limit: int, now_ms: int) -> Page:
    """The bars of one response: whole bars while their base aggregates fit in `limit`."""
    rows: list[Row] = []
    used = 0
    for row, base, start, end in iter_bars(market, q, now_ms):
        if rows and used + base > limit:
            return Page(rows, used, end - 1 if q.descending else start)
        rows.append(row)
        used += base
    return Page(rows, used, None)


def bar_dict(row: Row, otc: bool) -> dict[str, Any]:
    """A bar as the API writes it (field order as served by the vendor)."""
    t, o, h, low, c, v, vw, n = row
    if vw is None:
        bar: dict[str, Any] = {"v": v, "o": o, "c": c, "h": h, "l": low, "t": t}
    else:
        bar = {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": low, "t": t}
    if n is not None:
        bar["n"] = n
    if otc:
        bar["otc"] = True
    return bar

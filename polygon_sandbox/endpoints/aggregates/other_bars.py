"""Crypto, forex, index and option bars of the custom-bars endpoint: each market's `from`/`to`
in its own zone, buckets and pages, and the fields its bars carry."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ...data.bars import Row, aggregate, retime
from ...data.other_markets import MarketKind, OtherMarkets, date_of_ms, kind_of, midnight_ms
from ...data.trading_calendar import MINUTE_MS
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


def iter_bars(others: OtherMarkets, q: RangeQuery, now_ms: int) -> Iterator[tuple[Row, int, int]]:
    """(bar, base aggregates it holds, bucket start) of the query at `now_ms`, in order."""
    if not others.knows(q.ticker):
        return iter(())
    kind = kind_of(q.ticker)
    assert kind is not None
    if q.timespan in INTRADAY:
        items = list(_intraday(others, kind, q, now_ms))
    else:
        items = _daily_items(others, kind, q, now_ms)
    if q.descending:
        items.reverse()
    return iter(items)


def _days(kind: MarketKind, q: RangeQuery, now_ms: int) -> list[date]:
    first = date_of_ms(q.from_ms, kind.zone)
    last = date_of_ms(min(q.to_ms, now_ms), kind.zone)
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def _intraday(
    others: OtherMarkets, kind: MarketKind, q: RangeQuery, now_ms: int
) -> Iterator[tuple[Row, int, int]]:
    size = UNIT_MS[q.timespan] * q.multiplier
    last_ms = min(q.to_ms, now_ms - MINUTE_MS)
    group: list[Row] = []
    group_start = -1
    for day in _days(kind, q, now_ms):
        midnight = midnight_ms(day, kind.zone)
        for row in others.minutes(q.ticker, day):
            t = row[0]
            if t < q.from_ms or t > last_ms:
                continue
            start = midnight + (t - midnight) // size * size
            if start != group_start:
                if group:
                    yield _bucket(group, group_start)
                group, group_start = [], start
            group.append(row)
    if group:
        yield _bucket(group, group_start)


def _daily_items(
    others: OtherMarkets, kind: MarketKind, q: RangeQuery, now_ms: int
) -> list[tuple[Row, int, int]]:
    rows = [
        row
        for day in _days(kind, q, now_ms)
        if (row := others.daily(q.ticker, day, now_ms)) is not None
    ]
    if q.timespan == "day" and q.multiplier == 1:
        return [(row, 1, row[0]) for row in rows]
    anchor = unit_start(date_of_ms(q.from_ms, kind.zone), q.timespan)
    items: list[tuple[Row, int, int]] = []
    group: list[Row] = []
    bucket: date | None = None
    for row in rows:
        day = date_of_ms(row[0], kind.zone)
        this = bucket_of(day, anchor, q.timespan, q.multiplier)
        if this != bucket and group:
            items.append(_daily_bucket(group, bucket, kind.zone))
            group = []
        bucket = this
        group.append(row)
    if group:
        items.append(_daily_bucket(group, bucket, kind.zone))
    return items


def take_page(others: OtherMarkets, q: RangeQuery, limit: int, now_ms: int) -> Page:
    """Whole bars while their base aggregates fit in `limit`, and at least one."""
    rows: list[Row] = []
    used = 0
    bars = iter_bars(others, q, now_ms)
    for row, base, start in bars:
        if rows and used + base > limit:
            return Page(rows, used, _next_ms(q, start, row))
        rows.append(row)
        used += base
    return Page(rows, used, None)


def _next_ms(q: RangeQuery, start: int, row: Row) -> int:
    if not q.descending:
        return start
    kind = kind_of(q.ticker)
    assert kind is not None
    if q.timespan in INTRADAY:
        return start + UNIT_MS[q.timespan] * q.multiplier - 1
    day = unit_start(date_of_ms(start, kind.zone), q.timespan)
    return midnight_ms(next_unit_start(day, q.timespan, q.multiplier), kind.zone) - 1


def bar_dict(row: Row, kind: MarketKind) -> dict[str, object]:
    """A bar as the API writes it: index bars carry values only, no `v`, `vw` or `n`."""
    t, o, h, low, c, v, vw, n = row
    if not kind.has_volume:
        return {"o": o, "c": c, "h": h, "l": low, "t": t}
    return {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": low, "t": t, "n": n}


def _bucket(group: list[Row], start: int) -> tuple[Row, int, int]:
    bar = aggregate(group, start) if len(group) > 1 else retime(group[0], start)
    return bar, len(group), start


def _daily_bucket(group: list[Row], day: date | None, zone: ZoneInfo) -> tuple[Row, int, int]:
    assert day is not None
    start = midnight_ms(day, zone)
    return aggregate(group, start), len(group), start


def resolve_range(kind: MarketKind, timespan: str, from_text: str, to_text: str) -> TimeRange:
    """As stock_bars.resolve_range, with dates meaning days of the market's zone."""
    bounds: list[int] = []
    for which, text in (("from", from_text), ("to", to_text)):
        try:
            if DATE_RE.match(text):
                day = date.fromisoformat(text)
                if which == "to":
                    day += timedelta(days=1)
                ms = midnight_ms(day, kind.zone) - (1 if which == "to" else 0)
            elif MS_RE.match(text):
                ms = int(text)
                datetime.fromtimestamp(ms / 1000, kind.zone)  # in range of a date
            else:
                raise ValueError(text)
        except (ValueError, OverflowError, OSError) as exc:
            raise QueryError(
                f"Could not parse the time parameter: '{which}'. "
                "Use YYYY-MM-DD or Unix MS Timestamps"
            ) from exc
        bounds.append(ms)
    if bounds[1] < bounds[0]:
        raise QueryError("The parameter 'to' cannot be a time that occurs before 'from'")
    return TimeRange(
        _snap(kind, bounds[0], timespan, end=False),
        _snap(kind, bounds[1], timespan, end=True),
        bounds[0],
    )


def _snap(kind: MarketKind, ms: int, timespan: str, *, end: bool) -> int:
    if timespan in UNIT_MS:
        unit = UNIT_MS[timespan]
        return ms - ms % unit + (unit - 1 if end else 0)
    start = unit_start(date_of_ms(ms, kind.zone), timespan)
    if not end:
        return midnight_ms(start, kind.zone)
    return midnight_ms(next_unit_start(start, timespan), kind.zone) - 1

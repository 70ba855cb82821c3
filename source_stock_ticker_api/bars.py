"""Time arithmetic for bars: where a bar ends, how records render time, what a page holds.

The API works in each market's zone: a daily bar of a stock, option or index starts at 00:00
America/New_York, one of crypto or forex at 00:00 UTC, and the trading date of a bar is its start
converted to that zone (never the machine's zone). The functions below take the zone, New York
unless said; everything else in this docstring reads "the market's zone" for "New York".

Where a bar ends decides when it is complete (the cursor only moves past complete bars) and where
the next sync starts. What this relies on, as the API buckets bars:

* Second, minute and hour bars shorter than a day sit in buckets anchored at 00:00 New York each
  day, `multiplier` units long in elapsed time. A size that does not divide the day (17 hours,
  1000 minutes, 7 minutes) leaves a shorter last bucket, cut at the next midnight: 17-hour bars
  run 00:00-17:00 and 17:00-24:00. Days of 23 and 25 hours (DST changes) are cut the same way.
  Intraday bars of a day or more are lined up with each request's `from` instead, so they cannot
  match from one sync to the next: config.py refuses them.
* Day and week bars are `multiplier` calendar days or weeks long (weeks start on Sunday), month,
  quarter and year bars end on the 1st of a later month; all start and end at 00:00 New York. A
  multi-unit grid starts at the request's `from`, and every sync after the first starts where the
  last complete bar ended, so it stays on the first sync's grid.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from source_stock_ticker_api.markets import NEW_YORK

INTRADAY = frozenset({"second", "minute", "hour"})

# `limit` counts base aggregates: minute bars for intraday requests, daily bars otherwise.
MAX_BASE_AGGREGATES = 50_000
# Bars one page may hold. A minute can hold up to 60 second bars, so a page of second bars with
# `limit` at its maximum could hold 3 million of them: their `limit` is lowered to stay under this.
MAX_BARS_PER_PAGE = 50_000
# Intraday bars must be shorter than this (see the module docstring).
DAY_MS = 86_400_000
_FIXED_SECONDS = {"second": 1, "minute": 60, "hour": 3600}
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# "MM:00Z" for each minute of an hour: the end of most rendered timestamps.
_WHOLE_MINUTES = tuple(f"{minute:02d}:00Z" for minute in range(60))


def day_start(day: date, zone: ZoneInfo = NEW_YORK) -> datetime:
    """00:00 of `day` in the market's zone (New York unless said), as an aware datetime."""
    return datetime(day.year, day.month, day.day, tzinfo=zone)


def to_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def fixed_bar_ms(timespan: str, multiplier: int) -> int:
    """Length of a bar in ms when it is fixed (second, minute, hour); 0 for calendar spans."""
    return _FIXED_SECONDS.get(timespan, 0) * multiplier * 1000


def bar_end_ms(start_ms: int, timespan: str, multiplier: int, zone: ZoneInfo = NEW_YORK) -> int:
    """Start of the bar that follows the one starting at `start_ms`: when that bar is complete.

    An intraday bar ends `multiplier` units later or at the next midnight of the market's zone
    (New York; UTC for crypto and forex), whichever comes first; the API starts the next day's
    buckets there.
    """
    start = datetime.fromtimestamp(start_ms / 1000, zone)
    if timespan in _FIXED_SECONDS:
        midnight = to_ms(day_start(start.date() + timedelta(days=1), zone))
        return min(start_ms + _FIXED_SECONDS[timespan] * multiplier * 1000, midnight)
    if timespan == "day":
        following = start.date() + timedelta(days=multiplier)
    elif timespan == "week":
        following = start.date() + timedelta(weeks=multiplier)
    else:
        months = start.year * 12 + start.month - 1 + _MONTHS[timespan] * multiplier
        following = date(months // 12, months % 12 + 1, 1)
    return to_ms(day_start(following, zone))


def page_limit(timespan: str, multiplier: int) -> int:
    """The `limit` to send: the API's maximum, or less when a page would hold too many bars.

    `limit` counts minutes for second bars, and a minute holds up to ceil(60 / multiplier) of
    them; every other bar holds at least one base aggregate. Lowering `limit` bounds what one
    page (and the connector's memory) holds; `next_url` still brings the rest.
    """
    if timespan == "second" and multiplier < 60:
        bars_per_minute = -(-60 // multiplier)
        return MAX_BARS_PER_PAGE // bars_per_minute
    return MAX_BASE_AGGREGATES


class TimeFormatter:
    """Renders bar starts as UTC ISO instants and trading dates in the market's zone, cached by
    hour.

    Intraday syncs render up to a million bars; one zone conversion per hour keeps that cheap.
    """

    def __init__(self, zone: ZoneInfo = NEW_YORK) -> None:
        self._zone = zone
        self._hours: dict[int, tuple[str, str]] = {}

    def render(self, ms: int) -> tuple[str, str]:
        """(`timestamp`, `date`) of the bar starting at Unix ms `ms`."""
        hour, rest = divmod(ms, 3_600_000)
        cached = self._hours.get(hour)
        if cached is None:
            moment = datetime.fromtimestamp(hour * 3600, timezone.utc)
            cached = (
                moment.strftime("%Y-%m-%dT%H:"),
                moment.astimezone(self._zone).date().isoformat(),
            )
            if len(self._hours) > 100_000:
                self._hours.clear()
            self._hours[hour] = cached
        if not rest % 60_000:  # minute, hour and daily bars start on a whole minute
            return cached[0] + _WHOLE_MINUTES[rest // 60_000], cached[1]
        minutes, millis = divmod(rest, 60_000)
        seconds, millis = divmod(millis, 1000)
        fraction = f".{millis:03d}" if millis else ""
        return f"{cached[0]}{minutes:02d}:{seconds:02d}{fraction}Z", cached[1]

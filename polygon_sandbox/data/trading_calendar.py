"""NYSE trading days, session lengths and America/New_York time arithmetic.

Every timestamp the API serves is anchored to New York wall time (daily bars start at 00:00 ET,
DST-aware), so all conversions between dates and Unix milliseconds live here. Not named
`calendar.py` so that it can never shadow the standard library module.
"""

from __future__ import annotations

import bisect
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

import holidays

NEW_YORK = ZoneInfo("America/New_York")
HISTORY_START = date(2015, 1, 2)  # first bar the sandbox serves
MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000

PRE_MARKET_OPEN = 4 * 60  # minutes after midnight ET: extended hours start 04:00
REGULAR_OPEN = 9 * 60 + 30
REGULAR_CLOSE = 16 * 60
EXTENDED_CLOSE = 20 * 60
EARLY_REGULAR_CLOSE = 13 * 60  # half days: the bell rings at 13:00 ...
EARLY_EXTENDED_CLOSE = 17 * 60  # ... and after-hours trading ends at 17:00


@dataclass(frozen=True)
class Session:
    """Minutes after 00:00 ET at which a trading day's sessions start and end."""

    first_minute: int
    regular_open: int
    regular_close: int
    end_minute: int

    @property
    def minutes(self) -> int:
        return self.end_minute - self.first_minute


FULL_SESSION = Session(PRE_MARKET_OPEN, REGULAR_OPEN, REGULAR_CLOSE, EXTENDED_CLOSE)
EARLY_SESSION = Session(PRE_MARKET_OPEN, REGULAR_OPEN, EARLY_REGULAR_CLOSE, EARLY_EXTENDED_CLOSE)


@cache
def _holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.NYSE(years=year).keys())


def is_holiday(day: date) -> bool:
    return day in _holidays(day.year)


def is_trading_day(day: date) -> bool:
    return day.weekday() < 5 and not is_holiday(day)


def is_early_close(day: date) -> bool:
    """NYSE half days: July 3, the day after Thanksgiving and Christmas Eve.

    `holidays` knows closures but not half days; the exchange's rule is that these three days
    close at 13:00 whenever they are themselves ordinary weekdays.
    """
    if not is_trading_day(day):
        return False
    if (day.month, day.day) in ((7, 3), (12, 24)):
        return True
    if day.month == 11 and day.weekday() == 4:
        thursday = day - timedelta(days=1)
        return 22 <= thursday.day <= 28  # the fourth Thursday is Thanksgiving
    return False


def session(day: date) -> Session:
    return EARLY_SESSION if is_early_close(day) else FULL_SESSION


@lru_cache(maxsize=16_384)
def midnight_ms(day: date) -> int:
    """Unix ms of 00:00 America/New_York on `day` (the `t` of its daily bar)."""
    return int(datetime(day.year, day.month, day.day, tzinfo=NEW_YORK).timestamp()) * 1000


def date_of_ms(ms: int) -> date:
    """The New York calendar date containing the instant `ms`."""
    return datetime.fromtimestamp(ms / 1000, NEW_YORK).date()


def session_end_ms(day: date) -> int:
    """When the day's extended session is over and its daily bar becomes final."""
    return midnight_ms(day) + session(day).end_minute * MINUTE_MS


def sunday_on_or_before(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


class _TradingDays:
    """Sorted list of trading days since HISTORY_START, extended lazily a year at a time.

    The index of a day in this list is what the price random walk steps over, so it must never
    depend on the sandbox's `now`.
    """

    def __init__(self) -> None:
        self._days: list[date] = []
        self._index: dict[date, int] = {}
        self._through = HISTORY_START - timedelta(days=1)
        self._lock = threading.Lock()

    def _ensure(self, day: date) -> None:
        if day <= self._through:
            return
        with self._lock:
            target = date(day.year, 12, 31)
            cursor = self._through + timedelta(days=1)
            while cursor <= target:
                if is_trading_day(cursor):
                    self._index[cursor] = len(self._days)
                    self._days.append(cursor)
                cursor += timedelta(days=1)
            self._through = max(self._through, target)

    def index(self, day: date) -> int | None:
        """Position of `day` among trading days, or None if it is not one (or is too early)."""
        if day < HISTORY_START:
            return None
        self._ensure(day)
        return self._index.get(day)

    def day(self, index: int) -> date:
        return self._days[index]

    def between(self, first: date, last: date) -> list[date]:
        """Trading days in [first, last], ascending."""
        if last < first or last < HISTORY_START:
            return []
        self._ensure(last)
        lo = bisect.bisect_left(self._days, first)
        hi = bisect.bisect_right(self._days, last)
        return self._days[lo:hi]

    def last_on_or_before(self, day: date) -> date | None:
        if day < HISTORY_START:
            return None
        self._ensure(day)
        pos = bisect.bisect_right(self._days, day)
        return self._days[pos - 1] if pos else None


TRADING_DAYS = _TradingDays()

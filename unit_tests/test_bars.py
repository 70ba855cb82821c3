"""bars.py: where a bar ends, how a bar's start is rendered."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_stock_ticker_api.bars import (
    NEW_YORK,
    TimeFormatter,
    bar_end_ms,
    day_start,
)
from source_stock_ticker_api.markets import is_nyse_trading_day
from unit_tests.helpers import ms

# (timespan, multiplier, bar start, bar end), all in UTC.
BAR_ENDS = [
    # Intraday bars that divide a day end after a fixed duration.
    ("second", 1, "2024-03-08T14:30:00Z", "2024-03-08T14:30:01Z"),
    ("second", 30, "2024-03-08T14:30:00Z", "2024-03-08T14:30:30Z"),
    ("minute", 1, "2024-03-08T14:30:00Z", "2024-03-08T14:31:00Z"),
    ("minute", 5, "2024-03-08T14:30:00Z", "2024-03-08T14:35:00Z"),
    ("hour", 1, "2024-03-08T14:00:00Z", "2024-03-08T15:00:00Z"),
    ("hour", 4, "2024-03-08T12:00:00Z", "2024-03-08T16:00:00Z"),
    # Bars that do not divide a day: the day's last bar is cut at the next midnight New York.
    # 17-hour bars on Wednesday 2024-03-06 (EST): 00:00-17:00, then 17:00 cut at midnight.
    ("hour", 17, "2024-03-06T05:00:00Z", "2024-03-06T22:00:00Z"),
    ("hour", 17, "2024-03-06T22:00:00Z", "2024-03-07T05:00:00Z"),
    # 1000-minute bars: 00:00-16:40, then 16:40 to midnight (7 h 20 min).
    ("minute", 1000, "2024-03-06T05:00:00Z", "2024-03-06T21:40:00Z"),
    ("minute", 1000, "2024-03-06T21:40:00Z", "2024-03-07T05:00:00Z"),
    # 7-minute bars: 03:58-04:05 holds the session's first minute; 23:55 is cut at 24:00.
    ("minute", 7, "2024-03-06T08:58:00Z", "2024-03-06T09:05:00Z"),
    ("minute", 7, "2024-03-07T04:55:00Z", "2024-03-07T05:00:00Z"),
    # 7-second bars: 86400 = 12342 * 7 + 6, so the day's last bar lasts 6 seconds.
    ("second", 7, "2024-03-07T04:59:54Z", "2024-03-07T05:00:00Z"),
    # Summer (EDT): 17-hour bars run 00:00-17:00 and 17:00-24:00 New York.
    ("hour", 17, "2024-07-09T04:00:00Z", "2024-07-09T21:00:00Z"),
    ("hour", 17, "2024-07-09T21:00:00Z", "2024-07-10T04:00:00Z"),
    # Months, quarters and years end on the first of a later month.
    ("month", 1, "2024-01-01T05:00:00Z", "2024-02-01T05:00:00Z"),
    ("month", 1, "2024-03-01T05:00:00Z", "2024-04-01T04:00:00Z"),
    ("month", 1, "2024-12-01T05:00:00Z", "2025-01-01T05:00:00Z"),
    ("month", 2, "2024-11-01T04:00:00Z", "2025-01-01T05:00:00Z"),
    ("quarter", 1, "2024-01-01T05:00:00Z", "2024-04-01T04:00:00Z"),
    ("quarter", 1, "2024-10-01T04:00:00Z", "2025-01-01T05:00:00Z"),
    ("quarter", 2, "2024-07-01T04:00:00Z", "2025-01-01T05:00:00Z"),
    ("year", 1, "2024-01-01T05:00:00Z", "2025-01-01T05:00:00Z"),
    ("year", 2, "2023-01-01T05:00:00Z", "2025-01-01T05:00:00Z"),
    # Multi-day and multi-week bars end on a later midnight.
    # 3-day bars are three calendar days, weekends included, across the spring DST change.
    ("day", 3, "2024-03-09T05:00:00Z", "2024-03-12T04:00:00Z"),
    # Sunday 2024-10-27 EDT to Sunday 2024-11-10 EST: two weeks, one hour longer.
    ("week", 2, "2024-10-27T04:00:00Z", "2024-11-10T05:00:00Z"),
    ("week", 1, "2024-11-03T04:00:00Z", "2024-11-10T05:00:00Z"),
]


class TestBarEnd:
    @pytest.mark.parametrize(("timespan", "multiplier", "start", "end"), BAR_ENDS)
    def test_a_bar_ends_after_its_size_or_at_the_next_midnight(
        self, timespan: str, multiplier: int, start: str, end: str
    ) -> None:
        assert bar_end_ms(ms(start), timespan, multiplier) == ms(end)

    @pytest.mark.parametrize(
        ("start", "end"),
        [
            # Friday 2024-03-08 in EST ends at Saturday 00:00 EST.
            ("2024-03-08T05:00:00Z", "2024-03-09T05:00:00Z"),
            # Sunday 2024-03-10, the day clocks spring forward, lasts 23 hours.
            ("2024-03-10T05:00:00Z", "2024-03-11T04:00:00Z"),
            # Sunday 2024-11-03, the day clocks fall back, lasts 25 hours.
            ("2024-11-03T04:00:00Z", "2024-11-04T05:00:00Z"),
            # A summer day in EDT.
            ("2024-07-05T04:00:00Z", "2024-07-06T04:00:00Z"),
        ],
    )
    def test_daily_bar_ends_at_next_midnight_in_new_york(self, start: str, end: str) -> None:
        assert bar_end_ms(ms(start), "day", 1) == ms(end)

    def test_multi_day_bar_ends_multiplier_days_later_across_dst(self) -> None:
        assert bar_end_ms(ms("2024-03-08T05:00:00Z"), "day", 3) == ms("2024-03-11T04:00:00Z")

    def test_weekly_bar_ends_next_sunday_midnight_across_dst(self) -> None:
        # Sunday 2024-03-10 00:00 EST to Sunday 2024-03-17 00:00 EDT: 167 hours.
        start, end = ms("2024-03-10T05:00:00Z"), ms("2024-03-17T04:00:00Z")
        assert bar_end_ms(start, "week", 1) == end
        assert end - start == (7 * 24 - 1) * 3_600_000
        assert bar_end_ms(start, "week", 2) == ms("2024-03-24T04:00:00Z")


class TestDayStart:
    def test_midnight_in_new_york_follows_dst(self) -> None:
        assert day_start(date(2024, 3, 10)) == datetime(2024, 3, 10, 5, tzinfo=timezone.utc)
        assert day_start(date(2024, 3, 11)) == datetime(2024, 3, 11, 4, tzinfo=timezone.utc)


class TestTimeFormatter:
    @pytest.mark.parametrize(
        ("t", "timestamp", "day"),
        [
            # The DST pair of the API docs: EST before, EDT after.
            (1709874000000, "2024-03-08T05:00:00Z", "2024-03-08"),
            (1710129600000, "2024-03-11T04:00:00Z", "2024-03-11"),
            # 23:30 in New York is already the next day in UTC: the date stays New York's.
            (ms("2024-03-09T04:30:00Z"), "2024-03-09T04:30:00Z", "2024-03-08"),
            (ms("2024-07-09T03:59:00Z"), "2024-07-09T03:59:00Z", "2024-07-08"),
            (ms("2024-07-09T04:00:00Z"), "2024-07-09T04:00:00Z", "2024-07-09"),
            # Sub-second starts keep their milliseconds, zero-padded.
            (1709874000123, "2024-03-08T05:00:00.123Z", "2024-03-08"),
            (1709874001005, "2024-03-08T05:00:01.005Z", "2024-03-08"),
            (1709874059999, "2024-03-08T05:00:59.999Z", "2024-03-08"),
        ],
    )
    def test_renders_utc_instant_and_new_york_date(self, t: int, timestamp: str, day: str) -> None:
        assert TimeFormatter().render(t) == (timestamp, day)

    def test_a_warm_cache_renders_other_minutes_of_the_same_hour(self) -> None:
        formatter = TimeFormatter()
        formatter.render(ms("2024-03-08T14:00:00Z"))
        assert formatter.render(ms("2024-03-08T14:59:30Z")) == (
            "2024-03-08T14:59:30Z",
            "2024-03-08",
        )

    def test_cache_is_cleared_when_it_grows_too_large(self) -> None:
        formatter = TimeFormatter()
        formatter._hours = {hour: ("x", "y") for hour in range(100_001)}
        assert formatter.render(1709874000000) == ("2024-03-08T05:00:00Z", "2024-03-08")
        assert len(formatter._hours) == 1

    @settings(max_examples=300, deadline=None)
    @given(t=st.integers(min_value=0, max_value=ms("2100-01-01T00:00:00Z")))
    def test_agrees_with_a_plain_conversion(self, t: int) -> None:
        moment = datetime.fromtimestamp(t / 1000, timezone.utc)
        whole = moment.strftime("%Y-%m-%dT%H:%M:%S")
        expected = f"{whole}.{t % 1000:03d}Z" if t % 1000 else f"{whole}Z"
        assert TimeFormatter().render(t) == (
            expected,
            moment.astimezone(NEW_YORK).date().isoformat(),
        )


class TestTradingDays:
    @pytest.mark.parametrize(
        ("day", "trading"),
        [
            (date(2024, 3, 8), True),  # Friday
            (date(2024, 3, 9), False),  # Saturday
            (date(2024, 3, 10), False),  # Sunday
            (date(2024, 3, 29), False),  # Good Friday
            (date(2024, 6, 19), False),  # Juneteenth
            (date(2024, 11, 28), False),  # Thanksgiving
            (date(2024, 11, 29), True),  # the day after: a half day, still a trading day
            (date(2024, 12, 25), False),  # Christmas
        ],
    )
    def test_nyse_calendar(self, day: date, trading: bool) -> None:
        assert is_nyse_trading_day(day) is trading

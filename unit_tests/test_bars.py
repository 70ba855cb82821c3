"""bars.py: where a bar ends, how a bar's start is rendered, how a date range is split."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from source_stock_ticker_api.bars import (
    MAX_BASE_AGGREGATES,
    MINUTES_PER_TRADING_DAY,
    NEW_YORK,
    TimeFormatter,
    Window,
    bar_end_ms,
    day_start,
    is_trading_day,
    windows,
)
from unit_tests.helpers import ms

PER_WINDOW = MAX_BASE_AGGREGATES // MINUTES_PER_TRADING_DAY


def trading_days(first: date, last: date) -> int:
    return sum(
        1 for offset in range((last - first).days + 1) if is_trading_day(first + timedelta(offset))
    )


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
        assert is_trading_day(day) is trading


class TestWindows:
    def test_first_after_last_gives_no_window(self) -> None:
        assert windows(date(2024, 3, 12), date(2024, 3, 11), "minute") == []
        assert windows(date(2024, 3, 12), date(2024, 3, 11), "day") == []

    @pytest.mark.parametrize("timespan", ["day", "week", "month", "quarter", "year"])
    def test_daily_and_longer_bars_fit_in_one_window(self, timespan: str) -> None:
        assert windows(date(2004, 1, 1), date(2024, 3, 11), timespan) == [
            Window(date(2004, 1, 1), date(2024, 3, 11))
        ]

    def test_a_year_of_minute_bars_splits_into_five_windows_of_52_trading_days(self) -> None:
        assert PER_WINDOW == 52
        result = windows(date(2023, 1, 1), date(2023, 12, 31), "minute")
        assert result == [
            # Jan 3-31 (20 days) + Feb (19) + Mar 1-17 (13) = 52 trading days.
            Window(date(2023, 1, 1), date(2023, 3, 19)),
            Window(date(2023, 3, 20), date(2023, 6, 1)),
            Window(date(2023, 6, 2), date(2023, 8, 16)),
            Window(date(2023, 8, 17), date(2023, 10, 30)),
            Window(date(2023, 10, 31), date(2023, 12, 31)),
        ]
        assert [trading_days(w.first, w.last) for w in result] == [52, 52, 52, 52, 42]

    @pytest.mark.parametrize("timespan", ["second", "minute", "hour"])
    def test_every_intraday_timespan_counts_minute_bars(self, timespan: str) -> None:
        assert len(windows(date(2023, 1, 1), date(2023, 12, 31), timespan)) == 5

    def test_exactly_52_trading_days_is_one_window_and_the_53rd_opens_another(self) -> None:
        # 2023-01-03 .. 2023-03-17 holds exactly 52 trading days; 2023-03-20 is the 53rd.
        assert windows(date(2023, 1, 3), date(2023, 3, 17), "minute") == [
            Window(date(2023, 1, 3), date(2023, 3, 17))
        ]
        assert windows(date(2023, 1, 3), date(2023, 3, 20), "minute") == [
            Window(date(2023, 1, 3), date(2023, 3, 19)),
            Window(date(2023, 3, 20), date(2023, 3, 20)),
        ]

    def test_a_holiday_only_range_is_still_one_window(self) -> None:
        # Asked anyway: an unscheduled session or a calendar gap must not lose data.
        assert windows(date(2024, 12, 25), date(2024, 12, 25), "minute") == [
            Window(date(2024, 12, 25), date(2024, 12, 25))
        ]

    def test_a_weekend_only_range_is_still_one_window(self) -> None:
        assert windows(date(2024, 3, 9), date(2024, 3, 10), "minute") == [
            Window(date(2024, 3, 9), date(2024, 3, 10))
        ]

    @settings(max_examples=60, deadline=None)
    @given(
        first=st.dates(min_value=date(2015, 1, 1), max_value=date(2025, 12, 31)),
        length=st.integers(min_value=0, max_value=800),
    )
    def test_windows_tile_the_range_and_each_fits_one_request(
        self, first: date, length: int
    ) -> None:
        last = first + timedelta(days=length)
        result = windows(first, last, "minute")
        assert result[0].first == first
        assert result[-1].last == last
        for previous, following in zip(result, result[1:], strict=False):
            assert following.first == previous.last + timedelta(days=1)
            # A window is closed only when the next trading day would not fit.
            assert trading_days(previous.first, previous.last) == PER_WINDOW
            assert is_trading_day(following.first)
        assert trading_days(result[-1].first, result[-1].last) <= PER_WINDOW

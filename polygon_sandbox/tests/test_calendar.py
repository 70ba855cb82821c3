"""NYSE calendar: weekends, holidays, half days and DST as seen in served bars."""

from __future__ import annotations

from datetime import date, datetime, timezone

import requests

from polygon_sandbox import Sandbox
from polygon_sandbox.data.trading_calendar import (
    NEW_YORK,
    TRADING_DAYS,
    date_of_ms,
    is_early_close,
    is_trading_day,
    midnight_ms,
)

from .helpers import get

DAY_MS = 86_400_000


def _daily(sandbox: Sandbox, http: requests.Session, first: str, last: str) -> list[dict]:
    url = f"{sandbox.url}/v2/aggs/ticker/AAPL/range/1/day/{first}/{last}"
    return list(get(http, url).json()["results"])


def test_no_bars_on_weekends(sandbox: Sandbox, http: requests.Session) -> None:
    bars = _daily(sandbox, http, "2024-02-01", "2024-02-29")
    days = [date_of_ms(bar["t"]) for bar in bars]
    assert days and all(day.weekday() < 5 for day in days)
    assert date(2024, 2, 24) not in days and date(2024, 2, 25) not in days


def test_no_bar_on_martin_luther_king_day(sandbox: Sandbox, http: requests.Session) -> None:
    bars = _daily(sandbox, http, "2024-01-12", "2024-01-16")
    assert [date_of_ms(bar["t"]) for bar in bars] == [date(2024, 1, 12), date(2024, 1, 16)]


def test_daily_bars_start_at_new_york_midnight_across_dst(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.set_now(datetime(2024, 4, 1, tzinfo=timezone.utc))
    friday, monday = _daily(sandbox, http, "2024-03-08", "2024-03-11")
    # Clocks went forward on Sunday 2024-03-10: three calendar days are one hour shorter.
    assert monday["t"] - friday["t"] == 3 * DAY_MS - 3_600_000
    for bar in (friday, monday):
        start = datetime.fromtimestamp(bar["t"] / 1000, NEW_YORK)
        assert (start.hour, start.minute) == (0, 0)
    assert friday["t"] == 1_709_874_000_000  # 2024-03-08T05:00:00Z
    assert monday["t"] == 1_710_129_600_000  # 2024-03-11T04:00:00Z


def test_half_days_have_shorter_extended_hours(sandbox: Sandbox) -> None:
    sandbox.set_now(datetime(2025, 1, 1, tzinfo=timezone.utc))
    full = sandbox.expected_bars("AAPL", 1, "minute", "2024-11-27", "2024-11-27")
    half = sandbox.expected_bars("AAPL", 1, "minute", "2024-11-29", "2024-11-29")
    assert len(full) == 960 and len(half) == 780

    def clock(ms: int) -> tuple[int, int]:
        moment = datetime.fromtimestamp(ms / 1000, NEW_YORK)
        return moment.hour, moment.minute

    assert clock(full[0]["t"]) == (4, 0) and clock(full[-1]["t"]) == (19, 59)
    assert clock(half[0]["t"]) == (4, 0) and clock(half[-1]["t"]) == (16, 59)


def test_calendar_rules() -> None:
    assert is_early_close(date(2023, 7, 3))  # Monday before Independence Day
    assert is_early_close(date(2024, 12, 24))
    assert not is_early_close(date(2020, 7, 2))  # July 3 2020 was the observed holiday
    assert not is_trading_day(date(2021, 12, 24))  # Christmas observed
    assert not is_trading_day(date(2025, 1, 9))  # national day of mourning
    assert not is_trading_day(date(2024, 3, 29))  # Good Friday
    assert TRADING_DAYS.between(date(2024, 1, 13), date(2024, 1, 15)) == []
    assert TRADING_DAYS.last_on_or_before(date(2024, 3, 3)) == date(2024, 3, 1)
    assert midnight_ms(date(2024, 7, 1)) == 1_719_806_400_000  # 04:00Z in summer

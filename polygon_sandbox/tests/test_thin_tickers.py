"""Thinly traded tickers: few minute bars a day, which still add up to their daily bar."""

from __future__ import annotations

from datetime import date, datetime, timezone

from polygon_sandbox.data.bars import aggregate
from polygon_sandbox.data.market import Market
from polygon_sandbox.data.trading_calendar import MINUTE_MS, midnight_ms
from polygon_sandbox.data.universe import THIN_TICKERS, TICKERS

DAY = date(2024, 3, 7)  # a full trading day
HALF_DAY = date(2024, 11, 29)  # the day after Thanksgiving: the session ends at 17:00


def test_thin_tickers_are_served_with_few_minute_bars_a_day() -> None:
    market = Market(1)
    assert THIN_TICKERS == {"THIN": 40, "HUSH": 4}
    assert set(THIN_TICKERS) <= set(TICKERS)
    for ticker, per_day in THIN_TICKERS.items():
        for day in (DAY, HALF_DAY):
            minutes = market.minutes(ticker, day, True)
            starts = [row[0] for row in minutes]
            assert len(minutes) == per_day
            assert starts == sorted(set(starts))
            assert all(start % MINUTE_MS == 0 for start in starts)
    assert len(market.minutes("AAPL", DAY, True)) == 960


def test_thin_minutes_add_up_to_the_daily_bar() -> None:
    market = Market(1)
    for ticker in THIN_TICKERS:
        daily = market.final_daily(ticker, DAY, True)
        t, o, h, low, c, v, _, n = aggregate(market.minutes(ticker, DAY, True), daily[0])
        assert (o, h, low, c, v) == daily[1:6]
        assert daily[7] is None or n == daily[7]


def test_todays_partial_daily_bar_holds_only_the_thin_bars_so_far() -> None:
    market = Market(1)
    minutes = market.minutes("THIN", DAY, True)
    now = datetime(2024, 3, 7, 16, 0, tzinfo=timezone.utc)  # 11:00 in New York
    now_ms = int(now.timestamp() * 1000)
    so_far = [row for row in minutes if row[0] + MINUTE_MS <= now_ms]
    assert 0 < len(so_far) < len(minutes)
    partial = market.daily("THIN", DAY, True, now_ms)
    assert partial is not None
    assert partial[:6] == aggregate(so_far, midnight_ms(DAY))[:6]

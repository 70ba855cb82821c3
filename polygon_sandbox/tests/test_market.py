"""Data generation: determinism, internal consistency, universe, splits, number style."""

from __future__ import annotations

from datetime import date

from polygon_sandbox import OTC_TICKERS, SPLITS, TICKERS, split_factor
from polygon_sandbox.data.bars import aggregate
from polygon_sandbox.data.market import Market
from polygon_sandbox.http.encoding import dumps, format_volume


def test_universe() -> None:
    assert len(TICKERS) >= 120 and len(set(TICKERS)) == len(TICKERS)
    for ticker in ("AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "TSLA", "META", "SPY"):
        assert ticker in TICKERS
    assert set(OTC_TICKERS) <= set(TICKERS) and len(OTC_TICKERS) == 1
    assert all(t.isalpha() and t.isupper() for t in TICKERS)


def test_same_seed_same_data_other_seed_other_data() -> None:
    day = date(2023, 5, 17)
    one, two, other = Market(1), Market(1), Market(2)
    generated = TICKERS[20]
    assert one.final_daily(generated, day, True) == two.final_daily(generated, day, True)
    assert one.minutes("AAPL", day, True) == two.minutes("AAPL", day, True)
    assert one.seconds("AAPL", day, True) == two.seconds("AAPL", day, True)
    assert one.final_daily("AAPL", day, True) != other.final_daily("AAPL", day, True)


def test_minutes_add_up_to_the_daily_bar() -> None:
    market = Market(1)
    for ticker, day in (("AAPL", date(2020, 8, 28)), ("SPY", date(2024, 11, 29))):
        for adjusted in (True, False):
            daily = market.final_daily(ticker, day, adjusted)
            minutes = market.minutes(ticker, day, adjusted)
            t, o, h, low, c, v, _, n = aggregate(minutes, daily[0])
            assert (o, h, low, c, v) == daily[1:6]
            assert daily[7] is None or n == daily[7]


def test_seconds_add_up_to_their_minute() -> None:
    market = Market(1)
    day = date(2024, 2, 29)
    seconds = market.seconds("MSFT", day, True)
    by_minute: dict[int, list] = {}
    for row in seconds:
        by_minute.setdefault(row[0] - row[0] % 60_000, []).append(row)
    minutes = market.minutes("MSFT", day, True)
    assert sorted(by_minute) == [m[0] for m in minutes]
    for minute in minutes[::37]:
        rows = by_minute[minute[0]]
        agg = aggregate(rows, minute[0])
        assert agg[:6] == minute[:6]
        assert len(rows) <= 6 and len({r[0] for r in rows}) == len(rows)


def test_split_factors() -> None:
    assert split_factor("AAPL", date(2020, 8, 28)) == 4
    assert split_factor("AAPL", date(2020, 8, 31)) == 1
    assert split_factor("NVDA", date(2021, 1, 4)) == 40
    assert split_factor("NVDA", date(2024, 6, 7)) == 10
    assert split_factor("TSLA", date(2022, 8, 24)) == 3
    assert split_factor("MSFT", date(2016, 1, 4)) == 1
    assert {"AAPL", "TSLA", "NVDA"} <= set(SPLITS)


def test_volume_number_style() -> None:
    assert format_volume(1029145.0) == "1.029145e+06"
    assert format_volume(135647456.0) == "1.35647456e+08"
    assert format_volume(1_000_000.0) == "1e+06"
    assert format_volume(999_999.0) == "999999.0"
    assert dumps({"vw": 1234567.0, "v": 7.5}) == b'{"vw":1234567.0,"v":7.5}'

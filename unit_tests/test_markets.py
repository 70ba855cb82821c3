"""Which market a ticker belongs to, by its prefix."""

from __future__ import annotations

from datetime import date, datetime

import pytest

from source_stock_ticker_api.markets import (
    CRYPTO,
    FOREX,
    INDICES,
    OPTIONS,
    STOCKS,
    Market,
    market_of,
    tickers_by_market,
)


@pytest.mark.parametrize(
    ("ticker", "market"),
    [
        ("AAPL", STOCKS),
        ("BRK.A", STOCKS),
        ("TCEHY", STOCKS),
        ("X:BTCUSD", CRYPTO),
        ("C:EURUSD", FOREX),
        ("I:SPX", INDICES),
        ("O:AAPL250117C00150000", OPTIONS),
    ],
)
def test_the_prefix_names_the_market(ticker: str, market: Market) -> None:
    assert market_of(ticker) is market


def test_tickers_are_grouped_by_market_in_a_fixed_market_order() -> None:
    grouped = tickers_by_market(["I:SPX", "AAPL", "X:BTCUSD", "MSFT", "X:ETHUSD"])
    assert list(grouped.items()) == [
        (STOCKS, ("AAPL", "MSFT")),
        (CRYPTO, ("X:BTCUSD", "X:ETHUSD")),
        (INDICES, ("I:SPX",)),
    ]


def test_each_market_has_its_own_stream_and_zone() -> None:
    assert [(m.stream_name, m.zone.key) for m in (STOCKS, CRYPTO, FOREX, INDICES, OPTIONS)] == [
        ("stock_prices", "America/New_York"),
        ("crypto_prices", "UTC"),
        ("forex_prices", "UTC"),
        ("index_prices", "America/New_York"),
        ("option_prices", "America/New_York"),
    ]


def _ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


@pytest.mark.parametrize(
    ("market", "start", "end", "open_minutes"),
    [
        # Friday 20:00 New York (01:00Z) to Monday 04:00 (09:00Z): no stock session.
        (STOCKS, "2024-03-02T01:00:00Z", "2024-03-04T09:00:00Z", 0),
        (STOCKS, "2024-03-02T00:00:00Z", "2024-03-04T10:00:00Z", 120),
        (STOCKS, "2024-03-04T00:00:00Z", "2024-03-05T05:00:00Z", 16 * 60),
        # Good Friday 2024-03-29: NYSE closed.
        (STOCKS, "2024-03-29T04:00:00Z", "2024-03-30T04:00:00Z", 0),
        # Options and indices: 09:30-16:15 New York, on EDT after 2024-03-10 (13:30-20:15Z).
        (OPTIONS, "2024-03-11T00:00:00Z", "2024-03-12T00:00:00Z", 6 * 60 + 45),
        (INDICES, "2024-03-11T20:15:00Z", "2024-03-12T13:30:00Z", 0),
        # Crypto: every minute of a Saturday.
        (CRYPTO, "2024-03-02T00:00:00Z", "2024-03-03T00:00:00Z", 24 * 60),
        # Forex: closed from Friday 22:00Z to Sunday 21:00Z.
        (FOREX, "2024-03-01T22:00:00Z", "2024-03-03T21:00:00Z", 0),
        (FOREX, "2024-03-01T21:00:00Z", "2024-03-03T22:00:00Z", 120),
    ],
)
def test_open_time_follows_each_markets_calendar(
    market: Market, start: str, end: str, open_minutes: int
) -> None:
    assert market.open_ms_between(_ms(start), _ms(end)) == open_minutes * 60_000


def test_trading_days_in_each_markets_own_days() -> None:
    saturday, good_friday, monday = date(2024, 3, 2), date(2024, 3, 29), date(2024, 3, 4)
    assert [m.is_trading_day(saturday) for m in (STOCKS, CRYPTO, FOREX)] == [False, True, False]
    assert [m.is_trading_day(good_friday) for m in (STOCKS, INDICES, CRYPTO)] == [
        False,
        False,
        True,
    ]
    assert all(m.is_trading_day(monday) for m in (STOCKS, OPTIONS, INDICES, CRYPTO, FOREX))

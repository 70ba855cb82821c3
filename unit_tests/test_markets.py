"""Which market a ticker belongs to, by its prefix."""

from __future__ import annotations

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

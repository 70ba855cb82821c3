"""The vendor's own Python client (`massive`) reads the sandbox's reference endpoints as it reads
the real API: its models take every field the sandbox sends (Ticker and MarketHoliday refuse an
unknown one), and its pagination follows the sandbox's `next_url` to the last page."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from massive import RESTClient

from polygon_sandbox import SPLITS, Sandbox

from .helpers import api_json

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)


@pytest.fixture
def sandbox(loopback_only: None) -> Iterator[Sandbox]:
    with Sandbox(now=NOW, seed=1) as server:
        yield server


def test_list_tickers_pages_through_every_stock(sandbox: Sandbox, client: RESTClient) -> None:
    tickers = [t.ticker for t in client.list_tickers(market="stocks", limit=50)]

    expected = api_json(sandbox, "/v3/reference/tickers", market="stocks", limit=1000)["results"]
    assert tickers == [entry["ticker"] for entry in expected] and len(tickers) == 121
    assert [r.status for r in sandbox.requests][:3] == [200, 200, 200]
    assert len(sandbox.requests) == 3 + 1  # three pages of 50, then the unpaged check


def test_get_ticker_details(client: RESTClient) -> None:
    details = client.get_ticker_details("AAPL")

    assert (details.ticker, details.name, details.market, details.list_date) == (
        "AAPL",
        "Apple Inc.",
        "stocks",
        "1980-12-12",
    )
    assert details.market_cap and details.weighted_shares_outstanding


def test_list_stocks_dividends_pages_through_every_dividend(
    sandbox: Sandbox, client: RESTClient
) -> None:
    query = {"ticker.any_of": "AAPL,MSFT,SPY", "ex_dividend_date.gte": "2025-01-02"}

    dividends = list(
        client.list_stocks_dividends(
            ticker_any_of="AAPL,MSFT,SPY", ex_dividend_date_gte="2025-01-02", limit=5
        )
    )

    expected = api_json(sandbox, "/stocks/v1/dividends", **query, limit=5000)["results"]
    assert [d.id for d in dividends] == [e["id"] for e in expected] and len(expected) > 10
    assert [d.historical_adjustment_factor for d in dividends] == [
        e["historical_adjustment_factor"] for e in expected
    ]
    assert len(sandbox.requests) == -(-len(expected) // 5) + 1


def test_list_stocks_splits_one_per_page(sandbox: Sandbox, client: RESTClient) -> None:
    splits = list(client.list_stocks_splits(ticker_any_of="NVDA,TSLA", limit=1))

    assert [(s.ticker, s.execution_date, s.split_to) for s in splits] == [
        (ticker, day.isoformat(), float(ratio))
        for ticker in ("NVDA", "TSLA")
        for day, ratio in SPLITS[ticker]
    ]
    assert len(sandbox.requests) == 4


def test_get_market_holidays(sandbox: Sandbox, client: RESTClient) -> None:
    holidays = client.get_market_holidays()

    fields = ("close", "date", "exchange", "name", "open", "status")
    assert [{key: getattr(h, key) for key in fields} for h in holidays] == [
        {key: entry.get(key) for key in fields}
        for entry in api_json(sandbox, "/v1/marketstatus/upcoming")
    ]
    assert (holidays[0].date, holidays[0].exchange, holidays[0].status) == (
        "2026-11-26",
        "NYSE",
        "closed",
    )

"""The short-data endpoints and IPOs: the vendor's client reads them with paging, their fields
are the client's models' fields, and their numbers agree with the sandbox's bars and details."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timezone

import pytest
from massive import RESTClient
from massive.rest.models.financials import FinancialFloat
from massive.rest.models.tickers import IPOListing, ShortInterest, ShortVolume

from polygon_sandbox import FREE_KEY, Sandbox

from .helpers import api_get, api_results, model_fields

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)


@pytest.fixture
def sandbox(loopback_only: None) -> Iterator[Sandbox]:
    with Sandbox(now=NOW, seed=1) as server:
        yield server


def test_the_client_pages_through_short_interest_and_short_volume(
    sandbox: Sandbox, client: RESTClient
) -> None:
    interest = list(
        client.list_short_interest(ticker="AAPL", settlement_date_gte="2026-06-01", limit=3)
    )
    volume = list(client.list_short_volume(ticker="MSFT", date_gte="2026-11-02", limit=4))

    expected_interest = api_results(
        sandbox,
        "/stocks/v1/short-interest",
        ticker="AAPL",
        limit=50_000,
        **{"settlement_date.gte": "2026-06-01"},
    )
    expected_volume = api_results(
        sandbox,
        "/stocks/v1/short-volume",
        ticker="MSFT",
        limit=50_000,
        **{"date.gte": "2026-11-02"},
    )
    assert [dataclasses.asdict(row) for row in interest] == expected_interest
    assert [dataclasses.asdict(row) for row in volume] == expected_volume
    assert (len(expected_interest), len(expected_volume)) == (11, 15)
    assert len(sandbox.requests) == 4 + 4 + 2  # ceil(11/3) and ceil(15/4) pages, two checks


def test_the_client_pages_through_floats_and_ipos(sandbox: Sandbox, client: RESTClient) -> None:
    floats = list(client.list_stocks_floats(ticker_any_of="AAPL,MSFT,SPY", limit=2))
    ipos = list(client.vx.list_ipos(listing_date_gte="2026-09-01", order="asc", limit=5))

    expected_floats = api_results(sandbox, "/stocks/vX/float", **{"ticker.any_of": "AAPL,MSFT,SPY"})
    expected_ipos = api_results(
        sandbox, "/vX/reference/ipos", order="asc", limit=1000, **{"listing_date.gte": "2026-09-01"}
    )
    assert [dataclasses.asdict(row) for row in floats] == expected_floats
    assert [row.ticker for row in ipos] == [row["ticker"] for row in expected_ipos]
    assert [row.final_issue_price for row in ipos] == [
        row.get("final_issue_price") for row in expected_ipos
    ]
    assert (len(expected_floats), len(expected_ipos)) == (3, 16)
    assert len(sandbox.requests) == 2 + 4 + 2


def test_the_fields_are_the_vendor_models_fields(sandbox: Sandbox) -> None:
    interest = api_results(sandbox, "/stocks/v1/short-interest", ticker="AAPL")
    volume = api_results(sandbox, "/stocks/v1/short-volume", ticker="AAPL")
    floats = api_results(sandbox, "/stocks/vX/float", ticker="AAPL")
    ipos = api_results(sandbox, "/vX/reference/ipos", limit=100)

    assert {k for row in interest for k in row} == model_fields(ShortInterest)
    assert {k for row in volume for k in row} == model_fields(ShortVolume)
    assert {k for row in floats for k in row} == model_fields(FinancialFloat)
    assert {k for row in ipos for k in row} == model_fields(IPOListing)


def test_short_volume_is_at_most_the_days_volume_of_the_bars(sandbox: Sandbox) -> None:
    shorts = api_results(
        sandbox,
        "/stocks/v1/short-volume",
        ticker="NVDA",
        limit=50_000,
        **{"date.gte": "2024-06-03", "date.lte": "2024-06-14"},
    )
    bars = api_results(
        sandbox, "/v2/aggs/ticker/NVDA/range/1/day/2024-06-03/2024-06-14", adjusted="false"
    )

    assert len(shorts) == len(bars) == 10  # a split on 2024-06-10 inside: unadjusted volumes
    for short, bar in zip(shorts, bars, strict=True):
        assert short["short_volume"] <= short["total_volume"] <= bar["v"]
        assert short["short_volume"] == short["exempt_volume"] + short["non_exempt_volume"]
        assert short["short_volume"] == sum(
            short[f"{venue}_short_volume"]
            for venue in ("adf", "nasdaq_carteret", "nasdaq_chicago", "nyse")
        )
        assert short["short_volume_ratio"] == round(
            100 * short["short_volume"] / short["total_volume"], 2
        )


def test_short_interest_is_twice_a_month_with_days_to_cover_of_its_average_volume(
    sandbox: Sandbox,
) -> None:
    rows = api_results(
        sandbox,
        "/stocks/v1/short-interest",
        ticker="AAPL",
        **{"settlement_date.gte": "2026-08-01"},
    )

    assert [r["settlement_date"] for r in rows] == [
        "2026-08-14",  # the 15th is a Saturday: the trading day before
        "2026-08-31",
        "2026-09-15",
        "2026-09-30",
        "2026-10-15",
        "2026-10-30",  # the 31st is a Saturday
        "2026-11-13",  # disseminated 8 days later; 2026-11-30 is not yet
    ]
    for row in rows:
        assert row["days_to_cover"] == round(row["short_interest"] / row["avg_daily_volume"], 2)
    bars = api_results(sandbox, "/v2/aggs/ticker/AAPL/range/1/day/2026-10-19/2026-10-30")
    assert rows[5]["avg_daily_volume"] == int(sum(bar["v"] for bar in bars) / len(bars))


def test_float_times_the_close_is_near_the_market_cap(sandbox: Sandbox) -> None:
    for ticker in ("AAPL", "MSFT", "SPY"):
        (row,) = api_results(sandbox, "/stocks/vX/float", ticker=ticker)
        cap = api_get(sandbox, f"/v3/reference/tickers/{ticker}").json()["results"]["market_cap"]
        (bar,) = api_results(sandbox, f"/v2/aggs/ticker/{ticker}/range/1/day/2026-11-20/2026-11-20")
        ratio = row["free_float"] * bar["c"] / cap
        assert 0.6 <= ratio <= 1.0
        assert ratio == pytest.approx(row["free_float_percent"] / 100, abs=1e-6)
        assert date.fromisoformat(row["effective_date"]) <= date(2026, 11, 23)


def test_the_free_plan_sees_two_years_of_short_data(sandbox: Sandbox) -> None:
    old = api_get(
        sandbox, "/stocks/v1/short-volume", FREE_KEY, ticker="AAPL", **{"date.gte": "2024-11-01"}
    )
    unbounded = api_get(sandbox, "/stocks/v1/short-interest", FREE_KEY, ticker="AAPL", limit=1)

    assert old.status_code == 403 and old.json()["status"] == "NOT_AUTHORIZED"
    assert unbounded.status_code == 200
    assert unbounded.json()["results"][0]["settlement_date"] == "2024-11-29"

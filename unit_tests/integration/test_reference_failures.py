"""How the reference streams react to refusals, wrong URLs and rate limits, with requests-mock.

Each test asserts the records, the error (failure_type and words) and every request sent.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, read
from airbyte_cdk.test.models.scenario import ExpectedOutcome

from source_stock_ticker_api.reference.declarations import Endpoint
from source_stock_ticker_api.reference.endpoints import (
    DIVIDENDS,
    MARKET_HOLIDAYS,
    SPLITS,
    TICKER_DETAILS,
    TICKERS,
)
from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import API_URL, ConfigBuilder
from unit_tests.helpers import error_traces, records, waits
from unit_tests.integration.api_failures import PRICING, failure
from unit_tests.integration.request_builder import sent_requests

pytestmark = pytest.mark.now()

TICKERS_URL = f"{API_URL}/v3/reference/tickers"
LISTING = {"sort": ["ticker"], "order": ["asc"], "limit": ["1000"]}
AUTH = "Bearer pk_unittest_Zq7Xw3Rv9Ty2Lm5Np8"


def listed(ticker: str, market: str) -> dict[str, Any]:
    return {"ticker": ticker, "name": ticker, "market": market, "locale": "us", "active": True}


def sync(stream: str, mode: SyncMode, expect_failure: bool = False) -> EntrypointOutput:
    config = ConfigBuilder().with_tickers("AAPL", "I:SPX").build()
    catalog = CatalogBuilder().with_stream(stream, mode).build()
    outcome = ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
    return read(SourceStockTickerApi(), config, catalog, expected_outcome=outcome)


def test_a_market_the_plan_refuses_does_not_stop_the_others(requests_mock: rm.Mocker) -> None:
    """Indices need their own entitlement: stocks and OTC are read, active and inactive, then
    one config_error naming both refused lists of indices."""
    empty = {"json": {"results": [], "status": "OK"}}
    requests_mock.get(
        TICKERS_URL,
        [
            {"json": {"results": [listed("AAPL", "stocks")], "status": "OK"}},
            empty,
            {"json": {"results": [listed("TCEHY", "otc")], "status": "OK"}},
            empty,
            failure(403),
            failure(403),
        ],
    )

    output = sync("tickers", SyncMode.full_refresh, expect_failure=True)

    assert records(output) == [listed("AAPL", "stocks"), listed("TCEHY", "otc")]
    refused = (
        "The API key works, but the plan does not cover the list of indices tickers "
        "(active={}): You are not entitled to this data. "
        f"{PRICING} Choose a timespan and start_date your plan includes, or upgrade the plan."
    )
    assert error_traces(output)[0] == (
        FailureType.config_error,
        f"{refused.format('true')} {refused.format('false')}",
    )
    assert sent_requests(requests_mock) == [
        ("GET", TICKERS_URL, {"market": [market], "active": [active], **LISTING}, AUTH)
        for market in ("stocks", "otc", "indices")
        for active in ("true", "false")
    ]


def test_a_404_on_a_list_endpoint_means_a_wrong_api_url(requests_mock: rm.Mocker) -> None:
    requests_mock.get(f"{API_URL}/v1/marketstatus/upcoming", [failure(404)])

    output = sync("market_holidays", SyncMode.full_refresh, expect_failure=True)

    assert error_traces(output)[0] == (
        FailureType.config_error,
        "The API could not serve the upcoming market holidays: The requested resource was not "
        "found. Check the ticker, dates, timespan and api_url in the configuration.",
    )
    assert requests_mock.call_count == 1


def test_a_rate_limit_waits_as_retry_after_says_then_reads(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    holiday = {"date": "2024-03-29", "exchange": "NYSE", "name": "Good Friday", "status": "closed"}
    requests_mock.get(
        f"{API_URL}/v1/marketstatus/upcoming",
        [failure(429, Retry_After="7"), {"json": [holiday]}],
    )

    output = sync("market_holidays", SyncMode.full_refresh)

    assert records(output) == [holiday]
    # Retry-After 7, as said (congestion.py).
    assert waits(sleeps) == [7.0]
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    ("endpoint", "url", "words"),
    [
        (
            TICKERS,
            f"{API_URL}/v3/reference/tickers?market=otc&active=false&limit=1000",
            "the list of otc tickers (active=false)",
        ),
        (TICKERS, f"{API_URL}/v3/reference/tickers?cursor=abc", "the list of tickers"),
        (TICKER_DETAILS, f"{API_URL}/v3/reference/tickers/BRK.A", "BRK.A ticker details"),
        (
            SPLITS,
            f"{API_URL}/stocks/v1/splits?ticker.any_of=A,B,C,D,E,F,G&execution_date.gte=2024-01-02",
            "splits of A, B, C, D, E and 2 more from 2024-01-02",
        ),
        (DIVIDENDS, f"{API_URL}/stocks/v1/dividends?cursor=abc", "a page of dividends"),
        (MARKET_HOLIDAYS, f"{API_URL}/v1/marketstatus/upcoming", "the upcoming market holidays"),
        (TICKERS, f"{API_URL}/v3/reference/conditions", "the request"),
        (TICKER_DETAILS, f"{API_URL}/stocks/v1/splits", "the request"),
    ],
)
def test_messages_name_each_reference_request(endpoint: Endpoint, url: str, words: str) -> None:
    assert endpoint.describe(url) == words

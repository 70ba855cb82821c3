"""The installed Airbyte CDK still offers what cdk/http.py relies on.

PolygonStream.fetch sends a slice's request through HttpStream._fetch_next_page (cdk.http.send),
from worker threads too (prices/inflight.py), every request of a sync takes its turn from one
APIBudget, the HTTP client's session takes our pool for http:// (cdk.http), and a 429 let
through prints the stream status the CDK prints for a rate-limited answer. A CDK upgrade
that changes any of them fails here, by name.
"""

from __future__ import annotations

import inspect
import json
import logging
import threading
from typing import Any

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit
from airbyte_cdk.sources.streams.http import HttpClient, HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import HttpStatusErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator
from requests.adapters import HTTPAdapter

from source_stock_ticker_api.cdk.http import say_rate_limited
from source_stock_ticker_api.config import SPEC_PROPERTIES, parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.polygon.pacing import PacedBudget
from source_stock_ticker_api.polygon.stream import Access, Fetched
from source_stock_ticker_api.prices.slices import BarQuery, TickerPage
from source_stock_ticker_api.prices.stream import PriceStream
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder


def stock_prices() -> PriceStream:
    access = Access(parse_config(ConfigBuilder().build()), TokenAuthenticator(API_KEY))
    return PriceStream(STOCKS, access)


def test_fetch_next_page_keeps_its_signature() -> None:
    signature = inspect.signature(HttpStream._fetch_next_page)
    assert str(signature).startswith("(self, stream_slice")
    assert list(signature.parameters) == ["self", "stream_slice", "stream_state", "next_page_token"]


def test_fetch_sends_the_slices_request_and_returns_its_answer(requests_mock: rm.Mocker) -> None:
    aggs = AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-11")
    requests_mock.get(aggs.url, json=AggsResponseBuilder().with_bars(1709874000000).build_json())
    prices = PriceStream(
        STOCKS, Access(parse_config(ConfigBuilder().build()), TokenAuthenticator(API_KEY))
    )
    page = TickerPage("AAPL", "2024-03-01", "2024-03-11", BarQuery("day", 1, True, 50_000))

    fetched = prices.fetch(page)

    assert isinstance(fetched, Fetched)
    assert isinstance(fetched.response, requests.Response) and fetched.response.ok
    assert fetched.refusal is None
    assert [r.headers["Authorization"] for r in requests_mock.request_history] == [
        f"Bearer {API_KEY}"
    ]


def test_one_budget_taken_from_many_threads_at_once_gives_no_more_than_its_pace() -> None:
    """Five a minute, the check's slot taken: of 20 threads asking at once, exactly 4 get one."""
    budget = PacedBudget(requests_per_minute=5)
    granted: list[bool] = []
    start = threading.Barrier(20)

    def ask() -> None:
        start.wait()
        try:
            budget.acquire_call(requests.Request("GET", "http://127.0.0.1/").prepare(), block=False)
            granted.append(True)
        except CallRateLimitHit:
            granted.append(False)

    threads = [threading.Thread(target=ask) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert granted.count(True) == 4


def test_the_http_client_keeps_its_session_and_the_pool_holds_as_many_as_may_be_in_flight() -> None:
    prices = PriceStream(
        STOCKS, Access(parse_config(ConfigBuilder().build()), TokenAuthenticator(API_KEY))
    )
    session = prices._http_client._session
    assert isinstance(session, requests.Session)
    limit = SPEC_PROPERTIES["max_concurrent_requests"]["maximum"]
    for scheme in ("http://", "https://"):
        adapter = session.get_adapter(scheme + "127.0.0.1/")
        assert isinstance(adapter, HTTPAdapter)
        assert getattr(adapter, "_pool_maxsize", None) == MAX_CONNECTION_POOL_SIZE == limit


def status_lines(out: str) -> list[dict[str, Any]]:
    """The stream-status messages printed, without their time."""
    lines = [json.loads(line) for line in out.splitlines() if '"STREAM_STATUS"' in line]
    for line in lines:
        del line["trace"]["emitted_at"]
    return lines


def test_say_rate_limited_prints_what_the_cdk_prints_for_a_rate_limited_answer(
    requests_mock: rm.Mocker, capsys: pytest.CaptureFixture[str]
) -> None:
    """Our 429s are let through (polygon/congestion.py); the platform still gets the CDK's
    stream status RUNNING / RATE_LIMITED for each, as the CDK's HttpClient prints it."""
    url = "http://127.0.0.1:8999/v1/marketstatus/upcoming"
    requests_mock.get(url, [{"status_code": 429, "json": {}}, {"status_code": 200, "json": []}])
    rate_limited = ErrorResolution(
        response_action=ResponseAction.RATE_LIMITED, failure_type=FailureType.transient_error
    )
    handler = HttpStatusErrorHandler(logging.getLogger("test"), {429: rate_limited})
    client = HttpClient("stock_prices", logging.getLogger("test"), error_handler=handler)
    client.send_request("GET", url, request_kwargs={})
    printed_by_the_cdk = status_lines(capsys.readouterr().out)

    say_rate_limited("stock_prices")

    assert printed_by_the_cdk != []
    assert status_lines(capsys.readouterr().out) == printed_by_the_cdk

"""The installed Airbyte CDK still offers what cdk/http.py relies on.

PolygonStream.fetch sends a slice's request through HttpStream._fetch_next_page (cdk.http.send),
from worker threads too (prices/inflight.py), every request of a sync takes its turn from one
APIBudget, and the HTTP client's session takes our pool for http:// (cdk.http). A CDK upgrade
that changes any of them fails here, by name.
"""

from __future__ import annotations

import inspect
import threading

import requests
import requests_mock as rm
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator
from requests.adapters import HTTPAdapter

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

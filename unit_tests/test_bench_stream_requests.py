"""The bench's every-stream table counts each request of the sandbox's log for its own stream."""

from __future__ import annotations

import pytest

from benchmarks.stream_requests import stream_of_path
from source_stock_ticker_api.reference.endpoints import ENDPOINTS
from unit_tests.helpers import STREAM_NAMES


@pytest.mark.parametrize(
    ("path", "stream"),
    [
        ("/v3/reference/tickers/types", "ticker_types"),  # a literal path, not a ticker
        ("/v3/reference/tickers/AAPL", "ticker_details"),
        ("/vX/reference/tickers/AAPL/events", "ticker_events"),
        ("/v3/reference/tickers", "tickers"),
        ("/v1/related-companies/MSFT", "related_companies"),
        ("/v2/aggs/grouped/locale/us/market/stocks/2026-11-20", "stock_prices"),
        ("/v2/aggs/ticker/X:BTCUSD/range/1/day/2026-10-01/2026-11-20", "crypto_prices"),
        ("/stocks/financials/v1/ratios", "financial_ratios"),
    ],
)
def test_a_request_counts_for_the_stream_whose_path_it_is(path: str, stream: str) -> None:
    assert stream_of_path(path) == stream


def test_every_declared_path_counts_for_its_own_stream() -> None:
    for endpoint in ENDPOINTS:
        path = "/" + endpoint.path.replace("{ticker}", "AAPL")
        assert stream_of_path(path) == endpoint.stream
    assert {e.stream for e in ENDPOINTS} <= set(STREAM_NAMES)

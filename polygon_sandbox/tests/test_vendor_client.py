"""The vendor's own Python client (`massive`) reads every market from the sandbox.

A check of the sandbox's fidelity by code nobody here wrote: the client parses each body into its
`Agg` objects, follows `next_url` itself, and raises on an error it does not expect. Warnings are
errors here, so a shape the client merely tolerates would fail too.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
from massive import RESTClient
from massive.exceptions import BadResponse

from polygon_sandbox import Sandbox

# Tuesday 2024-04-02, 12:00 in New York: March 2024 is over in every market.
NOW = datetime(2024, 4, 2, 16, 0, tzinfo=timezone.utc)
OPTION = "O:AAPL261218C00250000"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW) as sb:
        yield sb


def client(sandbox: Sandbox, key: str = "sandbox-unlimited-key") -> RESTClient:
    return RESTClient(api_key=key, base=sandbox.url, retries=0)


def as_bar(agg: Any) -> dict[str, Any]:
    """An `Agg` back in the API's field names, leaving out what the client found missing."""
    fields = {
        "o": agg.open,
        "h": agg.high,
        "l": agg.low,
        "c": agg.close,
        "v": agg.volume,
        "vw": agg.vwap,
        "t": agg.timestamp,
        "n": agg.transactions,
        "otc": agg.otc,
    }
    return {name: value for name, value in fields.items() if value is not None}


@pytest.mark.parametrize(
    ("ticker", "timespan", "start", "end", "limit", "count"),
    [
        ("AAPL", "day", "2024-03-01", "2024-03-31", 7, 20),
        ("X:BTCUSD", "day", "2024-03-01", "2024-03-31", 7, 31),
        ("C:EURUSD", "day", "2024-03-01", "2024-03-31", 7, 26),  # no Saturday
        ("I:SPX", "day", "2024-03-01", "2024-03-31", 7, 20),
        ("X:BTCUSD", "hour", "2024-03-09", "2024-03-10", 500, 48),
        (OPTION, "minute", "2024-03-01", "2024-03-01", 10, None),
    ],
)
def test_the_vendor_client_reads_every_market_page_by_page(
    sandbox: Sandbox,
    ticker: str,
    timespan: str,
    start: str,
    end: str,
    limit: int,
    count: int | None,
) -> None:
    served = sandbox.expected_bars(ticker, 1, timespan, start, end)
    sandbox.clear_requests()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        aggs = list(client(sandbox).list_aggs(ticker, 1, timespan, start, end, limit=limit))

    assert [as_bar(agg) for agg in aggs] == served
    assert count is None or len(aggs) == count
    # `limit` counts base aggregates: minutes for hour and minute bars, days for daily bars.
    per_bar = 60 if timespan == "hour" else 1
    if timespan != "minute":  # sparse option minutes: a page may hold fewer bars than minutes
        assert len(sandbox.data_requests()) == math.ceil(len(served) * per_bar / limit)
    if ticker.startswith("I:"):
        assert all(agg.volume is None and agg.vwap is None for agg in aggs)


def test_the_vendor_client_gets_the_aggs_of_one_page(sandbox: Sandbox) -> None:
    aggs = client(sandbox).get_aggs("C:EURUSD", 1, "day", "2024-03-08", "2024-03-11")

    assert [as_bar(agg) for agg in aggs] == sandbox.expected_bars(
        "C:EURUSD", 1, "day", "2024-03-08", "2024-03-11"
    )
    assert [agg.timestamp for agg in aggs] == [  # Friday, Sunday, Monday: 00:00 UTC each
        1709856000000,
        1710028800000,
        1710115200000,
    ]


@pytest.mark.parametrize("ticker", ["X:BTCUSD", "C:EURUSD", "I:SPX", OPTION])
def test_a_stocks_only_plan_gets_the_apis_refusal_for_every_other_market(
    sandbox: Sandbox, ticker: str
) -> None:
    with pytest.raises(BadResponse) as refused:
        list(
            client(sandbox, "sandbox-stocks-only-key").list_aggs(
                ticker, 1, "day", "2024-03-01", "2024-03-08"
            )
        )

    assert "You are not entitled to this data" in str(refused.value)
    assert list(
        client(sandbox, "sandbox-stocks-only-key").list_aggs(
            "AAPL", 1, "day", "2024-03-01", "2024-03-08"
        )
    )

"""The lists' declarations (reference/listings.py): which underlyings a config asks options
contracts for, the requests of each list, their words, and the one warning per underlying
that no request gave a contract."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.reference.declarations import Endpoint, ListRequest, Partition
from source_stock_ticker_api.reference.endpoints import ENDPOINTS
from source_stock_ticker_api.reference.listings import (
    CONDITIONS,
    EXCHANGES,
    LISTS,
    OPTIONS_CONTRACTS,
    TICKER_TYPES,
    Underlyings,
    UnderlyingsRead,
    underlying_of,
)
from source_stock_ticker_api.reference.stream import Outcome, Reading
from unit_tests.config_builder import ConfigBuilder

pytestmark = pytest.mark.now()
CONTRACTS = "v3/reference/options/contracts"


def requests_of(endpoint: Endpoint, *tickers: str) -> list[tuple[str, dict[str, Any]]]:
    config = parse_config(ConfigBuilder().with_tickers(*tickers).build())
    made = []
    for item in endpoint.fan_out.partitions(config):
        assert isinstance(item, Partition)
        request = endpoint.request(item)
        made.append((request.path(), request.params()))
    return made


@pytest.mark.parametrize(
    ("option", "underlying"),
    [
        ("O:AAPL251219C00150000", "AAPL"),
        ("O:SPY261218P00600000", "SPY"),
        ("O:F260116C00012500", "F"),
        ("O:SPXW261218C06000000", "SPXW"),
    ],
)
def test_the_underlying_is_the_root_before_the_occ_tail(option: str, underlying: str) -> None:
    assert underlying_of(option) == underlying


def test_underlyings_are_the_stocks_and_the_contracts_roots_each_once_in_config_order() -> None:
    config = parse_config(
        ConfigBuilder()
        .with_tickers(
            "O:SPY261218P00600000",
            "AAPL",
            "X:BTCUSD",
            "O:AAPL261218C00250000",
            "I:SPX",
            "C:EURUSD",
            "MSFT",
            "O:SPY261218C00700000",
        )
        .build()
    )

    partitions = list(Underlyings().partitions(config))

    assert partitions == [
        Partition({}, (("underlying_ticker", u),), (u,)) for u in ("SPY", "AAPL", "MSFT")
    ]


def test_options_contracts_ask_each_underlying_active_then_expired_at_the_largest_page() -> None:
    assert requests_of(OPTIONS_CONTRACTS, "AAPL", "O:SPY261218P00600000") == [
        (CONTRACTS, {"underlying_ticker": u, "expired": e, "limit": 1000})
        for u in ("AAPL", "SPY")
        for e in ("false", "true")
    ]
    assert requests_of(OPTIONS_CONTRACTS, "X:BTCUSD", "I:SPX") == []


def test_the_lists_are_one_request_each_whatever_the_tickers() -> None:
    tickers = ("AAPL", "X:BTCUSD", "O:SPY261218P00600000")
    assert requests_of(EXCHANGES, *tickers) == [("v3/reference/exchanges", {})]
    assert requests_of(CONDITIONS, *tickers) == [("v3/reference/conditions", {"limit": 1000})]
    assert requests_of(TICKER_TYPES, *tickers) == [("v3/reference/tickers/types", {})]


def test_the_lists_are_declared_streams_with_their_keys() -> None:
    assert all(endpoint in ENDPOINTS for endpoint in LISTS)
    assert {e.stream: e.primary_key for e in LISTS} == {
        "options_contracts": "ticker",
        "exchanges": ["asset_class", "id"],
        "conditions": ["asset_class", "type", "id"],
        "ticker_types": ["asset_class", "locale", "code"],
    }
    assert all(e.incremental is None for e in LISTS)
    assert (OPTIONS_CONTRACTS.plan, EXCHANGES.plan, CONDITIONS.plan, TICKER_TYPES.plan) == (
        "Options Basic",
        "",
        "",
        "",
    )


def test_a_request_in_words() -> None:
    base = "https://api.massive.com/v3/reference/options/contracts"
    first = f"{base}?underlying_ticker=AAPL&expired=true&limit=1000"
    assert OPTIONS_CONTRACTS.describe(first) == "the options contracts of AAPL (expired=true)"
    assert OPTIONS_CONTRACTS.describe(f"{base}?cursor=abc") == "a page of options contracts"
    assert CONDITIONS.describe("https://x/v3/reference/conditions?limit=1000") == (
        "the list of conditions"
    )


def read_of(caplog: pytest.LogCaptureFixture) -> UnderlyingsRead:
    config = parse_config(ConfigBuilder().with_tickers("AAPL", "ZZZZ").build())
    logger = logging.getLogger("test-underlyings")
    reading = Reading(OPTIONS_CONTRACTS, config, lambda request: None, ParsedBodies(), logger)  # type: ignore[arg-type,return-value]
    caplog.set_level(logging.INFO, logger="test-underlyings")
    return UnderlyingsRead(reading)


def request(underlying: str) -> ListRequest:
    return ListRequest(CONTRACTS, (), (underlying,))


def test_one_warning_once_every_request_of_an_underlying_gave_nothing(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read = read_of(caplog)

    read.tell(request("AAPL"), Outcome(0, None))  # no active contract...
    read.tell(request("AAPL"), Outcome(130, None))  # ...but expired ones: no warning
    read.tell(request("ZZZZ"), Outcome(0, None))
    assert caplog.messages == []
    read.tell(request("ZZZZ"), Outcome(0, None))

    assert [(r.levelname, r.getMessage()) for r in caplog.records] == [
        (
            "WARNING",
            "ZZZZ: the API has no options contracts for this underlying, active or expired; "
            "the other underlyings are read. Check the symbol.",
        )
    ]


def test_a_refused_underlying_is_no_unknown_symbol_and_stops_the_next_requests(
    caplog: pytest.LogCaptureFixture,
) -> None:
    read = read_of(caplog)

    read.tell(request("AAPL"), Outcome(0, Refusal(403, "not entitled")))
    read.tell(request("AAPL"), Outcome(0, None))

    assert caplog.messages == []
    assert read.plan_refused
    assert list(read.read(request("ZZZZ"))) == []

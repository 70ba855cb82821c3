"""The vendor's lists in the sandbox: options contracts (consistent with the option bars it
serves and with the underlyings' prices), exchanges, conditions and ticker types; the literal
route `/v3/reference/tickers/types` winning over the ticker details route; and the vendor's
`massive` client reading them all, with paging, its models holding every field sent."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest
from massive import RESTClient
from massive.rest.models import Condition, Exchange, OptionsContract, TickerTypes

from polygon_sandbox import Sandbox
from polygon_sandbox.data.market import Market
from polygon_sandbox.data.options_contracts import LISTED_DAYS, parse_occ
from polygon_sandbox.data.trading_calendar import TRADING_DAYS
from polygon_sandbox.http.auth import STOCKS_ONLY_KEY
from polygon_sandbox.http.replies import Reply
from polygon_sandbox.http.routing import Family, Route, RouteTable

from .helpers import api_get, api_results, model_fields

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)
TODAY = date(2026, 11, 23)
CONTRACTS = "/v3/reference/options/contracts"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=NOW, seed=1) as server:
        yield server


def sent_fields(rows: list[dict[str, Any]]) -> set[str]:
    return {name for row in rows for name in row}


# -- routing ---------------------------------------------------------------------------------


def test_ticker_types_are_served_and_not_taken_for_a_ticker_named_types(sandbox: Sandbox) -> None:
    types = api_get(sandbox, "/v3/reference/tickers/types")
    details = api_get(sandbox, "/v3/reference/tickers/AAPL")

    assert types.status_code == 200
    assert [row["code"] for row in types.json()["results"]][:3] == ["CS", "PFD", "WARRANT"]
    assert (details.status_code, details.json()["results"]["ticker"]) == (200, "AAPL")


def test_a_literal_route_wins_over_a_pattern_declared_before_it() -> None:
    def answer(text: str) -> Any:
        return lambda data, request: Reply(200, text.encode())

    family: Family[None] = Family(
        "test",
        "/v3/",
        (
            Route("GET", "/v3/reference/tickers/{ticker}", answer("details")),
            Route("GET", "/v3/reference/tickers/types", answer("types")),
        ),
    )
    table = RouteTable([family])

    literal = table.match("GET", "/v3/reference/tickers/types")
    pattern = table.match("GET", "/v3/reference/tickers/TYPES")
    assert literal is not None and pattern is not None
    assert (literal[0].pattern, literal[1]) == ("/v3/reference/tickers/types", {})
    assert (pattern[0].pattern, pattern[1]) == (
        "/v3/reference/tickers/{ticker}",
        {"ticker": "TYPES"},
    )
    assert table.match("POST", "/v3/reference/tickers/types") is None


# -- options contracts -----------------------------------------------------------------------


def test_expired_selects_the_contracts_expired_before_today(sandbox: Sandbox) -> None:
    active = api_results(sandbox, CONTRACTS, underlying_ticker="MSFT", limit=1000)
    expired = api_results(sandbox, CONTRACTS, underlying_ticker="MSFT", expired="true", limit=1000)

    assert (len(active), len(expired)) == (90, 130)
    assert min(r["expiration_date"] for r in active) == "2026-12-18"
    assert max(r["expiration_date"] for r in expired) == "2026-11-20"
    assert min(r["expiration_date"] for r in expired) == "2025-11-21"
    assert [r["ticker"] for r in active] == sorted(r["ticker"] for r in active)
    assert {r["underlying_ticker"] for r in active + expired} == {"MSFT"}


def test_strikes_are_around_the_underlyings_close_on_the_listing_day(sandbox: Sandbox) -> None:
    market = Market(seed=1)
    rows = api_results(sandbox, CONTRACTS, underlying_ticker="NVDA", limit=1000)
    rows += api_results(sandbox, CONTRACTS, underlying_ticker="NVDA", expired="true", limit=1000)

    for row in rows:
        root, expiration, kind, strike = parse_occ(row["ticker"])
        assert (root, expiration.isoformat(), kind, strike) == (
            row["underlying_ticker"],
            row["expiration_date"],
            row["contract_type"],
            row["strike_price"],
        )
        listed = TRADING_DAYS.last_on_or_before(expiration - timedelta(days=LISTED_DAYS))
        assert listed is not None
        close = market.final_daily("NVDA", listed, False)[4]
        step = 2.5 if close < 25 else 5.0 if close < 200 else 10.0
        assert abs(strike - close) <= 2.5 * step, (row["ticker"], close)


def test_the_option_tickers_with_bars_are_listed_contracts(sandbox: Sandbox) -> None:
    for ticker in ("O:AAPL261218C00250000", "O:SPY261218P00600000"):
        underlying = parse_occ(ticker)[0]
        listed = api_results(sandbox, CONTRACTS, underlying_ticker=underlying, limit=1000)
        bars = api_get(sandbox, f"/v2/aggs/ticker/{ticker}/range/1/day/2026-11-02/2026-11-20")
        assert ticker in [row["ticker"] for row in listed]
        assert bars.json()["resultsCount"] == 15  # the trading days of 2026-11-02..20


def test_an_unknown_underlying_has_no_contracts_and_a_key_without_options_gets_403(
    sandbox: Sandbox,
) -> None:
    unknown = api_get(sandbox, CONTRACTS, underlying_ticker="ZZZZ")
    refused = api_get(sandbox, CONTRACTS, STOCKS_ONLY_KEY, underlying_ticker="AAPL")
    listed = api_get(sandbox, "/v3/reference/exchanges", STOCKS_ONLY_KEY)

    assert (unknown.status_code, unknown.json()["results"], "next_url" in unknown.json()) == (
        200,
        [],
        False,
    )
    assert (refused.status_code, refused.json()["status"]) == (403, "NOT_AUTHORIZED")
    assert listed.status_code == 200


# -- the lists' keys -------------------------------------------------------------------------


def test_ids_repeat_across_asset_classes_and_data_types_but_the_keys_do_not(
    sandbox: Sandbox,
) -> None:
    exchanges = api_results(sandbox, "/v3/reference/exchanges")
    conditions = api_results(sandbox, "/v3/reference/conditions", limit=1000)
    types = api_results(sandbox, "/v3/reference/tickers/types")

    assert len({r["id"] for r in exchanges}) < len(exchanges)
    assert len({(r["asset_class"], r["id"]) for r in exchanges}) == len(exchanges)
    assert len({(r["asset_class"], r["id"]) for r in conditions}) < len(conditions)
    assert len({(r["asset_class"], r["type"], r["id"]) for r in conditions}) == len(conditions)
    assert len({(r["asset_class"], r["locale"], r["code"]) for r in types}) == len(types)


def test_lists_filter_as_the_vendor_documents(sandbox: Sandbox) -> None:
    crypto = api_results(sandbox, "/v3/reference/exchanges", asset_class="crypto")
    quotes = api_results(sandbox, "/v3/reference/conditions", data_type="nbbo", limit=1000)
    opra = api_results(sandbox, "/v3/reference/conditions", sip="OPRA", limit=1000)
    indices = api_results(sandbox, "/v3/reference/tickers/types", asset_class="indices")

    assert [r["name"] for r in crypto] == ["Coinbase", "Bitfinex", "Bitstamp", "Kraken"]
    assert all("nbbo" in r["data_types"] for r in quotes) and len(quotes) == 4
    assert {r["asset_class"] for r in opra} == {"options"} and len(opra) == 4
    assert indices == [
        {"code": "INDEX", "description": "Index", "asset_class": "indices", "locale": "us"}
    ]
    assert len(api_results(sandbox, "/v3/reference/conditions")) == 10  # the default limit


# -- the vendor's models and client ----------------------------------------------------------


def test_the_sandbox_sends_exactly_the_fields_of_the_vendors_models(sandbox: Sandbox) -> None:
    contracts = [
        row
        for underlying in ("AAPL", "MSFT", "SPY", "NVDA")
        for expired in ("false", "true")
        for row in api_results(
            sandbox, CONTRACTS, underlying_ticker=underlying, expired=expired, limit=1000
        )
    ]

    assert sent_fields(contracts) == model_fields(OptionsContract)
    assert sent_fields(api_results(sandbox, "/v3/reference/exchanges")) == model_fields(Exchange)
    conditions = api_results(sandbox, "/v3/reference/conditions", limit=1000)
    assert sent_fields(conditions) == model_fields(Condition)
    types = api_results(sandbox, "/v3/reference/tickers/types")
    assert sent_fields(types) == model_fields(TickerTypes)


def test_the_massive_client_pages_through_the_contracts(
    sandbox: Sandbox, client: RESTClient
) -> None:
    sandbox.clear_requests()

    read = list(client.list_options_contracts(underlying_ticker="AAPL", expired=True, limit=50))

    expected = api_results(sandbox, CONTRACTS, underlying_ticker="AAPL", expired="true", limit=1000)
    assert [c.ticker for c in read] == [r["ticker"] for r in expected] and len(read) == 130
    assert [c.strike_price for c in read] == [r["strike_price"] for r in expected]
    assert len(sandbox.data_requests()) == 3 + 1  # 50, 50 and 30; then the unpaged answer


def test_the_massive_client_reads_every_list(sandbox: Sandbox, client: RESTClient) -> None:
    sandbox.clear_requests()

    exchanges = client.get_exchanges()
    conditions = list(client.list_conditions(limit=6))
    types = client.get_ticker_types()

    assert isinstance(exchanges, list) and isinstance(types, list)
    assert [e.mic for e in exchanges][:3] == ["XASE", "XBOS", "XCIS"] and len(exchanges) == 30
    assert [(c.asset_class, c.id) for c in conditions][:2] == [("crypto", 1), ("crypto", 2)]
    assert len(conditions) == 20
    assert [t.code for t in types][-1] == "INDEX" and len(types) == 16
    assert len(sandbox.data_requests()) == 1 + 4 + 1  # conditions in pages of 6


@pytest.mark.parametrize(
    ("path", "base", "field"),
    [
        (CONTRACTS, {"underlying_ticker": "AAPL", "limit": 1000}, "strike_price"),
        ("/stocks/vX/float", {"ticker.any_of": "AAPL,MSFT,SPY,NVDA,TSLA"}, "free_float_percent"),
    ],
)
def test_number_ranges_filter_each_bound_and_refuse_a_word(
    sandbox: Sandbox, path: str, base: dict[str, Any], field: str
) -> None:
    values = sorted(row[field] for row in api_results(sandbox, path, **base))
    low, high = values[1], values[-2]
    assert low < high

    def kept(**bounds: Any) -> list[Any]:
        return sorted(row[field] for row in api_results(sandbox, path, **base, **bounds))

    assert kept(**{f"{field}.gte": low, f"{field}.lt": high}) == [
        v for v in values if low <= v < high
    ]
    assert kept(**{f"{field}.gt": low, f"{field}.lte": high}) == [
        v for v in values if low < v <= high
    ]
    assert kept(**{field: high}) == [v for v in values if v == high]
    refused = api_get(sandbox, path, **base, **{f"{field}.gt": "many"})
    assert refused.status_code == 400
    assert f"Invalid {field}.gt: 'many'" in refused.json()["error"]

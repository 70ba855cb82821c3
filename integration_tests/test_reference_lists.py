"""The vendor's lists read in-process against the sandbox: options contracts of the configured
underlyings (active and expired), exchanges, conditions and ticker types.

The expected records come from the sandbox itself, asked directly in one unpaged request each.
"""

from __future__ import annotations

from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from integration_tests.declared_syncs import (
    AT_MONDAY,
    FULL_REFRESH,
    api,
    errors,
    records,
    sent,
    sync,
    with_page_size,
)
from integration_tests.declared_syncs import warnings as warnings_of
from integration_tests.helpers import SANDBOX_KEY, sandbox_config
from polygon_sandbox import Sandbox
from polygon_sandbox.http.auth import STOCKS_ONLY_KEY
from source_stock_ticker_api.reference.listings import CONDITIONS, OPTIONS_CONTRACTS

CONTRACTS = "/v3/reference/options/contracts"
LISTS = {
    "exchanges": "/v3/reference/exchanges",
    "conditions": "/v3/reference/conditions",
    "ticker_types": "/v3/reference/tickers/types",
}

pytestmark = AT_MONDAY


def contracts(sandbox: Sandbox, underlying: str, expired: str) -> list[dict[str, Any]]:
    query = {"underlying_ticker": underlying, "expired": expired, "limit": 1000}
    return list(api(sandbox, CONTRACTS, **query)["results"])


# -- options_contracts -----------------------------------------------------------------------


def test_contracts_of_each_underlying_active_then_expired_page_by_page(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_page_size(monkeypatch, OPTIONS_CONTRACTS, 40)
    config = sandbox_config(sandbox, tickers=["AAPL", "O:SPY261218P00600000"])

    output = sync(config, {"options_contracts": FULL_REFRESH})
    requests_sent = sent(sandbox)

    expected = [
        *contracts(sandbox, "AAPL", "false"),
        *contracts(sandbox, "AAPL", "true"),
        *contracts(sandbox, "SPY", "false"),
        *contracts(sandbox, "SPY", "true"),
    ]
    assert records(output, "options_contracts") == expected
    # 91 active and 130 expired contracts each: 3 + 4 pages of 40, per underlying.
    assert [len(contracts(sandbox, u, e)) for u in ("AAPL", "SPY") for e in ("false", "true")] == [
        91,
        130,
        91,
        130,
    ]
    first_pages = [q for _, q in requests_sent if "cursor" not in q]
    assert first_pages == [
        {"underlying_ticker": u, "expired": e, "limit": "40"}
        for u in ("AAPL", "SPY")
        for e in ("false", "true")
    ]
    assert len(requests_sent) == 2 * (3 + 4)
    assert {path for path, _ in requests_sent} == {CONTRACTS}
    assert errors(output) == [] and warnings_of(output) == []


def test_the_contract_whose_bars_are_configured_is_among_its_underlyings_contracts(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["O:AAPL261218C00250000", "AAPL", "MSFT"])

    output = sync(config, {"options_contracts": FULL_REFRESH})

    written = records(output, "options_contracts")
    chosen = [r for r in written if r["ticker"] == "O:AAPL261218C00250000"]
    assert chosen == [
        {
            "cfi": "OCASPS",
            "contract_type": "call",
            "exercise_style": "american",
            "expiration_date": "2026-12-18",
            "primary_exchange": "ARCO",
            "shares_per_contract": 100,
            "strike_price": 250.0,
            "ticker": "O:AAPL261218C00250000",
            "underlying_ticker": "AAPL",
        }
    ]
    # AAPL once (the contract's underlying and a configured stock), then MSFT: the API minimum.
    assert [(q["underlying_ticker"], q["expired"]) for _, q in sent(sandbox)] == [
        ("AAPL", "false"),
        ("AAPL", "true"),
        ("MSFT", "false"),
        ("MSFT", "true"),
    ]
    assert len({r["ticker"] for r in written}) == len(written) == (91 + 130) + (90 + 130)


def test_an_underlying_without_contracts_is_a_warning_and_the_others_are_read(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["ZZZZ", "MSFT", "X:BTCUSD", "I:SPX"])

    output = sync(config, {"options_contracts": FULL_REFRESH})

    assert records(output, "options_contracts") == [
        *contracts(sandbox, "MSFT", "false"),
        *contracts(sandbox, "MSFT", "true"),
    ]
    assert warnings_of(output) == [
        "ZZZZ: the API has no options contracts for this underlying, active or expired; the "
        "other underlyings are read. Check the symbol."
    ]
    # Crypto and index tickers have no contracts on this endpoint: no request for them.
    assert [q["underlying_ticker"] for _, q in sent(sandbox)][:4] == [
        "ZZZZ",
        "ZZZZ",
        "MSFT",
        "MSFT",
    ]
    assert len(sent(sandbox)) == 4 + 2  # and the two answers asked directly above
    assert errors(output) == []


def test_a_key_without_options_reads_the_other_streams_then_names_the_stream_and_plan(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, api_key=STOCKS_ONLY_KEY, tickers=["AAPL", "MSFT"])
    streams = {"options_contracts": FULL_REFRESH, "exchanges": FULL_REFRESH}

    output = sync(config, streams, expect_failure=True)

    assert records(output, "options_contracts") == []
    assert records(output, "exchanges") == api(sandbox, LISTS["exchanges"])["results"]
    assert errors(output) == [
        (
            FailureType.config_error,
            "The API key works, but the plan does not cover the options contracts of AAPL "
            "(expired=false): You are not entitled to this data. Please upgrade your plan at "
            "https://polygon.io/pricing. The stream options_contracts needs the Options Basic "
            "plan or higher; deselect it, or upgrade the plan.",
        ),
        (
            FailureType.config_error,
            "During the sync, the following streams did not sync successfully: options_contracts.",
        ),
    ]
    # Entitlements are per market: after the first refusal no other underlying is asked.
    assert [(r.path, r.status) for r in sandbox.requests][:2] == [
        (CONTRACTS, 403),
        (LISTS["exchanges"], 200),
    ]
    assert warnings_of(output) == []


# -- exchanges, conditions, ticker types -----------------------------------------------------


@pytest.mark.parametrize("stream", sorted(LISTS))
def test_each_list_is_one_request_whatever_the_tickers(sandbox: Sandbox, stream: str) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "X:BTCUSD", "O:SPY261218P00600000"])

    output = sync(config, {stream: FULL_REFRESH})
    requests_sent = sent(sandbox)

    expected = api(sandbox, LISTS[stream], **({"limit": 1000} if stream == "conditions" else {}))
    assert records(output, stream) == expected["results"] and len(expected["results"]) > 10
    limit = {"limit": "1000"} if stream == "conditions" else {}
    assert requests_sent == [(LISTS[stream], limit)]
    assert errors(output) == [] and warnings_of(output) == []


def test_conditions_follow_next_url_through_every_page(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_page_size(monkeypatch, CONDITIONS, 6)

    output = sync(sandbox_config(sandbox), {"conditions": FULL_REFRESH})

    everything = api(sandbox, LISTS["conditions"], limit=1000)["results"]
    assert len(everything) == 20
    assert records(output, "conditions") == everything
    assert len(sent(sandbox)) == 4 + 1  # pages of 6, 6, 6 and 2; then the direct answer


def test_every_field_the_api_sends_is_in_a_record(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "SPY"])
    streams = {"options_contracts": FULL_REFRESH, **{s: FULL_REFRESH for s in LISTS}}

    output = sync(config, streams)

    raw = {s: api(sandbox, path, limit=1000)["results"] for s, path in LISTS.items()}
    raw["options_contracts"] = [
        row for u in ("AAPL", "SPY") for e in ("false", "true") for row in contracts(sandbox, u, e)
    ]
    for stream, rows in raw.items():
        written = records(output, stream)
        assert len(written) == len(rows)
        for row, record in zip(rows, written, strict=True):
            assert {k: record.get(k) for k in row} == row
    fields = {k for row in raw["options_contracts"] for k in row}
    assert {"additional_underlyings", "correction"} <= fields  # the rare fields were put to test
    assert all(SANDBOX_KEY not in str(message) for message in output.get_message_iterator())


def test_no_request_for_a_list_not_selected(sandbox: Sandbox) -> None:
    sync(sandbox_config(sandbox), {"ticker_details": FULL_REFRESH})

    assert [path for path, _ in sent(sandbox)] == ["/v3/reference/tickers/AAPL"]

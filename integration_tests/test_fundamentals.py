"""The fundamentals streams read in-process against the sandbox: income statements, balance
sheets and cash flow statements by filing date, a cursor per ticker; financial ratios whole.

The expected records come from the sandbox itself, asked directly over HTTP in one unpaged
request, never from the connector's code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from integration_tests.declared_syncs import (
    AT_MONDAY,
    FULL_REFRESH,
    INCREMENTAL,
    api,
    declared,
    errors,
    final_state,
    killed_after_state,
    records,
    sent,
    states,
    stream_state,
    sync,
    warnings,
)
from integration_tests.helpers import sandbox_config
from polygon_sandbox import FREE_KEY, Sandbox
from polygon_sandbox.data.financials import quarters
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.reference.declarations import Endpoint, TickerBatches
from source_stock_ticker_api.reference.fundamentals import (
    FINANCIAL_RATIOS,
    INCOME_STATEMENTS,
    STATEMENTS_LOOKBACK_DAYS,
)

START = "2025-06-02"
STATEMENTS = {
    "income_statements": "income-statements",
    "balance_sheets": "balance-sheets",
    "cash_flow_statements": "cash-flow-statements",
}

pytestmark = AT_MONDAY


def with_limit(endpoint: Endpoint, limit: int, batch: int = 100) -> Endpoint:
    fan_out = endpoint.fan_out
    assert isinstance(fan_out, TickerBatches)
    return replace(
        endpoint, query=(("limit", limit),), fan_out=TickerBatches((STOCKS,), batch, fan_out.param)
    )


def filed(sandbox: Sandbox, tickers: str, start: str, path: str = "income-statements") -> Any:
    """The sandbox's statements of `tickers` filed from `start` on, in one unpaged request."""
    query = {"tickers.any_of": tickers, "filing_date.gte": start, "limit": 50_000}
    return api(sandbox, f"/stocks/financials/v1/{path}", **query)["results"]


def test_every_field_of_every_row_of_the_four_endpoints_is_a_record(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "NVDA"], start_date=START)
    streams = {name: INCREMENTAL for name in STATEMENTS} | {"financial_ratios": FULL_REFRESH}

    output = sync(config, streams)

    for stream, path in STATEMENTS.items():
        assert records(output, stream) == filed(sandbox, "AAPL,MSFT,NVDA", START, path), stream
    ratios = api(sandbox, "/stocks/financials/v1/ratios", **{"ticker.any_of": "AAPL,MSFT,NVDA"})
    assert records(output, "financial_ratios") == ratios["results"]
    assert [r["ticker"] for r in ratios["results"]] == ["AAPL", "MSFT", "NVDA"]
    assert errors(output) == [] and warnings(output) == []


def test_one_request_per_stream_for_the_stock_tickers_only(sandbox: Sandbox) -> None:
    """Four streams, three stocks, a coin and an option: one request each, the stocks batched,
    the endpoint's largest page; none for the other markets."""
    tickers = ["AAPL", "X:BTCUSD", "MSFT", "O:AAPL261218C00250000", "NVDA"]
    config = sandbox_config(sandbox, tickers=tickers, start_date=START)
    streams = {name: INCREMENTAL for name in STATEMENTS} | {"financial_ratios": FULL_REFRESH}

    output = sync(config, streams)

    since = {"tickers.any_of": "AAPL,MSFT,NVDA", "filing_date.gte": START, "limit": "50000"}
    assert sent(sandbox) == [
        *((f"/stocks/financials/v1/{path}", since) for path in STATEMENTS.values()),
        ("/stocks/financials/v1/ratios", {"ticker.any_of": "AAPL,MSFT,NVDA", "limit": "50000"}),
    ]
    assert final_state(output, "balance_sheets") == {
        t: {"filing_date": "2026-11-23"} for t in ("AAPL", "MSFT", "NVDA")
    }


def test_statements_follow_next_url_through_small_pages(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared(monkeypatch, with_limit(INCOME_STATEMENTS, 10))
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date=START)

    output = sync(config, {"income_statements": INCREMENTAL})
    requests_sent = sent(sandbox)

    expected = filed(sandbox, "AAPL,MSFT", START)
    assert len(expected) == 25 and records(output, "income_statements") == expected
    first = {"tickers.any_of": "AAPL,MSFT", "filing_date.gte": START, "limit": "10"}
    assert requests_sent[0] == ("/stocks/financials/v1/income-statements", first)
    assert [set(query) for _, query in requests_sent[1:]] == [{"cursor"}, {"cursor"}]


def test_ratios_follow_next_url_through_small_pages(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    declared(monkeypatch, with_limit(FINANCIAL_RATIOS, 2))
    tickers = ["AAPL", "MSFT", "NVDA", "TSLA", "META"]

    output = sync(sandbox_config(sandbox, tickers=tickers), {"financial_ratios": FULL_REFRESH})
    requests_sent = sent(sandbox)

    unpaged = api(sandbox, "/stocks/financials/v1/ratios", **{"ticker.any_of": ",".join(tickers)})
    assert (
        records(output, "financial_ratios") == unpaged["results"] and len(unpaged["results"]) == 5
    )
    assert requests_sent[0][1] == {"ticker.any_of": ",".join(tickers), "limit": "2"}
    assert [set(query) for _, query in requests_sent[1:]] == [{"cursor"}, {"cursor"}]


def test_a_resume_after_a_kill_reads_again_only_what_was_not_saved_and_the_look_back(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ticker per request: killed after MSFT's state, the next sync reads AAPL and NVDA
    whole, and of MSFT only the look-back: the statements it filed from 30 days back."""
    declared(monkeypatch, with_limit(INCOME_STATEMENTS, 50_000, batch=1))
    config = sandbox_config(sandbox, tickers=["MSFT", "AAPL", "NVDA"], start_date=START)
    killed = killed_after_state(
        sync(config, {"income_statements": INCREMENTAL}), "income_statements", 1
    )
    sandbox.clear_requests()

    resumed = sync(
        config, {"income_statements": INCREMENTAL}, stream_state("income_statements", killed.state)
    )
    requests_sent = sent(sandbox)

    back = (date(2026, 11, 23) - timedelta(days=STATEMENTS_LOOKBACK_DAYS)).isoformat()
    assert killed.state == {"MSFT": {"filing_date": "2026-11-23"}}
    assert killed.saved == filed(sandbox, "MSFT", START)
    look_back = filed(sandbox, "MSFT", back)
    assert [(r["period_end"], r["timeframe"]) for r in look_back] == [
        ("2026-09-30", "quarterly"),
        ("2026-09-30", "trailing_twelve_months"),
    ]
    assert records(resumed, "income_statements") == [
        *filed(sandbox, "AAPL", START),
        *filed(sandbox, "NVDA", START),
        *look_back,
    ]
    assert [q["filing_date.gte"] for _, q in requests_sent] == [START, START, back]
    assert final_state(resumed, "income_statements") == {
        t: {"filing_date": "2026-11-23"} for t in ("MSFT", "AAPL", "NVDA")
    }


def test_the_look_back_reads_a_filing_the_api_published_after_the_last_sync(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None]
) -> None:
    """A filing reaches the API days after its filing date: the sync the day after the filing
    misses it, the next one finds it by reading again from 30 days back."""
    late = next(q for q in quarters("MSFT") if q.published - q.filing_date >= timedelta(days=2))
    first_at = datetime.combine(late.filing_date + timedelta(days=1), time(23), timezone.utc)
    second_at = datetime.combine(late.published + timedelta(days=1), time(23), timezone.utc)
    config = sandbox_config(sandbox, tickers=["MSFT"], start_date="2015-01-02")
    sandbox.set_now(first_at)
    fixed_now(first_at)
    first = sync(config, {"balance_sheets": INCREMENTAL})
    sandbox.set_now(second_at)
    fixed_now(second_at)

    second = sync(
        config,
        {"balance_sheets": INCREMENTAL},
        stream_state("balance_sheets", final_state(first, "balance_sheets")),
    )

    period, filing = late.period_end.isoformat(), late.filing_date.isoformat()
    cursor = final_state(first, "balance_sheets")["MSFT"]["filing_date"]
    back = (date.fromisoformat(cursor) - timedelta(days=STATEMENTS_LOOKBACK_DAYS)).isoformat()
    assert filing < cursor  # filed before the cursor: only the look-back reads it
    assert period not in {r["period_end"] for r in records(first, "balance_sheets")}
    read_again = records(second, "balance_sheets")
    assert read_again == filed(sandbox, "MSFT", back, "balance-sheets")
    assert {(r["period_end"], r["filing_date"]) for r in read_again} == {(period, filing)}
    assert final_state(second, "balance_sheets") == {
        "MSFT": {"filing_date": second_at.date().isoformat()}
    }


def test_an_unknown_ticker_and_a_fund_are_a_warning_and_the_others_are_read(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "ZZZZ", "SPY"], start_date=START)

    output = sync(config, {"cash_flow_statements": INCREMENTAL, "financial_ratios": FULL_REFRESH})

    assert warnings(output) == [
        "ZZZZ, SPY: the API has no cash flow statements for these symbols (a fund, an ADR or an "
        "unknown symbol); the other tickers are read.",
        "ZZZZ, SPY: the API has no financial ratios for these symbols (a fund, an ADR or an "
        "unknown symbol); the other tickers are read.",
    ]
    assert records(output, "cash_flow_statements") == filed(
        sandbox, "AAPL", START, "cash-flow-statements"
    )
    assert [r["ticker"] for r in records(output, "financial_ratios")] == ["AAPL"]
    assert errors(output) == []
    # Said once: the next sync starts from their cursors, where no new row is no news.
    again = sync(
        config,
        {"cash_flow_statements": INCREMENTAL},
        stream_state("cash_flow_statements", final_state(output, "cash_flow_statements")),
    )
    assert warnings(again) == []


def test_the_free_plan_fails_each_stream_once_naming_the_plan_after_the_others_are_saved(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, api_key=FREE_KEY, tickers=["MSFT"], start_date=START)
    streams = {
        "income_statements": INCREMENTAL,
        "financial_ratios": FULL_REFRESH,
        "market_holidays": FULL_REFRESH,
    }

    output = sync(config, streams, expect_failure=True)
    answered = [(r.path, r.status) for r in sandbox.requests]

    refused = (
        "You are not entitled to this data. Please upgrade your plan at https://polygon.io/"
        "pricing."
    )
    assert errors(output) == [
        (
            FailureType.config_error,
            "The API key works, but the plan does not cover income statements of MSFT filed "
            f"from {START}: {refused} The stream income_statements needs the Stocks Starter "
            "plan or higher; deselect it, or upgrade the plan.",
        ),
        (
            FailureType.config_error,
            f"The API key works, but the plan does not cover financial ratios of MSFT: {refused}"
            " The stream financial_ratios needs the Stocks Starter plan or higher; deselect it, "
            "or upgrade the plan.",
        ),
        (
            FailureType.config_error,
            "During the sync, the following streams did not sync successfully: "
            "income_statements, financial_ratios.",
        ),
    ]
    assert records(output, "market_holidays") == api(sandbox, "/v1/marketstatus/upcoming")
    assert answered == [
        ("/stocks/financials/v1/income-statements", 403),
        ("/stocks/financials/v1/ratios", 403),
        ("/v1/marketstatus/upcoming", 200),
    ]
    assert all(not s for s in states(output, "income_statements"))


def test_a_sync_without_the_fundamentals_makes_no_fundamentals_request(sandbox: Sandbox) -> None:
    sync(sandbox_config(sandbox, start_date=START), {"splits": INCREMENTAL})

    assert [path for path, _ in sent(sandbox)] == ["/stocks/v1/splits"]

"""The fundamentals endpoints: the vendor's fields and filters, figures that add up, ratios made
of the sandbox's own closes and shares, the Stocks Starter plan's refusal, and the vendor's own
client reading every endpoint page by page."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date, datetime, timezone
from typing import Any

import pytest
import requests
from massive import RESTClient
from massive.rest.models import financials as models

from polygon_sandbox import FREE_KEY, UNLIMITED_KEY, Sandbox
from polygon_sandbox.data.financials import MAX_PUBLICATION_LAG_DAYS, quarters
from polygon_sandbox.http.auth import STARTER_KEY

from .helpers import api_get, api_results, model_fields

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)  # Monday, 16:30 in New York
PREFIX = "/stocks/financials/v1/"
PATHS = {
    "income-statements": models.FinancialIncomeStatement,
    "balance-sheets": models.FinancialBalanceSheet,
    "cash-flow-statements": models.FinancialCashFlowStatement,
    "ratios": models.FinancialRatio,
}


@pytest.fixture
def sandbox(loopback_only: None) -> Iterator[Sandbox]:
    with Sandbox(now=NOW, seed=1) as server:
        yield server


def fetch(sandbox: Sandbox, path: str, key: str = UNLIMITED_KEY, **params: Any) -> Any:
    """One endpoint of the family (`ratios`), at its largest page unless `limit` is given."""
    return api_get(sandbox, f"{PREFIX}{path}", key, **{"limit": 50_000, **params})


def results(sandbox: Sandbox, path: str, **params: Any) -> list[dict[str, Any]]:
    return api_results(sandbox, f"{PREFIX}{path}", **{"limit": 50_000, **params})


@pytest.mark.parametrize("path", PATHS)
def test_the_rows_carry_exactly_the_fields_of_the_vendors_model(
    sandbox: Sandbox, path: str
) -> None:
    filters = {"ticker.any_of": "AAPL,MSFT"} if path == "ratios" else {"tickers": "MSFT"}
    rows = results(sandbox, path, **filters)

    assert rows
    assert set().union(*rows) == model_fields(PATHS[path])


def test_statements_add_up_and_annual_rows_are_their_quarters_summed(sandbox: Sandbox) -> None:
    income = results(sandbox, "income-statements", tickers="MSFT")
    balance = results(sandbox, "balance-sheets", tickers="MSFT")
    flows = results(sandbox, "cash-flow-statements", tickers="MSFT")

    for row in income:
        assert row["gross_profit"] == row["revenue"] - row["cost_of_revenue"]
        assert row["operating_income"] == row["gross_profit"] - row["total_operating_expenses"]
        assert row["income_before_income_taxes"] == (
            row["operating_income"] + row["total_other_income_expense"]
        )
    for row in balance:
        assert row["total_assets"] == row["total_liabilities_and_equity"]
        assert row["total_assets"] == row["total_liabilities"] + row["total_equity"]
        assert row["total_current_assets"] < row["total_assets"] and row["total_equity"] > 0
    quarterly = [r for r in income if r["timeframe"] == "quarterly"]
    annual = [r for r in income if r["timeframe"] == "annual"]
    fy2026 = [r for r in quarterly if r["fiscal_year"] == 2026.0]
    assert [r["fiscal_quarter"] for r in fy2026] == [1.0, 2.0, 3.0, 4.0]
    (summed,) = [r for r in annual if r["fiscal_year"] == 2026.0]
    assert summed["revenue"] == sum(r["revenue"] for r in fy2026)
    assert (summed["period_end"], summed["filing_date"]) == (
        fy2026[-1]["period_end"],
        fy2026[-1]["filing_date"],
    )
    # Cash flows add up to the change of the balance sheets' cash, quarter after quarter.
    cash = {r["period_end"]: r["cash_and_equivalents"] for r in balance}
    quarters_of_flows = [r for r in flows if r["timeframe"] == "quarterly"]
    for before, row in zip(quarters_of_flows, quarters_of_flows[1:], strict=False):
        assert row["change_in_cash_and_equivalents"] == (
            row["net_cash_from_operating_activities"]
            + row["net_cash_from_investing_activities"]
            + row["net_cash_from_financing_activities"]
            + row["effect_of_currency_exchange_rate"]
        )
        assert row["change_in_cash_and_equivalents"] == (
            cash[row["period_end"]] - cash[before["period_end"]]
        )


def test_a_ratio_is_the_days_close_and_the_shares_of_the_ticker_details(
    sandbox: Sandbox,
) -> None:
    (ratio,) = results(sandbox, "ratios", ticker="MSFT")
    headers = {"Authorization": f"Bearer {UNLIMITED_KEY}"}
    bars = requests.get(
        f"{sandbox.url}/v2/aggs/ticker/MSFT/range/1/day/2026-11-20/2026-11-23", headers=headers
    ).json()["results"]
    details = requests.get(f"{sandbox.url}/v3/reference/tickers/MSFT", headers=headers).json()

    # At 16:30 on Monday the day's bar is not final (after-hours run to 20:00): Friday's close.
    assert ratio["date"] == "2026-11-20" and ratio["price"] == bars[0]["c"]
    shares = details["results"]["weighted_shares_outstanding"]
    assert ratio["market_cap"] == round(ratio["price"] * shares, 2)
    assert details["results"]["market_cap"] == ratio["market_cap"]  # the same close and shares
    assert ratio["cik"] == details["results"]["cik"]


def test_filters_batch_tickers_by_filing_date_and_skip_funds(sandbox: Sandbox) -> None:
    rows = results(
        sandbox,
        "income-statements",
        **{"tickers.any_of": "AAPL,SPY,ZZZZ", "filing_date.gte": "2026-07-01"},
    )

    assert {tuple(r["tickers"]) for r in rows} == {("AAPL",)}
    assert rows and all(r["filing_date"] >= "2026-07-01" for r in rows)
    assert [r["ticker"] for r in results(sandbox, "ratios", **{"ticker.any_of": "SPY,NVDA"})] == [
        "NVDA"
    ]


def test_a_filing_is_published_some_days_after_its_filing_date(sandbox: Sandbox) -> None:
    late = next(q for q in quarters("AAPL") if q.published > q.filing_date)
    filed = {"tickers": "AAPL", "filing_date": late.filing_date.isoformat()}
    assert late.published.toordinal() - late.filing_date.toordinal() <= MAX_PUBLICATION_LAG_DAYS

    sandbox.set_now(datetime.combine(late.published, datetime.min.time(), timezone.utc))
    before = results(sandbox, "balance-sheets", **filed)
    sandbox.set_now(datetime.combine(late.published, datetime.max.time(), timezone.utc))
    after = results(sandbox, "balance-sheets", **filed)

    assert before == [] and [r["period_end"] for r in after] == [late.period_end.isoformat()]
    assert late.filing_date < date(2026, 11, 23)


@pytest.mark.parametrize("path", PATHS)
def test_the_free_plan_is_refused_and_the_starter_plan_served(sandbox: Sandbox, path: str) -> None:
    one = {"ticker" if path == "ratios" else "tickers": "AAPL"}
    refused = fetch(sandbox, path, FREE_KEY, **one)

    assert (refused.status_code, refused.json()["status"]) == (403, "NOT_AUTHORIZED")
    assert fetch(sandbox, path, STARTER_KEY, **one).status_code == 200


def test_the_vendors_client_reads_every_endpoint_page_by_page(sandbox: Sandbox) -> None:
    client = RESTClient(api_key=UNLIMITED_KEY, base=sandbox.url, retries=0)
    since = {"tickers_any_of": "AAPL,MSFT", "filing_date_gte": "2025-06-01", "limit": 7}
    read = {
        "income-statements": list(client.list_financials_income_statements(**since)),
        "balance-sheets": list(client.list_financials_balance_sheets(**since)),
        "cash-flow-statements": list(client.list_financials_cash_flow_statements(**since)),
        "ratios": list(client.list_financials_ratios(ticker_any_of="AAPL,MSFT,NVDA", limit=1)),
    }
    pages = len(sandbox.requests)

    for path, rows in read.items():
        query = (
            {"ticker.any_of": "AAPL,MSFT,NVDA"}
            if path == "ratios"
            else {"tickers.any_of": "AAPL,MSFT", "filing_date.gte": "2025-06-01"}
        )
        expected = results(sandbox, path, **query)
        assert [dataclasses.asdict(r) for r in rows] == [
            {name: row.get(name) for name in model_fields(PATHS[path])} for row in expected
        ]
    sizes = {path: len(rows) for path, rows in read.items()}
    assert sizes["ratios"] == 3 and sizes["income-statements"] > 7
    assert pages == sum(-(-size // (1 if p == "ratios" else 7)) for p, size in sizes.items())

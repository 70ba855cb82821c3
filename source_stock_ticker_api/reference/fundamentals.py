"""The fundamentals streams, declared: a company's income statements, balance sheets and cash
flow statements, and its daily financial ratios (declarations.py is the model).

A statement is a filing period of a company: one row per CIK, period end and timeframe
(quarterly, annual, trailing twelve months), naming in `tickers` every share class it covers.
The statements are read incrementally on `filing_date`, the date the endpoints filter by, with
a cursor per configured ticker. The ratios are one row per ticker, as of the latest trading
day: the endpoint has no date filter (only `ticker` and the ratios' own values), so each sync
reads them whole, one request per batch of tickers.
"""

from __future__ import annotations

from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.reference.declarations import (
    Endpoint,
    Incremental,
    Shape,
    TickerBatches,
    Words,
    tickers_of_row,
)

# The endpoints' largest page (the vendor's limit: at most 50,000).
FUNDAMENTALS_PAGE_SIZE = 50_000
# Tickers per request: as for dividends, ~600 characters of query for typical symbols.
TICKERS_PER_REQUEST = 100
# How far back an incremental sync reads statements again: a filing reaches the API some days
# after its filing date, and amended filings (10-Q/A, 10-K/A) follow within weeks. A statement
# filed before the cursor but published after the last sync is read in this window. It costs
# no request (a batch's statements of 30 days fill far less than a page), only a few records.
STATEMENTS_LOOKBACK_DAYS = 30
# The vendor's least plan that serves the fundamentals endpoints (see the docs page's note).
FUNDAMENTALS_PLAN = "Stocks Starter"
DOCS = "https://massive.com/docs/rest/stocks/fundamentals"


def statements(stream: str, path: str, noun: str) -> Endpoint:
    """One kind of statement of the configured stock tickers, by filing date."""
    return Endpoint(
        stream=stream,
        path=f"stocks/financials/v1/{path}",
        fan_out=TickerBatches((STOCKS,), TICKERS_PER_REQUEST, param="tickers.any_of"),
        query=(("limit", FUNDAMENTALS_PAGE_SIZE),),
        shape=Shape(
            missing="{tickers}: the API has no " + noun + " for these symbols (a fund, an ADR "
            "or an unknown symbol); the other tickers are read.",
            row_tickers=tickers_of_row,
        ),
        incremental=Incremental("filing_date", STATEMENTS_LOOKBACK_DAYS, tickers_of_row),
        # A filing period of a company: restated figures of a period keep its key.
        primary_key=["cik", "period_end", "timeframe"],
        words=Words(f"{noun} of {{tickers}} filed from {{filing_date.gte}}", f"a page of {noun}"),
        docs=f"{DOCS}/{path}",
        plan=FUNDAMENTALS_PLAN,
    )


INCOME_STATEMENTS = statements("income_statements", "income-statements", "income statements")
BALANCE_SHEETS = statements("balance_sheets", "balance-sheets", "balance sheets")
CASH_FLOW_STATEMENTS = statements(
    "cash_flow_statements", "cash-flow-statements", "cash flow statements"
)

FINANCIAL_RATIOS = Endpoint(
    stream="financial_ratios",
    path="stocks/financials/v1/ratios",
    fan_out=TickerBatches((STOCKS,), TICKERS_PER_REQUEST, param="ticker.any_of"),
    query=(("limit", FUNDAMENTALS_PAGE_SIZE),),
    shape=Shape(
        missing="{tickers}: the API has no financial ratios for these symbols (a fund, an ADR "
        "or an unknown symbol); the other tickers are read."
    ),
    # A ticker's ratios as of a trading day: a destination appending each sync's rows keeps
    # one per ticker and day.
    primary_key=["ticker", "date"],
    words=Words("financial ratios of {tickers}", "a page of financial ratios"),
    docs=f"{DOCS}/ratios",
    plan=FUNDAMENTALS_PLAN,
)

FUNDAMENTALS = (INCOME_STATEMENTS, BALANCE_SHEETS, CASH_FLOW_STATEMENTS, FINANCIAL_RATIOS)

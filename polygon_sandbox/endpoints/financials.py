"""The fundamentals family: `/stocks/financials/v1/income-statements`, `/balance-sheets`,
`/cash-flow-statements` (filters `tickers` (a row's list contains it), `tickers.any_of`, `cik`,
`cik.any_of`, `timeframe`, `timeframe.any_of`, `period_end` and `filing_date` with
`.gt/.gte/.lt/.lte`; `sort`, default `period_end.asc`) and `/ratios` (`ticker`, `ticker.any_of`,
`cik`, `cik.any_of`; `sort`, default `ticker.asc`): `limit` up to 50,000, a `next_url` cursor.

The vendor serves them from its Stocks Starter plan up (see the connector's docs page): a lower
plan gets 403.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from ..data.financials import ratio_row, statement_rows
from ..data.market_data import MarketData
from ..data.trading_calendar import date_of_ms
from ..data.universe import TICKERS
from ..http.replies import Reply
from ..http.routing import Family, Request, Route
from .lists import filtered, limit_param, list_reply, page, sorted_rows, with_cursor

PREFIX = "/stocks/financials/v1/"
STATEMENTS = {"income-statements": "income", "balance-sheets": "balance"}
STATEMENTS["cash-flow-statements"] = "cash_flow"
RATIOS_PATH = PREFIX + "ratios"
DEFAULT_LIMIT, MAX_LIMIT = 100, 50_000
TIER = "starter"
Row = dict[str, Any]


def _any_of(rows: Iterable[Row], query: dict[str, str], field: str) -> list[Row]:
    """Rows whose `field` is one of `field.any_of` (or, for a list, holds one of them)."""
    kept = list(rows)
    if f"{field}.any_of" in query:
        wanted = set(query[f"{field}.any_of"].split(","))

        def among(value: Any) -> bool:
            values = value if isinstance(value, list) else [value]
            return bool(wanted.intersection(values))

        kept = [row for row in kept if among(row.get(field))]
    return kept


def _wanted_tickers(query: dict[str, str], param: str) -> list[str]:
    """The universe's tickers a query can match: only those are computed."""
    names = [query[param]] if param in query else []
    names += query.get(f"{param}.any_of", "").split(",") if f"{param}.any_of" in query else []
    return [t for t in TICKERS if t in names] if names else list(TICKERS)


def _statements(kind: str, path: str) -> Callable[[MarketData, Request], Reply]:
    def handler(data: MarketData, request: Request) -> Reply:
        query = with_cursor(request.params)
        limit = limit_param(query, DEFAULT_LIMIT, MAX_LIMIT)
        today = date_of_ms(request.now_ms)
        rows = [
            row
            for ticker in _wanted_tickers(query, "tickers")
            for row in statement_rows(kind, ticker, today)
        ]
        if "tickers" in query:
            rows = [row for row in rows if query["tickers"] in row["tickers"]]
        for field in ("tickers", "cik", "timeframe"):
            rows = _any_of(rows, query, field)
        for field in ("cik", "timeframe"):
            rows = filtered(rows, query, field, as_date=False)
        for field in ("period_end", "filing_date"):
            rows = filtered(rows, query, field, as_date=True)
        rows = sorted_rows(rows, query.get("sort", "period_end.asc"))
        return list_reply(request, page(rows, query, limit, path, request.host))

    return handler


def ratios(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, DEFAULT_LIMIT, MAX_LIMIT)
    found = (ratio_row(data.market, t, request.now_ms) for t in _wanted_tickers(query, "ticker"))
    rows = [row for row in found if row is not None]
    rows = filtered(rows, query, "ticker", as_date=False)
    rows = filtered(_any_of(rows, query, "cik"), query, "cik", as_date=False)
    rows = sorted_rows(rows, query.get("sort", "ticker.asc"))
    return list_reply(request, page(rows, query, limit, RATIOS_PATH, request.host))


FINANCIALS: Family[MarketData] = Family(
    name="financials",
    data_prefix=PREFIX,
    routes=(
        *(
            Route("GET", PREFIX + path, _statements(kind, PREFIX + path), tier=TIER)
            for path, kind in STATEMENTS.items()
        ),
        Route("GET", RATIOS_PATH, ratios, tier=TIER),
    ),
)

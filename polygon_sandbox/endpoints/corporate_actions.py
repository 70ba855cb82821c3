"""The corporate-actions family: `/stocks/v1/dividends` and `/stocks/v1/splits` (`ticker`,
`ticker.any_of`, the event date and its `.gt/.gte/.lt/.lte`, `sort`, `limit`).

A plan with limited history gets 403 for a lower date bound older than it, and sees no event
older than it otherwise.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from ..data.corporate_actions import dividend_records, split_records
from ..data.market_data import MarketData
from ..data.trading_calendar import date_of_ms
from ..data.universe import TICKERS
from ..http.replies import OUT_OF_TIMEFRAME, Reply, error_reply
from ..http.routing import Family, Request, Route
from .lists import date_param, filtered, limit_param, list_reply, page, sorted_rows, with_cursor

DIVIDENDS_PATH = "/stocks/v1/dividends"
SPLITS_PATH = "/stocks/v1/splits"
ACTIONS_DEFAULT_LIMIT, ACTIONS_MAX_LIMIT = 100, 5000


def dividends(data: MarketData, request: Request) -> Reply:
    def records(ticker: str) -> list[dict[str, Any]]:
        return dividend_records(data.market, ticker, request.now_ms)

    return _actions(request, "ex_dividend_date", records, DIVIDENDS_PATH)


def splits(data: MarketData, request: Request) -> Reply:
    return _actions(request, "execution_date", split_records, SPLITS_PATH)


def _actions(
    request: Request,
    field: str,
    records: Callable[[str], list[dict[str, Any]]],
    path: str,
) -> Reply:
    """The events of the tickers asked for, filtered on `field` (their date), sorted, paged."""
    query = with_cursor(request.params)
    plan, now_ms = request.plan, request.now_ms
    limit = limit_param(query, ACTIONS_DEFAULT_LIMIT, ACTIONS_MAX_LIMIT)
    edge = None
    if plan.history_days is not None:
        edge = date_of_ms(now_ms) - timedelta(days=plan.history_days)
        for suffix in ("", ".gt", ".gte"):
            if field + suffix in query and date_param(query, field + suffix) < edge:
                return error_reply(
                    403, request.request_id, message=OUT_OF_TIMEFRAME, status_word="NOT_AUTHORIZED"
                )
    # Only the tickers asked for are computed: every dividend of every ticker costs seconds.
    wanted = [
        row["ticker"]
        for row in filtered(({"ticker": t} for t in TICKERS), query, "ticker", as_date=False)
    ]
    rows = [row for ticker in wanted for row in records(ticker)]
    if edge is not None:  # what the plan sees when no lower bound is asked for
        rows = [row for row in rows if row[field] >= edge.isoformat()]
    rows = filtered(rows, query, "ticker", as_date=False)
    rows = filtered(rows, query, field, as_date=True)
    for name in ("distribution_type", "adjustment_type"):
        if name in query:
            rows = [row for row in rows if row.get(name) == query[name]]
    rows = sorted_rows(rows, query.get("sort", f"ticker.asc,{field}.asc"))
    return list_reply(request, page(rows, query, limit, path, request.host))


CORPORATE_ACTIONS: Family[MarketData] = Family(
    name="corporate actions",
    data_prefix="/stocks/v1/",
    routes=(
        Route("GET", DIVIDENDS_PATH, dividends),
        Route("GET", SPLITS_PATH, splits),
    ),
)

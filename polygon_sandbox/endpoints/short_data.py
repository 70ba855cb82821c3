"""The short-data family: `/stocks/v1/short-interest` and `/stocks/v1/short-volume` (`ticker`
and the date's `.gt/.gte/.lt/.lte`; no `ticker.any_of` in the vendor's client), `/stocks/vX/float`
(`ticker`, `ticker.any_of`, `free_float_percent` ranges) and `/vX/reference/ipos` (`ticker`,
`isin`, `us_code`, `ipo_status`, `listing_date` ranges, `sort`/`order`). Paged by `next_url`.

Short data is on every plan; a plan with limited history gets 403 for a lower date bound older
than it, and sees nothing older otherwise (as corporate actions).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

from ..data.market import Market
from ..data.market_data import MarketData
from ..data.short_data import float_rows, ipo_rows, short_interest_rows, short_volume_rows
from ..data.trading_calendar import date_of_ms
from ..data.universe import TICKERS
from ..http.params import QueryError
from ..http.replies import OUT_OF_TIMEFRAME, Reply, error_reply
from ..http.routing import Family, Request, Route
from .lists import (
    date_param,
    filtered,
    filtered_numbers,
    limit_param,
    list_reply,
    page,
    sorted_rows,
    with_cursor,
)

SHORT_INTEREST_PATH = "/stocks/v1/short-interest"
SHORT_VOLUME_PATH = "/stocks/v1/short-volume"
FLOAT_PATH = "/stocks/vX/float"
IPOS_PATH = "/vX/reference/ipos"
SHORT_DEFAULT_LIMIT, SHORT_MAX_LIMIT = 10, 50_000
IPOS_DEFAULT_LIMIT, IPOS_MAX_LIMIT = 10, 1000

Rows = Callable[[Market, str, date, int], list[dict[str, Any]]]


def short_interest(data: MarketData, request: Request) -> Reply:
    return _short(data, request, "settlement_date", short_interest_rows, SHORT_INTEREST_PATH)


def short_volume(data: MarketData, request: Request) -> Reply:
    return _short(data, request, "date", short_volume_rows, SHORT_VOLUME_PATH)


def _lower_bound(query: dict[str, str], field: str) -> date | None:
    bounds = [date_param(query, field + s) for s in ("", ".gt", ".gte") if field + s in query]
    return min(bounds) if bounds else None


def _short(data: MarketData, request: Request, field: str, rows_of: Rows, path: str) -> Reply:
    """The ticker's (or every ticker's) rows from the lower bound asked, sorted, paged."""
    query = with_cursor(request.params)
    limit = limit_param(query, SHORT_DEFAULT_LIMIT, SHORT_MAX_LIMIT)
    first = _lower_bound(query, field) or date(2015, 1, 2)
    plan = request.plan
    if plan.history_days is not None:
        edge = date_of_ms(request.now_ms) - timedelta(days=plan.history_days)
        if _lower_bound(query, field) is not None and first < edge:
            return error_reply(
                403, request.request_id, message=OUT_OF_TIMEFRAME, status_word="NOT_AUTHORIZED"
            )
        first = max(first, edge)
    tickers = [query["ticker"]] if "ticker" in query else list(TICKERS)
    known = [t for t in tickers if t in TICKERS]
    rows = [row for t in known for row in rows_of(data.market, t, first, request.now_ms)]
    rows = filtered(rows, query, field, as_date=True)
    default_sort = f"ticker.asc,{field}.asc"
    rows = sorted_rows(rows, _sort(query, default_sort))
    return list_reply(request, page(rows, query, limit, path, request.host))


def _sort(query: dict[str, str], default: str) -> str:
    """`sort` as `column.asc|desc` lists, or the vendor's `sort=column&order=asc`."""
    sort = query.get("sort", default)
    if "order" in query and "." not in sort:
        sort = f"{sort}.{query['order']}"
    return sort


def stock_float(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, SHORT_DEFAULT_LIMIT, SHORT_MAX_LIMIT)
    wanted = filtered(({"ticker": t} for t in TICKERS), query, "ticker", as_date=False)
    rows = float_rows(data.market, [row["ticker"] for row in wanted], request.now_ms)
    rows = filtered_numbers(rows, query, "free_float_percent")
    rows = sorted_rows(rows, _sort(query, "ticker.asc"))
    return list_reply(request, page(rows, query, limit, FLOAT_PATH, request.host))


def ipos(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, IPOS_DEFAULT_LIMIT, IPOS_MAX_LIMIT)
    rows = filtered(ipo_rows(request.now_ms), query, "listing_date", as_date=True)
    for name in ("ticker", "isin", "us_code", "ipo_status"):
        if name in query:
            rows = [row for row in rows if row.get(name) == query[name]]
    sort = query.get("sort", "listing_date")
    if "." in sort:
        raise QueryError(f"Invalid sort: '{sort}'. Use sort=column and order=asc|desc")
    rows = sorted_rows(rows, f"{sort}.{query.get('order', 'desc')}")
    return list_reply(request, page(rows, query, limit, IPOS_PATH, request.host))


SHORT_DATA: Family[MarketData] = Family(
    name="short data",
    data_prefix="/stocks/",
    routes=(
        Route("GET", SHORT_INTEREST_PATH, short_interest),
        Route("GET", SHORT_VOLUME_PATH, short_volume),
        Route("GET", FLOAT_PATH, stock_float),
    ),
)
IPOS: Family[MarketData] = Family(
    name="ipos", data_prefix="/vX/reference/", routes=(Route("GET", IPOS_PATH, ipos),)
)

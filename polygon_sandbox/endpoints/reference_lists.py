"""The vendor's lists: `/v3/reference/options/contracts` (contracts of an underlying, active or
expired: `expired` selects, false by default; paged by `next_url`), `/v3/reference/exchanges`
and `/v3/reference/tickers/types` (one unpaged answer each), `/v3/reference/conditions` (paged).

Options contracts need an options entitlement (a key without it gets 403); the other lists are
served to every plan.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from ..data.market_data import MarketData
from ..data.options_contracts import UNDERLYINGS, contracts
from ..data.reference_lists import conditions, exchanges, ticker_types
from ..data.trading_calendar import date_of_ms
from ..http.params import QueryError
from ..http.replies import NOT_ENTITLED, Reply, error_reply
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

CONTRACTS_PATH = "/v3/reference/options/contracts"
EXCHANGES_PATH = "/v3/reference/exchanges"
CONDITIONS_PATH = "/v3/reference/conditions"
TICKER_TYPES_PATH = "/v3/reference/tickers/types"
DEFAULT_LIMIT, MAX_LIMIT = 10, 1000  # both paged lists (the vendor's OpenAPI)
CONTRACT_SORTS = ("ticker", "underlying_ticker", "expiration_date", "strike_price")
CONDITION_SORTS = ("asset_class", "id", "type", "name", "data_types", "legacy")


def _sorted(rows: list[dict[str, Any]], query: dict[str, str], sorts: tuple[str, ...]) -> Any:
    sort = query.get("sort", sorts[0])
    if sort not in sorts:
        raise QueryError(f"Invalid sort: '{sort}'. Use one of {', '.join(sorts)}")
    rows = sorted_rows(rows, sort) if rows and sort in rows[0] else rows
    if query.get("order", "asc") == "desc":
        rows.reverse()
    return rows


def options_contracts(data: MarketData, request: Request) -> Reply:
    if "options" not in request.plan.markets:
        return error_reply(
            403, request.request_id, message=NOT_ENTITLED, status_word="NOT_AUTHORIZED"
        )
    query = with_cursor(request.params)
    limit = limit_param(query, DEFAULT_LIMIT, MAX_LIMIT)
    today = date_param(query, "as_of") if "as_of" in query else date_of_ms(request.now_ms)
    expired = query.get("expired", "false").lower() == "true"
    wanted = query.get("underlying_ticker")
    underlyings = [wanted] if wanted is not None else list(UNDERLYINGS)
    rows = [
        row
        for underlying in underlyings
        for row in contracts(data.market, underlying, today)
        if _is_expired(row, today) == expired
    ]
    rows = filtered(rows, query, "underlying_ticker", as_date=False)
    rows = filtered(rows, query, "expiration_date", as_date=True)
    if "contract_type" in query:
        rows = [row for row in rows if row["contract_type"] == query["contract_type"]]
    rows = _sorted(filtered_numbers(rows, query, "strike_price"), query, CONTRACT_SORTS)
    return list_reply(request, page(rows, query, limit, CONTRACTS_PATH, request.host))


def _is_expired(row: dict[str, Any], today: date) -> bool:
    return str(row["expiration_date"]) < today.isoformat()


def _matching(rows: list[dict[str, Any]], query: dict[str, str]) -> list[dict[str, Any]]:
    """Rows whose `asset_class` and `locale` are those asked for, if asked."""
    for name in ("asset_class", "locale"):
        if name in query:
            rows = [row for row in rows if row.get(name) == query[name]]
    return rows


def exchanges_list(data: MarketData, request: Request) -> Reply:
    return list_reply(request, {"results": _matching(exchanges(), request.params)})


def ticker_types_list(data: MarketData, request: Request) -> Reply:
    return list_reply(request, {"results": _matching(ticker_types(), request.params)})


def conditions_list(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, DEFAULT_LIMIT, MAX_LIMIT)
    rows = _matching(conditions(), query)
    if "data_type" in query:
        rows = [row for row in rows if query["data_type"] in row["data_types"]]
    if "sip" in query:
        rows = [row for row in rows if query["sip"] in row["sip_mapping"]]
    if "id" in query:
        if not query["id"].isdigit():
            raise QueryError(f"Invalid id: '{query['id']}'")
        rows = [row for row in rows if row["id"] == int(query["id"])]
    rows = _sorted(rows, query, CONDITION_SORTS)
    return list_reply(request, page(rows, query, limit, CONDITIONS_PATH, request.host))


REFERENCE_LISTS: Family[MarketData] = Family(
    name="reference lists",
    data_prefix="/v3/reference/",
    routes=(
        Route("GET", CONTRACTS_PATH, options_contracts),
        Route("GET", EXCHANGES_PATH, exchanges_list),
        Route("GET", CONDITIONS_PATH, conditions_list),
        Route("GET", TICKER_TYPES_PATH, ticker_types_list),
    ),
)

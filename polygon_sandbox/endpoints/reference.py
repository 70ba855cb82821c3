"""The reference family: `/v3/reference/tickers` (every active ticker of a market, or with
`active=false` every inactive one, sorted by ticker, paged by an absolute `next_url`) and
`/v3/reference/tickers/{ticker}` (one ticker's details; 404 for a ticker the sandbox does not
list)."""

from __future__ import annotations

from ..data.listings import listings, ticker_details
from ..data.market_data import MarketData
from ..data.ticker_events import inactive_listings
from ..http.params import QueryError
from ..http.replies import Reply, error_reply, json_reply
from ..http.routing import Family, Request, Route
from .lists import filtered, limit_param, list_reply, page, with_cursor

TICKERS_PATH = "/v3/reference/tickers"
TICKERS_DEFAULT_LIMIT, TICKERS_MAX_LIMIT = 100, 1000
NOT_FOUND_TICKER = "Ticker not found."


def tickers(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, TICKERS_DEFAULT_LIMIT, TICKERS_MAX_LIMIT)
    if query.get("sort", "ticker") != "ticker":
        raise QueryError(f"Invalid sort: '{query['sort']}'. The sandbox sorts by ticker")
    active = query.get("active", "true").lower() != "false"
    rows = listings(request.now_ms) if active else inactive_listings(request.now_ms)
    for field in ("market", "type", "exchange", "cik"):
        if field in query:
            key = "primary_exchange" if field == "exchange" else field
            rows = [row for row in rows if row.get(key) == query[field]]
    rows = filtered(rows, query, "ticker", as_date=False)
    if query.get("order") == "desc":
        rows.reverse()
    return list_reply(request, page(rows, query, limit, TICKERS_PATH, request.host))


def ticker_overview(data: MarketData, request: Request) -> Reply:
    details = ticker_details(data.market, request.path_params["ticker"], request.now_ms)
    if details is None:
        return error_reply(
            404, request.request_id, message=NOT_FOUND_TICKER, status_word="NOT_FOUND"
        )
    payload = {"results": details, "status": "OK", "request_id": request.request_id}
    return json_reply(200, payload, ticker=request.ticker, results_count=1)


REFERENCE: Family[MarketData] = Family(
    name="reference",
    data_prefix="/v3/reference/",
    routes=(
        Route("GET", TICKERS_PATH, tickers),
        Route("GET", TICKERS_PATH + "/{ticker}", ticker_overview, nonempty=("ticker",)),
    ),
)

"""The news family: `/v2/reference/news` (one `ticker`, `published_utc` and its
`.gt/.gte/.lt/.lte` as a date or an instant, `order`, `sort`, `limit` up to 1000),
`/vX/reference/tickers/{id}/events` (one entity's ticker changes; 404 for a symbol no entity
has today) and `/v1/related-companies/{ticker}` (no results for an unknown ticker).

The sandbox needs `ticker` on the news endpoint: every ticker's news of every day, asked at
once, is more than a test wants to wait for.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

from ..data.market_data import MarketData
from ..data.news import NEWS_START, news_of, related_companies
from ..data.ticker_events import entity, events_of
from ..data.trading_calendar import date_of_ms
from ..http.params import QueryError
from ..http.replies import Reply, error_reply, json_reply
from ..http.routing import Family, Request, Route
from .lists import limit_param, list_reply, page, with_cursor

NEWS_PATH = "/v2/reference/news"
EVENTS_PATH = "/vX/reference/tickers/{ticker}/events"
RELATED_PATH = "/v1/related-companies/{ticker}"
NEWS_DEFAULT_LIMIT, NEWS_MAX_LIMIT = 10, 1000
NOT_FOUND_TICKER = "Ticker not found."


def _instant(query: dict[str, str], name: str) -> str:
    """A bound as the instant it stands for: a date is its midnight UTC."""
    text = query[name]
    try:
        if len(text) == 10:
            return f"{date.fromisoformat(text).isoformat()}T00:00:00Z"
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as exc:
        raise QueryError(
            f"Could not parse the '{name}' parameter. Use a date or a timestamp"
        ) from exc
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


_BOUNDS = {
    "published_utc": lambda a, b: a == b,
    "published_utc.gt": lambda a, b: a > b,
    "published_utc.gte": lambda a, b: a >= b,
    "published_utc.lt": lambda a, b: a < b,
    "published_utc.lte": lambda a, b: a <= b,
}


def news(data: MarketData, request: Request) -> Reply:
    query = with_cursor(request.params)
    limit = limit_param(query, NEWS_DEFAULT_LIMIT, NEWS_MAX_LIMIT)
    if query.get("sort", "published_utc") != "published_utc":
        raise QueryError(f"Invalid sort: '{query['sort']}'. Use published_utc")
    if query.get("order", "desc") not in ("asc", "desc"):
        raise QueryError(f"Invalid order: '{query['order']}'. Use asc or desc")
    ticker = query.get("ticker")
    if not ticker:
        raise QueryError("The sandbox serves news of one ticker: give 'ticker'")
    bounds = {name: _instant(query, name) for name in _BOUNDS if name in query}
    first, last = NEWS_START, date_of_ms(request.now_ms) + timedelta(days=1)
    for name, instant in bounds.items():  # only the days the bounds leave are made
        day = date.fromisoformat(instant[:10])
        if name in ("published_utc", "published_utc.gt", "published_utc.gte"):
            first = max(first, day)
        if name in ("published_utc", "published_utc.lt", "published_utc.lte"):
            last = min(last, day)
    now = datetime.fromtimestamp(request.now_ms / 1000, tz=timezone.utc)
    rows: list[dict[str, Any]] = [
        article
        for article in news_of(ticker, first, last, now)
        if all(_BOUNDS[n](article["published_utc"], b) for n, b in bounds.items())
    ]
    if query.get("order", "desc") == "desc":
        rows.reverse()
    return list_reply(request, page(rows, query, limit, NEWS_PATH, request.host))


def ticker_events(data: MarketData, request: Request) -> Reply:
    ticker = request.path_params["ticker"]
    events = events_of(ticker)
    if events is None:
        return error_reply(
            404, request.request_id, message=NOT_FOUND_TICKER, status_word="NOT_FOUND"
        )
    updated = f"{date_of_ms(request.now_ms).isoformat()}T00:00:00Z"
    results = {**entity(ticker, updated), "events": events}
    payload = {"request_id": request.request_id, "results": results, "status": "OK"}
    return json_reply(200, payload, ticker=ticker, results_count=len(events))


def related(data: MarketData, request: Request) -> Reply:
    ticker = request.path_params["ticker"]
    results = [{"ticker": peer} for peer in related_companies(ticker)]
    payload = {
        "request_id": request.request_id,
        "results": results,
        "status": "OK",
        "stock_symbol": ticker,
    }
    return json_reply(200, payload, ticker=ticker, results_count=len(results))


NEWS: Family[MarketData] = Family(
    name="news", data_prefix="/v2/reference/", routes=(Route("GET", NEWS_PATH, news),)
)
TICKER_EVENTS: Family[MarketData] = Family(
    name="ticker events",
    data_prefix="/vX/reference/",
    routes=(Route("GET", EVENTS_PATH, ticker_events, nonempty=("ticker",)),),
)
RELATED_COMPANIES: Family[MarketData] = Family(
    name="related companies",
    data_prefix="/v1/related-companies/",
    routes=(Route("GET", RELATED_PATH, related, nonempty=("ticker",)),),
)
NEWS_EVENTS = (NEWS, TICKER_EVENTS, RELATED_COMPANIES)

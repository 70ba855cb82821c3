"""`GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}`: custom bars of
every market, paged by an absolute `next_url`.

The body mirrors the vendor's: `results` is left out when empty, bars carry `vw`/`n` only when
known and `otc` only when true, and `next_url` carries a `cursor` holding only `limit` and
`sort`, never the API key or `adjusted`.
"""

from __future__ import annotations

import zlib
from typing import Any
from urllib.parse import quote

from ...data.market_data import MarketData
from ...data.other_markets import MarketKind, kind_of
from ...data.trading_calendar import date_of_ms
from ...http.params import parse_bool
from ...http.replies import NOT_ENTITLED, OUT_OF_TIMEFRAME, Reply, error_reply, json_reply
from ...http.routing import Request
from . import other_bars, stock_bars
from .query import (
    INTRADAY,
    RangeQuery,
    TimeRange,
    encode_cursor,
    limit_and_sort,
    outside_history,
    parse_multiplier,
    parse_timespan,
)


def _window(kind: MarketKind | None, timespan: str, from_text: str, to_text: str) -> TimeRange:
    if kind is None:
        return stock_bars.resolve_range(timespan, from_text, to_text)
    return other_bars.resolve_range(kind, timespan, from_text, to_text)


def custom_bars(data: MarketData, request: Request) -> Reply:
    path, params, plan, now_ms = request.path_params, request.params, request.plan, request.now_ms
    ticker, from_text, to_text = path["ticker"], path["from"], path["to"]
    multiplier = parse_multiplier(path["multiplier"])
    timespan = parse_timespan(path["timespan"])
    kind = kind_of(ticker)
    window = _window(kind, timespan, from_text, to_text)
    # The index endpoint has no `adjusted`: like any unknown parameter, it is ignored.
    takes_adjusted = kind is None or kind.takes_adjusted
    adjusted = parse_bool(params, "adjusted", True) if takes_adjusted else True
    limit, sort = limit_and_sort(params)
    forbidden = None
    if (kind.name if kind else "stocks") not in plan.markets:
        forbidden = NOT_ENTITLED
    elif timespan in INTRADAY and not plan.intraday:
        forbidden = NOT_ENTITLED
    elif outside_history(plan, date_of_ms(window.requested_from_ms), now_ms):
        forbidden = OUT_OF_TIMEFRAME
    if forbidden:
        rid = request.request_id
        reply = error_reply(403, rid, message=forbidden, status_word="NOT_AUTHORIZED")
        reply.ticker, reply.timespan = ticker, timespan
        return reply

    query = RangeQuery(
        ticker, multiplier, timespan, window.from_ms, window.to_ms, adjusted, sort == "desc"
    )
    if kind is None:
        page = stock_bars.take_page(data.market, query, limit, now_ms)
    else:
        page = other_bars.take_page(data.others, query, limit, now_ms)
    body: dict[str, Any] = {
        "ticker": ticker,
        "queryCount": page.query_count,
        "resultsCount": len(page.rows),
    }
    if takes_adjusted:
        body["adjusted"] = adjusted
    if page.rows and kind is not None:
        body["results"] = [other_bars.bar_dict(row, kind) for row in page.rows]
    elif page.rows:
        otc = data.market.is_otc(ticker)
        body["results"] = [stock_bars.bar_dict(row, otc) for row in page.rows]
    body["status"] = "OK"
    body["request_id"] = request.request_id
    if page.rows and zlib.crc32(f"{ticker}/{multiplier}/{timespan}".encode()) % 3 == 0:
        body["count"] = len(page.rows)  # some responses carry it, as the vendor's do
    if page.next_ms is not None:
        if sort == "asc":
            bounds = f"{page.next_ms}/{quote(to_text, safe='')}"
        else:
            bounds = f"{quote(from_text, safe='')}/{page.next_ms}"
        body["next_url"] = (
            f"http://{request.host}/v2/aggs/ticker/{quote(ticker, safe='')}/range/{multiplier}/"
            f"{timespan}/{bounds}?cursor={encode_cursor(limit, sort)}"
        )
    count = len(page.rows)
    return json_reply(200, body, ticker=ticker, timespan=timespan, results_count=count)


def expected_bars(
    data: MarketData,
    ticker: str,
    multiplier: int,
    timespan: str,
    from_text: str,
    to_text: str,
    adjusted: bool,
    now_ms: int,
) -> list[dict[str, Any]]:
    """Every bar `custom_bars` serves for this range at `now_ms`, ascending and unpaginated,
    as the same dicts it encodes."""
    span = parse_timespan(timespan)
    kind = kind_of(ticker)
    window = _window(kind, span, from_text, to_text)
    every = parse_multiplier(str(multiplier))
    query = RangeQuery(ticker, every, span, window.from_ms, window.to_ms, adjusted)
    if kind is not None:
        bars = other_bars.iter_bars(data.others, query, now_ms)
        return [other_bars.bar_dict(row, kind) for row, _, _ in bars]
    otc = data.market.is_otc(ticker)
    return [
        stock_bars.bar_dict(row, otc)
        for row, _, _, _ in stock_bars.iter_bars(data.market, query, now_ms)
    ]

"""`GET /v2/aggs/grouped/locale/us/market/stocks/{date}`: every stock's bar of one day."""

from __future__ import annotations

from datetime import date
from typing import Any

from ...data.bars import retime
from ...data.market_data import MarketData
from ...data.universe import TICKERS
from ...http.params import QueryError, parse_bool
from ...http.replies import OUT_OF_TIMEFRAME, Reply, error_reply, json_reply
from ...http.routing import Request
from .query import DATE_RE, close_ms, outside_history
from .stock_bars import bar_dict


def grouped_daily(data: MarketData, request: Request) -> Reply:
    market, now_ms, rid = data.market, request.now_ms, request.request_id
    text = request.path_params["date"]
    try:
        if not DATE_RE.match(text):
            raise ValueError(text)
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise QueryError(f"Could not parse the date parameter: '{text}'. Use YYYY-MM-DD") from exc
    adjusted = parse_bool(request.params, "adjusted", True)
    include_otc = parse_bool(request.params, "include_otc", False)
    if outside_history(request.plan, day, now_ms):
        return error_reply(403, rid, message=OUT_OF_TIMEFRAME, status_word="NOT_AUTHORIZED")
    results = []
    t = close_ms(day)
    for ticker in TICKERS:
        otc = market.is_otc(ticker)
        if otc and not include_otc:
            continue
        row = market.daily(ticker, day, adjusted, now_ms)
        if row is not None:
            results.append({"T": ticker, **bar_dict(retime(row, t), otc)})
    body: dict[str, Any] = {
        "queryCount": len(results),
        "resultsCount": len(results),
        "adjusted": adjusted,
    }
    if results:
        body["results"] = results
    body["status"] = "OK"
    body["request_id"] = rid
    return json_reply(200, body, results_count=len(results))

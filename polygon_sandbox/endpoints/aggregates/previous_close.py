"""`GET /v2/aggs/ticker/{ticker}/prev`: the bar of the last trading day whose bar is final."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from ...data.bars import Row, retime
from ...data.market_data import MarketData
from ...data.trading_calendar import TRADING_DAYS, date_of_ms, session_end_ms
from ...http.params import parse_bool
from ...http.replies import Reply, json_reply
from ...http.routing import Request
from .query import close_ms
from .stock_bars import bar_dict


def previous_close(data: MarketData, request: Request) -> Reply:
    market, now_ms = data.market, request.now_ms
    ticker = request.path_params["ticker"]
    adjusted = parse_bool(request.params, "adjusted", True)
    rows: list[Row] = []
    if market.knows(ticker):
        day = TRADING_DAYS.last_on_or_before(date_of_ms(now_ms))
        if day is not None and session_end_ms(day) > now_ms:  # today's bar is not final
            day = TRADING_DAYS.last_on_or_before(day - timedelta(days=1))
        if day is not None:
            rows.append(market.final_daily(ticker, day, adjusted))
    body: dict[str, Any] = {
        "ticker": ticker,
        "queryCount": len(rows),
        "resultsCount": len(rows),
        "adjusted": adjusted,
    }
    if rows:
        otc = market.is_otc(ticker)
        day = date_of_ms(rows[0][0])
        body["results"] = [{"T": ticker, **bar_dict(retime(rows[0], close_ms(day)), otc)}]
    body["status"] = "OK"
    body["request_id"] = request.request_id
    return json_reply(200, body, ticker=ticker, results_count=len(rows))

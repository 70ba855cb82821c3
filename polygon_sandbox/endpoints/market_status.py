"""The market-status family: `/v1/marketstatus/upcoming`, a bare array of the NYSE's and
Nasdaq's holidays and early closes of the coming year."""

from __future__ import annotations

from ..data.market_data import MarketData
from ..data.market_holidays import holiday_records
from ..http.replies import Reply, json_reply
from ..http.routing import Family, Request, Route


def upcoming_holidays(data: MarketData, request: Request) -> Reply:
    records = holiday_records(request.now_ms)
    return json_reply(200, records, results_count=len(records))


MARKET_STATUS: Family[MarketData] = Family(
    name="market status",
    data_prefix="/v1/marketstatus/",
    routes=(Route("GET", "/v1/marketstatus/upcoming", upcoming_holidays),),
)

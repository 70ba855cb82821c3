"""The aggregates family: custom bars of every market, previous close and grouped daily bars."""

from __future__ import annotations

from ...data.market_data import MarketData
from ...http.routing import Family, Route
from .custom_bars import custom_bars
from .grouped_daily import grouped_daily
from .previous_close import previous_close

AGGREGATES: Family[MarketData] = Family(
    name="aggregates",
    data_prefix="/v2/",
    routes=(
        Route(
            "GET", "/v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}", custom_bars
        ),
        Route("GET", "/v2/aggs/ticker/{ticker}/prev", previous_close),
        Route("GET", "/v2/aggs/grouped/locale/us/market/stocks/{date}", grouped_daily),
    ),
)

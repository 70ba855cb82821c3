"""The API's endpoints, one module (or package) per family, each declaring its routes.

Adding an endpoint: write its handler, `handler(data: MarketData, request: Request) -> Reply`,
in its family's module and add a `Route(method, pattern, handler)` to that family. A new family
is a new module with its `Family`, listed in FAMILIES below.
"""

from __future__ import annotations

from ..data.market_data import MarketData
from ..http.routing import Family, RouteTable
from .aggregates import AGGREGATES
from .corporate_actions import CORPORATE_ACTIONS
from .financials import FINANCIALS
from .market_status import MARKET_STATUS
from .news_events import NEWS_EVENTS
from .reference import REFERENCE
from .reference_lists import REFERENCE_LISTS
from .short_data import IPOS, SHORT_DATA

FAMILIES: tuple[Family[MarketData], ...] = (
    AGGREGATES,
    REFERENCE,
    CORPORATE_ACTIONS,
    MARKET_STATUS,
    FINANCIALS,
    SHORT_DATA,
    IPOS,
    *NEWS_EVENTS,
    REFERENCE_LISTS,
)
ROUTES: RouteTable[MarketData] = RouteTable(FAMILIES)

"""The reference streams of a configuration: each declared endpoint as its stream."""

from __future__ import annotations

from source_stock_ticker_api.polygon.stream import Access
from source_stock_ticker_api.reference.corporate_actions import CorporateActionsRead
from source_stock_ticker_api.reference.endpoints import DIVIDENDS, ENDPOINTS, SPLITS
from source_stock_ticker_api.reference.incremental import IncrementalRead, IncrementalStream
from source_stock_ticker_api.reference.listings import OPTIONS_CONTRACTS, UnderlyingsRead
from source_stock_ticker_api.reference.plan_history import PlanHistoryRead
from source_stock_ticker_api.reference.short_data import SHORT_INTEREST, SHORT_VOLUME
from source_stock_ticker_api.reference.stream import DeclaredStream, ListRead

# Endpoints whose reads need more than their declaration: the free plan's two years
# (plan_history.py), and for dividends and splits the factor refresh (corporate_actions.py).
SPECIAL_READS: dict[str, type[IncrementalRead]] = {
    DIVIDENDS.stream: CorporateActionsRead,
    SPLITS.stream: CorporateActionsRead,
    SHORT_INTEREST.stream: PlanHistoryRead,
    SHORT_VOLUME.stream: PlanHistoryRead,
}
# Full-refresh endpoints whose reads say more than their declaration (see listings.py).
FULL_REFRESH_READS: dict[str, type[ListRead]] = {OPTIONS_CONTRACTS.stream: UnderlyingsRead}


def reference_streams(access: Access) -> list[DeclaredStream]:
    """One stream per declared endpoint, in ENDPOINTS order."""
    streams: list[DeclaredStream] = []
    for endpoint in ENDPOINTS:
        if endpoint.incremental is None:
            read_class = FULL_REFRESH_READS.get(endpoint.stream, ListRead)
            streams.append(DeclaredStream(endpoint, access, read_class))
        else:
            read = SPECIAL_READS.get(endpoint.stream, IncrementalRead)
            streams.append(IncrementalStream(endpoint, access, read))
    return streams

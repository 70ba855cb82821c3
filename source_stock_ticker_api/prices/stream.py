"""The price stream: one class, one instance per market of markets.py, bars of the configured
tickers of that market, with one cursor per ticker.

What differs between markets (zone, calendar, bar ends, record shape, grouped daily) is data in
the markets table; what a sync does is sync.py. This class only adapts both to the CDK.

API docs: https://polygon.io/docs/rest/stocks/aggregates/custom-bars (and the same page under
/crypto/, /forex/, /indices/ and /options/)
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import CheckpointMixin

from source_stock_ticker_api import clock
from source_stock_ticker_api.markets import Market
from source_stock_ticker_api.polygon.endpoints import describe_price_request
from source_stock_ticker_api.polygon.stream import Access, PolygonStream
from source_stock_ticker_api.prices.cursors import Cursors
from source_stock_ticker_api.prices.plan import plan_sync
from source_stock_ticker_api.prices.saved_state import bar_settings
from source_stock_ticker_api.prices.sync import PriceSync


class PriceStream(PolygonStream, CheckpointMixin):
    """Bars of one market's configured tickers, oldest first, with one cursor per ticker.

    Each ticker's whole pending range is asked for at once, with the largest `limit`, and each
    page of it is a slice: the CDK checkpoints after every page, so a sync stopped halfway
    resumes at the page it stopped on.
    """

    cursor_field = "timestamp"
    state_checkpoint_interval = None

    def __init__(self, market: Market, access: Access) -> None:
        self.market = market
        self._cursors = Cursors()
        super().__init__(access, describe_price_request)

    @property
    def name(self) -> str:
        return self.market.stream_name

    @property
    def primary_key(self) -> list[str]:
        return [self.market.ticker_field, "timestamp"]

    @property
    def state(self) -> MutableMapping[str, Any]:
        """The cursors, always with the bar settings they were read with."""
        return self._cursors.state(bar_settings(self._config))

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """A state the source has validated (saved_state.py): ours, or the tutorial's
        `{"date": "YYYY-MM-DD"}`; its bar settings match the configuration's for an
        incremental sync (the source checked them too)."""
        if value:
            self._cursors = Cursors.from_state(value, self._config.tickers, self.market.zone)

    def start_read(self, sync_mode: SyncMode) -> PriceSync:
        """A sync: a full refresh reads everything again, so its state starts empty; it never
        hands on a cursor it did not read, nor one read with other bar settings."""
        if sync_mode != SyncMode.incremental:
            self._cursors = Cursors()
        now = clock.now()
        plan = plan_sync(self.market, self._config, self._cursors, now)
        return PriceSync(
            self.name,
            plan,
            self._config,
            self._cursors,
            now,
            self.fetch,
            self.bodies,
            self.logger,
        )

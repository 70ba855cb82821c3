"""What dividends and splits need beyond a dated endpoint with the free plan's two years
(plan_history.py), in one place: the factor refresh. `historical_adjustment_factor` is
cumulative (an event's factor covers every later event), so a ticker with a new event has its
earlier events read again, once, with their new factors, also those older than the look-back.

Events declared ahead (ex-dates after today) are read too; the look-back brings them again
until their date has passed.
"""

from __future__ import annotations

from collections.abc import Generator, Mapping

from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.messages import counted
from source_stock_ticker_api.reference.incremental import DatedRequest
from source_stock_ticker_api.reference.plan_history import PlanHistoryRead
from source_stock_ticker_api.reference.stream import Outcome


class CorporateActionsRead(PlanHistoryRead):
    """Dividends or splits of the configured stock tickers (see the module)."""

    def served(
        self, request: DatedRequest, outcome: Outcome, newest: Mapping[str, str]
    ) -> Generator[StreamData, None, bool]:
        """The count of events read, then the factor refresh; the cursors move unless the
        refresh was refused."""
        noun = self.endpoint.stream
        self.logger.info(
            f"{counted(outcome.rows, noun[:-1])} of {counted(len(request.tickers), 'ticker')}"
            f" from {request.start}."
        )
        refreshed = yield from self._refresh_factors(request, newest)
        return refreshed is None or refreshed.refusal is None

    def _refresh_factors(
        self, request: DatedRequest, newest: Mapping[str, str]
    ) -> Generator[StreamData, None, Outcome | None]:
        """Reads again, once, the earlier events of each ticker that has a new one (dated after
        its cursor): those before the first date the slice wrote for it. One more request, only
        in a sync that sees a new event (one per distinct first date). None when no request
        was needed."""
        start = self.config.start_date.isoformat()
        floors = dict(request.floors)
        earlier: dict[str, list[str]] = {}  # first date written -> tickers
        for ticker in request.tickers:
            saved = self.dates.get(ticker)
            written_from = floors.get(ticker, request.start)
            if saved is not None and newest.get(ticker, "") > saved and written_from > start:
                earlier.setdefault(written_from, []).append(ticker)
        if not earlier:
            return None
        noun = self.endpoint.stream
        outcome: Outcome | None = None
        for before, stale in sorted(earlier.items()):
            self.logger.info(
                f"New {noun} of {', '.join(stale)}: their {noun} before {before} are read "
                "again, for their historical_adjustment_factor."
            )
            outcome = yield from self.read_request(self.dated(stale, start, before))
            if outcome.refusal is not None:
                break
        return outcome

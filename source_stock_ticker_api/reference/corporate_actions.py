"""What dividends and splits need beyond an incremental declared endpoint, in one place:

- the free plan's two years: when the API refuses a start older than the plan's history (403),
  what the plan does cover is read, the cursors stay put, and the stream ends with a
  config_error asking for a later start_date;
- the factor refresh: `historical_adjustment_factor` is cumulative (an event's factor covers
  every later event), so a ticker with a new event has its earlier events read again, once,
  with their new factors, also those older than the look-back.

Events declared ahead (ex-dates after today) are read too; the look-back brings them again
until their date has passed.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.config import today_in_new_york
from source_stock_ticker_api.messages import as_sentence, counted
from source_stock_ticker_api.reference.incremental import DatedRequest, IncrementalRead
from source_stock_ticker_api.reference.stream import Outcome, read_pages

# The free plan's history: when the API refuses an older start, what it does cover is read.
FREE_PLAN_HISTORY_DAYS = 730


class CorporateActionsRead(IncrementalRead):
    """Dividends or splits of the configured stock tickers (see the module)."""

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        assert isinstance(stream_slice, DatedRequest)
        noun = self.endpoint.stream
        newest: dict[str, str] = {}  # ticker -> its latest event date in this slice
        outcome = yield from self._events(stream_slice, newest)
        refusal = outcome.refusal
        edge = today_in_new_york() - timedelta(days=FREE_PLAN_HISTORY_DAYS - 1)
        if (
            refusal is not None
            and refusal.status == 403
            and date.fromisoformat(stream_slice.start) < edge
        ):
            yield from self._plan_history(stream_slice, refusal.message, edge)
            return
        if refusal is not None:
            self.refusals.add(refusal.message)
            return
        self.logger.info(
            f"{counted(outcome.rows, noun[:-1])} of {counted(len(stream_slice.tickers), 'ticker')}"
            f" from {stream_slice.start}."
        )
        refreshed = yield from self._refresh_factors(stream_slice, newest)
        if refreshed is not None and refreshed.refusal is not None:
            return
        self.dates.advance(stream_slice.tickers, today_in_new_york().isoformat())

    def _events(
        self, request: DatedRequest, newest: dict[str, str]
    ) -> Generator[StreamData, None, Outcome]:
        """The request's events, each ticker's newest event date noted in `newest`; the refusal
        is left to the caller."""
        field = self.incremental.cursor_field
        pages = read_pages(
            self.fetch, request, self.endpoint.shape, self.bodies, self.keep(request)
        )
        while True:
            try:
                record = next(pages)
            except StopIteration as done:
                outcome: Outcome = done.value
                return outcome
            ticker, day = record.get("ticker"), record.get(field)
            if isinstance(ticker, str) and isinstance(day, str):
                newest[ticker] = max(newest.get(ticker, ""), day)
            yield record

    def _plan_history(
        self, request: DatedRequest, refused: str, edge: date
    ) -> Iterator[StreamData]:
        """The events the plan's history covers, from its edge on; the sync then fails asking
        for a later start_date, unless that read is refused too (its own refusal is kept)."""
        noun = self.endpoint.stream
        self.logger.warning(f"{refused} Reading the {noun} the plan covers, from {edge} on.")
        floors = tuple((t, day) for t, day in request.floors if day > edge.isoformat())
        covered = self.dated(request.tickers, edge.isoformat(), request.before, floors)
        outcome = yield from self.read_request(covered)
        if outcome.refusal is None:
            self.refusals.add(
                f"{as_sentence(refused)} The {noun} from {edge} on were read; set "
                f"start_date to {edge} or later, or upgrade the plan, for the sync to succeed."
            )

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

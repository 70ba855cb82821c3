"""The free plan's two years, in one place, for every dated endpoint the free plan covers in part
(dividends, splits, short interest, short volume).

When the API refuses a start older than the plan's history (403), what the plan does cover is
read, from the plan's edge on; the cursors stay put, and the stream ends with a config_error
asking for a later start_date. Without this, a free-plan user with an old start_date would get
none of the two years the plan serves.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.config import today_in_new_york
from source_stock_ticker_api.messages import as_sentence, without_plan_advice
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.reference.incremental import DatedRequest, IncrementalRead
from source_stock_ticker_api.reference.stream import Outcome

# The free plan's history: when the API refuses an older start, what it does cover is read.
FREE_PLAN_HISTORY_DAYS = 730


def plan_history_edge() -> date:
    """The oldest date the free plan serves today."""
    return today_in_new_york() - timedelta(days=FREE_PLAN_HISTORY_DAYS - 1)


class PlanHistoryRead(IncrementalRead):
    """A dated endpoint whose older rows a lesser plan refuses (see the module)."""

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        assert isinstance(stream_slice, DatedRequest)
        newest: dict[str, str] = {}  # ticker -> its latest row date in this slice
        outcome = yield from self.rows(stream_slice, newest)
        refusal = outcome.refusal
        edge = plan_history_edge()
        if refusal is not None and refusal.status == 403 and stream_slice.start < edge.isoformat():
            yield from self._plan_history(stream_slice, refusal, edge)
            return
        if refusal is not None:
            self.refusals.add(self.refused(refusal))
            return
        moved = yield from self.served(stream_slice, outcome, newest)
        if moved:
            self.dates.advance(stream_slice.tickers, today_in_new_york().isoformat())

    def served(
        self, request: DatedRequest, outcome: Outcome, newest: Mapping[str, str]
    ) -> Generator[StreamData, None, bool]:
        """After a request the API served: its unknown tickers told. True when the cursors may
        move to today (a subclass may read more first)."""
        self.tell(request, outcome)
        return True
        yield  # a generator, as a subclass's may read

    def rows(
        self, request: DatedRequest, newest: dict[str, str]
    ) -> Generator[StreamData, None, Outcome]:
        """The request's rows, each ticker's newest row date noted in `newest`; the refusal is
        left to the caller."""
        field = self.incremental.cursor_field
        pages = self.read_rows(request)
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
        self, request: DatedRequest, refusal: Refusal, edge: date
    ) -> Iterator[StreamData]:
        """The rows the plan's history covers, from its edge on; the sync then fails asking
        for a later start_date, unless that read is refused too (its own refusal is kept)."""
        noun = self.endpoint.stream
        refused = without_plan_advice(refusal.message)
        self.logger.warning(f"{refused} Reading the {noun} the plan covers, from {edge} on.")
        floors = tuple((t, day) for t, day in request.floors if day > edge.isoformat())
        covered = self.dated(request.tickers, edge.isoformat(), request.before, floors)
        outcome = yield from self.read_request(covered)
        if outcome.refusal is None:
            self.refusals.add(
                f"{as_sentence(refused)} The {noun} from {edge} on were read; set "
                f"start_date to {edge} or later, or upgrade the plan, for the sync to succeed."
            )

"""How far a price stream's sync has come: bars and requests read and left, as the platform's
ESTIMATE trace messages and the log's plan and totals show them.

What is left starts as what the market's hours allow (estimates.py) and is corrected by each
page: a ticker's last page replaces its estimate by what it held; an earlier page scales the
rest of the ticker by how full its pages were so far.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from airbyte_cdk.models import (
    AirbyteEstimateTraceMessage,
    AirbyteMessage,
    AirbyteTraceMessage,
    EstimateType,
    TraceType,
    Type,
)

from source_stock_ticker_api.prices.estimates import Estimate
from source_stock_ticker_api.prices.pages import GroupedDayResult, TickerPageResult
from source_stock_ticker_api.prices.plan import SyncPlan, TickerPlan

# Size of a record's data as JSON before any is read: a minute bar of AAPL with every field.
# The estimate for the platform then uses the last record of each ticker's page.
RECORD_BYTES = 230


@dataclass
class _Counts:
    """One ticker's figures: what is left of it, and what was read so far."""

    plan: TickerPlan
    left: Estimate
    bars: int = 0
    requests: int = 0


class Progress:
    """The figures of one sync, from its plan and each page read."""

    def __init__(self, plan: SyncPlan) -> None:
        self._plan = plan
        self._tickers = {t.ticker: _Counts(t, t.pending) for t in plan.tickers}
        grouped = plan.grouped
        self._days_left = len(grouped.days) if grouped else 0
        self._day_bars_left = (
            sum(len(grouped.tickers_on(d)) for d in grouped.days) if grouped else 0
        )
        self._grouped_read = Estimate()  # bars read, and days read as requests
        self._record_bytes = RECORD_BYTES
        self._estimated: tuple[int, int] | None = None  # the last estimate sent (rows, bytes)
        self.planned = self.left()
        self.requests_planned = self.requests_left()

    def left(self) -> Estimate:
        total = Estimate(self._day_bars_left, self._days_left)
        for counts in self._tickers.values():
            total += counts.left
        return total

    def requests_left(self) -> int:
        limit = self._plan.query.limit
        return self._days_left + sum(c.left.requests(limit) for c in self._tickers.values())

    def read(self) -> Estimate:
        """Bars read so far, and the requests that read them."""
        total = self._grouped_read
        for counts in self._tickers.values():
            total += Estimate(counts.bars, counts.requests)
        return total

    def page_read(self, result: TickerPageResult, record_bytes: int | None) -> None:
        """A ticker's page is written: its bars counted, the rest of the ticker estimated again.

        Nothing is left after its last page, or after a refusal: the ticker's plan will not
        change in this sync.
        """
        if record_bytes is not None:
            self._record_bytes = record_bytes
        counts = self._tickers.get(result.request.ticker)
        if counts is None:
            return
        counts.requests += 1
        counts.bars += result.bars
        if result.following is None or result.refusal is not None:
            counts.left = Estimate()
        elif result.last_ms is not None:
            counts.left = self._rest(counts, result.last_ms)

    def _rest(self, counts: _Counts, last_ms: int) -> Estimate:
        """What the market's hours allow after the page, scaled by how full the read part was;
        one request at least, since a next_url names one."""
        plan = self._plan
        read_to_ms = plan.bar_end(last_ms)
        read = plan.estimate(counts.plan.first_ms, read_to_ms)
        ratio = min(1.0, counts.bars / read.bars) if read.bars else 1.0
        left = plan.estimate(read_to_ms, plan.horizon_ms).scaled(ratio)
        return Estimate(max(left.bars, 1), max(left.base, 1))

    def day_read(self, result: GroupedDayResult, records: int) -> None:
        """A grouped day is written (or skipped): its records count, one request."""
        self._grouped_read += Estimate(records, 1)
        self._days_left = max(0, self._days_left - 1)
        self._day_bars_left = max(0, self._day_bars_left - len(result.request.tickers))

    def estimate_message(self, stream: str) -> AirbyteMessage | None:
        """The protocol's ESTIMATE trace for the stream, when it changed: the bars read so far
        and those the plan still expects, so the platform can draw a progress bar."""
        rows = self.read().bars + self.left().bars
        estimated = (rows, rows * self._record_bytes)
        if estimated == self._estimated:
            return None
        self._estimated = estimated
        return AirbyteMessage(
            type=Type.TRACE,
            trace=AirbyteTraceMessage(
                type=TraceType.ESTIMATE,
                emitted_at=time.time() * 1000,
                estimate=AirbyteEstimateTraceMessage(
                    name=stream,
                    type=EstimateType.STREAM,
                    row_estimate=estimated[0],
                    byte_estimate=estimated[1],
                ),
            ),
        )

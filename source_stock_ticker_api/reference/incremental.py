"""Incremental reads of a declared endpoint: a date cursor per ticker, with a look-back.

State holds, per ticker, the New York date up to which its rows were read:
`{"AAPL": {"ex_dividend_date": "2026-11-23"}}`. The next sync asks again from the look-back
before it, so rows revised or published late inside the window are read again (same primary
key). A ticker without a cursor (added to the config later) gets its whole history from
start_date. An endpoint without partitions (OneRequest: the IPOs of the whole market) has one
cursor for the stream, `{"listing_date": "2026-11-23"}` (StreamDate).

Tickers are batched in the fan-out's size after ordering them by start, so a sync makes the
fewest requests: a batch asks from its earliest start, and a row dated before the start of
each ticker it belongs to is dropped before it is written (it was read by an earlier sync).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import CheckpointMixin
from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.config import ConfigError, today_in_new_york
from source_stock_ticker_api.messages import reset_advice
from source_stock_ticker_api.polygon.stream import Access, Read
from source_stock_ticker_api.reference.declarations import (
    Endpoint,
    Incremental,
    ListRequest,
    Partition,
    TickerFanOut,
)
from source_stock_ticker_api.reference.stream import DeclaredStream, Keep, ListRead, Reading


@dataclass(frozen=True)
class DatedRequest(ListRequest):
    """A request of tickers' rows dated from `start` (and before `before`, when set).

    `floors` holds, per ticker, the first date of its rows the request writes, where that is
    later than `start`.
    """

    start: str = ""
    before: str = ""
    floors: tuple[tuple[str, str], ...] = ()


class TickerDates:
    """Each ticker's cursor: the date up to which its rows were read."""

    def __init__(self, field: str, entries: Mapping[str, Any] | None = None) -> None:
        self.field = field
        self._dates = {
            ticker: str(entry[field])
            for ticker, entry in (entries or {}).items()
            if isinstance(entry, Mapping) and _is_date(entry.get(field))
        }

    def state(self) -> dict[str, Any]:
        return {ticker: {self.field: day} for ticker, day in self._dates.items()}

    def get(self, ticker: str) -> str | None:
        return self._dates.get(ticker)

    def advance(self, tickers: Sequence[str], day: str) -> None:
        """Moves the tickers' cursors to `day`, never back."""
        for ticker in tickers:
            self._dates[ticker] = max(self._dates.get(ticker, ""), day)


class StreamDate:
    """The one cursor of a partition-less endpoint: the date up to which its rows were read.
    The same methods as TickerDates; the tickers they are given are ignored."""

    def __init__(self, field: str, entries: Mapping[str, Any] | None = None) -> None:
        self.field = field
        saved = (entries or {}).get(field)
        self._date: str | None = str(saved) if _is_date(saved) else None

    def state(self) -> dict[str, Any]:
        return {self.field: self._date} if self._date else {}

    def get(self, ticker: str | None = None) -> str | None:
        return self._date

    def advance(self, tickers: Sequence[str], day: str) -> None:
        self._date = max(self._date or "", day)


Cursors = TickerDates | StreamDate


def cursors_of(endpoint: Endpoint, entries: Mapping[str, Any] | None = None) -> Cursors:
    """A cursor per ticker, or the stream's one cursor where the fan-out has no tickers."""
    assert endpoint.incremental is not None
    field = endpoint.incremental.cursor_field
    if isinstance(endpoint.fan_out, TickerFanOut):
        return TickerDates(field, entries)
    return StreamDate(field, entries)


class IncrementalRead(ListRead):
    """One incremental read: requests from each ticker's cursor less the look-back."""

    def __init__(self, reading: Reading, dates: Cursors) -> None:
        super().__init__(reading)
        assert reading.endpoint.incremental is not None
        self.incremental: Incremental = reading.endpoint.incremental
        self.dates = dates

    def start(self, ticker: str | None) -> str:
        """The first date to read of a ticker (or of the stream): its cursor less the
        look-back, or start_date."""
        start = self.config.start_date
        saved = self.dates.get(ticker or "")
        if saved is not None:
            resume = date.fromisoformat(saved) - timedelta(days=self.incremental.lookback_days)
            start = max(start, resume)
        return start.isoformat()

    def starts(self) -> dict[str, str]:
        """Each configured ticker's first date to read."""
        fan_out = self.endpoint.fan_out
        assert isinstance(fan_out, TickerFanOut)
        return {ticker: self.start(ticker) for ticker in fan_out.tickers(self.config)}

    def slices(self) -> Iterator[DatedRequest]:
        fan_out = self.endpoint.fan_out
        if not isinstance(fan_out, TickerFanOut):  # partition-less: one request
            yield self.dated((), self.start(None))
            return
        starts = self.starts()
        ordered = sorted(starts, key=lambda ticker: starts[ticker])  # stable: config order
        for batch in fan_out.batches(ordered):
            first = min(starts[ticker] for ticker in batch)
            floors = tuple((ticker, starts[ticker]) for ticker in batch if starts[ticker] > first)
            yield self.dated(batch, first, floors=floors)

    def dated(
        self,
        tickers: Sequence[str],
        start: str,
        before: str = "",
        floors: tuple[tuple[str, str], ...] = (),
    ) -> DatedRequest:
        """The request of `tickers`' rows dated from `start`, before `before` when given."""
        fan_out = self.endpoint.fan_out
        field = self.incremental.cursor_field
        batch = tuple(tickers)
        partition = fan_out.partition(batch) if isinstance(fan_out, TickerFanOut) else Partition()
        first = self.endpoint.request(partition, ((f"{field}.gte", start),))
        query = (*first.query, (f"{field}.lt", before)) if before else first.query
        return DatedRequest(
            first.first_path, query, batch, start=start, before=before, floors=floors
        )

    def keep(self, request: ListRequest) -> Keep | None:
        """Drops a row dated before the floor of every ticker it belongs to."""
        if not isinstance(request, DatedRequest) or not request.floors:
            return None
        floors = dict(request.floors)
        field, row_tickers = self.incremental.cursor_field, self.incremental.row_tickers

        def keep(row: Mapping[str, Any]) -> bool:
            day = str(row.get(field) or "")[:10]  # a date, or the date of a timestamp
            tickers = list(row_tickers(row))
            return not tickers or any(day >= floors.get(ticker, "") for ticker in tickers)

        return keep

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        """The slice's rows, then each of its tickers' cursor moved to today."""
        assert isinstance(stream_slice, DatedRequest)
        outcome = yield from self.read_request(stream_slice)
        self.tell(stream_slice, outcome)
        if outcome.refusal is None:
            self.dates.advance(stream_slice.tickers, today_in_new_york().isoformat())

    def expects(self, ticker: str) -> bool:
        """Only a ticker read from start_date (no cursor yet) is expected to have rows."""
        return self.dates.get(ticker) is None


class IncrementalStream(DeclaredStream, CheckpointMixin):
    """A declared endpoint read incrementally, with a date cursor per ticker."""

    state_checkpoint_interval = None

    def __init__(
        self,
        endpoint: Endpoint,
        access: Access,
        read_class: type[IncrementalRead] = IncrementalRead,
    ) -> None:
        self._dates: Cursors = cursors_of(endpoint)
        self._read_class = read_class
        super().__init__(endpoint, access)

    @property
    def cursor_field(self) -> str:
        return self._dates.field

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._dates.state()

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Takes the state as the source checked it (validate_dates)."""
        self._dates = cursors_of(self.endpoint, value)

    def start_read(self, sync_mode: SyncMode) -> Read:
        if sync_mode != SyncMode.incremental:
            self._dates = cursors_of(self.endpoint)
        return self._read_class(self.reading(), self._dates)


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True


def validate_dates(value: Any, stream: str, field: str, per_ticker: bool = True) -> None:
    """Raises ConfigError unless `value` is a state of `stream` as this connector writes it,
    `{"AAPL": {field: "YYYY-MM-DD"}}` (or `{field: "YYYY-MM-DD"}` for a partition-less
    stream), naming the entry that is not: ignoring it would read that ticker's (or the
    stream's) whole history again without a word."""
    advice = reset_advice(stream)
    if not isinstance(value, Mapping):
        raise ConfigError(f"The saved state for {stream} is not a JSON object. {advice}")
    if not per_ticker:
        day = value.get(field)
        if set(value) != {field} or not isinstance(day, str) or not _is_date(day):
            raise ConfigError(
                f'The saved state of {stream} is {dict(value)!r}, not {{"{field}": '
                f'"YYYY-MM-DD"}}. {advice}'
            )
        return
    for ticker, entry in value.items():
        day = entry.get(field) if isinstance(entry, Mapping) else None
        if not isinstance(day, str) or not _is_date(day):
            raise ConfigError(
                f"The saved state of {stream} for ticker {ticker!r} is {entry!r}, not "
                f'{{"{field}": "YYYY-MM-DD"}}. {advice}'
            )

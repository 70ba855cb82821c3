"""The stream of a declared endpoint (declarations.py): its requests, their pages, its refusals.

They share the price streams' pace (one budget), retries and messages (polygon/). A refusal
(400, 403) of one request does not stop the others: they are read, then the stream fails once
with a config_error naming every refusal. Records keep the API's field names and values.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Generator, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.messages import stream_refused_message
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.endpoints import next_page
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.polygon.stream import Access, Fetched, PolygonStream, Read
from source_stock_ticker_api.reference.declarations import (
    Distinct,
    Endpoint,
    ListRequest,
    Note,
    Shape,
)

Fetch = Callable[[ListRequest], Fetched]


@dataclass(frozen=True)
class Outcome:
    """What reading every page of one request gave: how many rows, or the API's refusal, and
    the tickers its rows named (where the shape asks for them: Shape.missing)."""

    rows: int
    refusal: Refusal | None
    named: frozenset[str] = frozenset()


Keep = Callable[[Mapping[str, Any]], bool]


def read_pages(
    fetch: Fetch,
    request: ListRequest,
    shape: Shape,
    bodies: ParsedBodies,
    keep: Keep | None = None,
    carry: Mapping[str, Any] | None = None,
) -> Generator[Mapping[str, Any], None, Outcome]:
    """Every row of the request that `keep` keeps, page by page (`next_url`), with the fields
    of `carry` beside its own (the API's win); returns the outcome, counting the rows kept.

    A refusal ends the request with the rows of the pages before it; a 404 let through (an
    unknown ticker) is a page without rows.
    """
    rows = 0
    named: set[str] = set()
    page: ListRequest | None = request
    while page is not None:
        fetched = fetch(page)
        if not fetched.response.ok:
            return Outcome(rows, fetched.refusal, frozenset(named))
        body = bodies.json(fetched.response)
        for found in shape.rows(body):
            row = {**carry, **found} if carry else found
            if keep is None or keep(row):
                rows += 1
                if shape.missing is not None:
                    named.update(shape.row_tickers(row))
                yield row
        following = next_page(body)
        page = page.next(following) if following is not None else None
    return Outcome(rows, None, frozenset(named))


def both(first: Keep | None, second: Keep | None) -> Keep | None:
    """A row kept by both (None keeps every row)."""
    if first is None or second is None:
        return first or second
    return lambda row: first(row) and second(row)


class WrittenOnce:
    """The rows of an endpoint's `distinct` already written this sync (declarations.Distinct):
    keeps a row the first time only."""

    def __init__(self, distinct: Distinct, configured: Iterable[str]) -> None:
        self.distinct = distinct
        self.configured = frozenset(configured)
        self._written: set[str] = set()

    def __call__(self, row: Mapping[str, Any]) -> bool:
        if len(self.configured.intersection(self.distinct.row_tickers(row))) < 2:
            return True  # no other request of the sync brings it
        key = str(row.get(self.distinct.key))
        if key in self._written:
            return False
        self._written.add(key)
        return True


class Refusals:
    """Every refusal of one read, in order, for its one config_error."""

    def __init__(self) -> None:
        self._messages: list[str] = []

    def add(self, message: str) -> None:
        self._messages.append(message)

    def raise_any(self) -> None:
        if self._messages:
            message = " ".join(self._messages)
            raise AirbyteTracedException(
                message=message, internal_message=message, failure_type=FailureType.config_error
            )


@dataclass(frozen=True)
class Reading:
    """What every read of a declared stream works with: its endpoint, the config, and the
    stream's way to the API."""

    endpoint: Endpoint
    config: StockTickerConfig
    fetch: Fetch
    bodies: ParsedBodies
    logger: logging.Logger


class ListRead:
    """One full-refresh read of a declared endpoint: its partitions' requests, each paged."""

    def __init__(self, reading: Reading) -> None:
        self.endpoint = reading.endpoint
        self.config = reading.config
        self.fetch = reading.fetch
        self.bodies = reading.bodies
        self.logger = reading.logger
        self.refusals = Refusals()
        distinct = reading.endpoint.distinct
        self.once = WrittenOnce(distinct, reading.config.tickers) if distinct else None

    def opening(self) -> Iterable[StreamData]:
        return ()

    def slices(self) -> Iterator[ListRequest]:
        for item in self.endpoint.fan_out.partitions(self.config):
            if isinstance(item, Note):
                self.logger.info(item.text)
            else:
                yield self.endpoint.request(item)

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        assert isinstance(stream_slice, ListRequest)
        outcome = yield from self.read_request(stream_slice)
        self.tell(stream_slice, outcome)

    def keep(self, request: ListRequest) -> Keep | None:
        """Which of the request's rows are written (None: all of them)."""
        return None

    def read_request(self, request: ListRequest) -> Generator[StreamData, None, Outcome]:
        """The request's rows; its refusal is kept for the end of the read."""
        outcome = yield from self.read_rows(request)
        if outcome.refusal is not None:
            self.refusals.add(self.refused(outcome.refusal))
        return outcome

    def read_rows(self, request: ListRequest) -> Generator[Mapping[str, Any], None, Outcome]:
        """The request's rows, those the read keeps, each with its partition field; the
        refusal is left to the caller."""
        keep = both(self.keep(request), self.once)
        field = self.endpoint.ticker_field
        carry = {field: request.tickers[0]} if field and len(request.tickers) == 1 else None
        outcome: Outcome = yield from read_pages(
            self.fetch, request, self.endpoint.shape, self.bodies, keep, carry
        )
        return outcome

    def refused(self, refusal: Refusal) -> str:
        """A refusal's words; a 403 also names the stream and the plan that covers it."""
        endpoint = self.endpoint
        if refusal.status == 403 and endpoint.plan:
            return stream_refused_message(refusal.message, endpoint.stream, endpoint.plan)
        return refusal.message

    def tell(self, request: ListRequest, outcome: Outcome) -> None:
        """A ticker the API does not know is a warning, where the endpoint says so: the one
        ticker of a request without rows, or those of a batch that no row named."""
        shape = self.endpoint.shape
        if outcome.refusal is not None:
            return
        if shape.unknown is not None and not outcome.rows:
            self.logger.warning(shape.unknown.format(ticker=", ".join(request.tickers)))
        if shape.missing is not None:
            missing = [t for t in request.tickers if t not in outcome.named and self.expects(t)]
            if missing:
                self.logger.warning(shape.missing.format(tickers=", ".join(missing)))

    def expects(self, ticker: str) -> bool:
        """Whether a row naming `ticker` is expected in its request (Shape.missing)."""
        return True

    def closing(self) -> None:
        self.refusals.raise_any()


class DeclaredStream(PolygonStream):
    """A stream of a declared endpoint, read whole each sync (full refresh)."""

    def __init__(
        self, endpoint: Endpoint, access: Access, list_read: type[ListRead] = ListRead
    ) -> None:
        self.endpoint = endpoint
        self._list_read = list_read
        unknown_is_empty = endpoint.shape.unknown is not None
        super().__init__(access, endpoint.describe, not_found_is_empty=unknown_is_empty)

    @property
    def name(self) -> str:
        return self.endpoint.stream

    @property
    def primary_key(self) -> str | list[str]:
        return self.endpoint.primary_key

    @property
    def is_resumable(self) -> bool:
        """Only the incremental streams checkpoint. HttpStream's `state` setter would otherwise
        make the CDK read a full-refresh stream as resumable, page after page, never ending."""
        return self.supports_incremental

    def reading(self) -> Reading:
        return Reading(self.endpoint, self._config, self.fetch, self.bodies, self.logger)

    def start_read(self, sync_mode: SyncMode) -> Read:
        return self._list_read(self.reading())

"""The HttpStream every stream of this connector is: one host, one pace, the same timeouts,
retries and error words, typed slices that know their request, and pages fetched one at a time.

A stream's read is one `Read` object (plain code, no HttpStream): `PolygonStream.read` starts
it, and the CDK's read loop, which calls `stream_slices` and `read_records` back, is handed to
it. What a read finds (records, refusals, figures) stays in that object, never in the stream.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field, replace
from typing import Any, Protocol

import requests
from airbyte_cdk.models import ConfiguredAirbyteStream, SyncMode
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig
from airbyte_cdk.sources.utils.slice_logger import SliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.auth import AuthBase

from source_stock_ticker_api.cdk.failures import quiet_http_client
from source_stock_ticker_api.cdk.http import mount_adapters, say_rate_limited, send
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.congestion import Congestion
from source_stock_ticker_api.polygon.errors import (
    Describe,
    PolygonBackoffStrategy,
    PolygonErrorHandler,
    Refusal,
    refusal_of,
)
from source_stock_ticker_api.polygon.halt import Halt
from source_stock_ticker_api.polygon.request import ApiRequest

CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Access:
    """How every stream reaches the API: the config, the key's authenticator, the one budget
    and congestion all streams share (the API counts the key's requests, not a stream's), and
    the one halt: after the API rejected the key, no stream sends another request. Without a
    congestion, each stream has its own."""

    config: StockTickerConfig
    authenticator: AuthBase
    budget: APIBudget | None = None
    congestion: Congestion | None = None
    halt: Halt = field(default_factory=Halt)

    def for_tickers(self, tickers: tuple[str, ...]) -> Access:
        """The same access, for a stream that reads only `tickers` of the config's."""
        return replace(self, config=replace(self.config, tickers=tickers))


@dataclass(frozen=True)
class Fetched:
    """One request's answer: the response, and the refusal it stands for, if the API refused."""

    response: requests.Response
    refusal: Refusal | None


class Read(Protocol):
    """One read of one stream, from its first request to its one error, if any."""

    def opening(self) -> Iterable[StreamData]:
        """What comes before the first slice (a plan, an estimate)."""

    def slices(self) -> Iterable[Mapping[str, Any]]:
        """The CDK's slices: the stream's typed requests (or pages already fetched)."""

    def read(self, stream_slice: Mapping[str, Any]) -> Iterable[StreamData]:
        """One slice's records and messages."""

    def closing(self) -> None:
        """After the last slice: totals, and the one error for every refusal."""


class PolygonStream(HttpStream):
    """An HttpStream of the Polygon API: `api_url`, the configured pace and timeouts, the
    connector's retries and messages (errors.py), requests named by typed slices.

    Subclasses say how a read goes (`start_read`). Requests go through `fetch`, which may run
    in another thread (prices/inflight.py) than the one that reads the page.
    """

    def __init__(self, access: Access, describe: Describe, not_found_is_empty: bool = False):
        self._config = access.config
        self._bodies = ParsedBodies()  # each page parsed once, for the error handler and us
        self._congestion = access.congestion or Congestion(
            access.config.requests_per_minute, access.config.max_concurrent_requests
        )
        self._halt = access.halt
        self._describe = describe
        self._not_found_is_empty = not_found_is_empty
        self._read: Read | None = None  # the read in progress, while the CDK's loop runs
        super().__init__(authenticator=access.authenticator, api_budget=access.budget)
        mount_adapters(self, self._halt.check)
        quiet_http_client(self.logger)

    @property
    def url_base(self) -> str:
        return f"{self._config.api_url}/"

    @property
    def bodies(self) -> ParsedBodies:
        """The parsed bodies of this stream's responses (the error handler parsed them)."""
        return self._bodies

    def get_error_handler(self) -> ErrorHandler:
        return PolygonErrorHandler(
            self.logger,
            self._config.api_url,
            self._bodies,
            self._describe,
            self._congestion,
            self._not_found_is_empty,
        )

    def get_backoff_strategy(self) -> BackoffStrategy:
        return PolygonBackoffStrategy()

    def request_kwargs(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        """The same (connect, read) timeouts for every request, whatever the slice or page."""
        return {"timeout": (CONNECT_TIMEOUT_SECONDS, self._config.request_timeout_seconds)}

    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        assert isinstance(stream_slice, ApiRequest)
        return stream_slice.path()

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        assert isinstance(stream_slice, ApiRequest)
        return stream_slice.params()

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """None: a page names the next one as a request of its own (`next_url`)."""
        return None

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any],
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """Not used: a Read reads the pages `fetch` returns."""
        raise NotImplementedError

    def fetch(self, request: ApiRequest) -> Fetched:
        """One request, retried and paced as every request is, in the calling thread; after
        a 429, asked again once the congestion lets it leave (congestion.py).

        A failure that every request would meet (the key rejected) halts the sync's requests.
        """
        while True:
            try:
                with self._congestion.sending():
                    response = send(self, request)
            except AirbyteTracedException as error:
                raise self._halt.on_failure(error) from None
            if response.status_code != 429:
                return Fetched(response, refusal_of(response, self._describe))
            say_rate_limited(self.name)

    def start_read(self, sync_mode: SyncMode) -> Read:
        """A new read of this stream."""
        raise NotImplementedError

    def read(
        self,
        configured_stream: ConfiguredAirbyteStream,
        logger: logging.Logger,
        slice_logger: SliceLogger,
        stream_state: MutableMapping[str, Any],
        state_manager: Any,  # ConnectorStateManager, left untyped by the CDK
        internal_config: InternalConfig,
    ) -> Iterable[StreamData]:
        """The read's opening, the CDK's read of every slice, then the read's closing.

        The closing runs only after a read that went to its end: it may raise the read's one
        error, after the last STATE message, so every readable request is read and saved
        first; the CDK then marks the stream INCOMPLETE, and the sync exits non-zero.
        """
        read = self.start_read(configured_stream.sync_mode)
        self._read = read
        try:
            yield from read.opening()
            yield from super().read(
                configured_stream,
                logger,
                slice_logger,
                stream_state,
                state_manager,
                internal_config,
            )
        finally:
            self._read = None
        read.closing()

    def _current(self, sync_mode: SyncMode) -> Read:
        """The read in progress; outside `read` (a test asking for slices), a new one."""
        return self._read if self._read is not None else self.start_read(sync_mode)

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        return self._current(sync_mode).slices()

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterator[StreamData]:
        assert stream_slice is not None
        yield from self._current(sync_mode).read(stream_slice)

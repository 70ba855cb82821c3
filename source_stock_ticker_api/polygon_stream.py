"""The HTTP plumbing every stream of this connector shares, written once.

The price streams (streams.py), the grouped daily reads (grouped.py) and the reference streams
(reference_streams.py) talk to the same API the same way: one host, one pace, the same timeouts,
retries and error words, the same `next_url` paging, and a refusal the error handler lets
through read as a page without records. Each stream keeps only what it reads differently.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
from airbyte_cdk.sources.http_config import MAX_CONNECTION_POOL_SIZE
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from requests.adapters import HTTPAdapter
from requests.auth import AuthBase

from source_stock_ticker_api.api import ParsedBodies, next_page
from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.errors import PolygonBackoffStrategy, PolygonErrorHandler
from source_stock_ticker_api.pacing import PacedBudget

CONNECT_TIMEOUT_SECONDS = 10


@dataclass(frozen=True)
class Fetched:
    """One request's answer, as `fetch` returns it."""

    response: requests.Response
    refusal: str | None  # the error handler's words when the API refused this one request


class PolygonStream(HttpStream):
    """An HttpStream of the Polygon API: `api_url`, the configured pace and timeouts, the
    connector's retries and messages (errors.py), `next_url` as the next page.

    Subclasses read a page's records in `page_records`. A page may be fetched in another
    thread (`fetch`, inflight.py) than the one that reads it.
    """

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        self._config = config
        self._bodies = ParsedBodies()  # each page parsed once, for the error handler and us
        self._calls = threading.local()  # what the error handler said of this thread's request
        self._budget = api_budget
        super().__init__(authenticator=authenticator, api_budget=api_budget)
        self._pool_connections_for_http()

    def _pool_connections_for_http(self) -> None:
        """As many pooled connections for `http://` (the sandbox, on this machine) as the CDK
        gives `https://` (MAX_CONNECTION_POOL_SIZE, the most requests in flight the spec
        allows). requests' default of 10 would close and reopen a connection for every
        request beyond ten in flight, warning each time.

        Relies on HttpClient._session (checked in unit_tests/test_cdk_inflight_contract.py).
        """
        pooled = HTTPAdapter(
            pool_connections=MAX_CONNECTION_POOL_SIZE, pool_maxsize=MAX_CONNECTION_POOL_SIZE
        )
        self._http_client._session.mount("http://", pooled)

    @property
    def url_base(self) -> str:
        return f"{self._config.api_url}/"

    def get_error_handler(self) -> ErrorHandler:
        return PolygonErrorHandler(
            self.logger, self._config.api_url, self._bodies, self._note_refusal
        )

    def _note_refusal(self, message: str) -> None:
        """The error handler's word that the API refused the request this thread is making."""
        self._calls.refusal = message

    def fetch(self, stream_slice: Mapping[str, Any]) -> Fetched:
        """One request for the slice, retried and paced as every request is, in the calling
        thread; the page is read later with `parse_response`.

        Relies on HttpStream._fetch_next_page (checked in test_cdk_inflight_contract.py),
        the CDK's one call that builds a slice's request and sends it through the stream's
        HTTP client: the pace, retries and error handler come with it.
        """
        self._calls.refusal = None
        _, response = self._fetch_next_page(stream_slice, {}, None)
        return Fetched(response, self._calls.refusal)

    def get_backoff_strategy(self) -> BackoffStrategy:
        budget = self._budget
        pause = budget.pause if isinstance(budget, PacedBudget) else None
        return PolygonBackoffStrategy(self._config.requests_per_minute, pause)

    def request_kwargs(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        """The same (connect, read) timeouts for every request, whatever the slice or page."""
        return {"timeout": (CONNECT_TIMEOUT_SECONDS, self._config.request_timeout_seconds)}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """The path and cursor of the page's `next_url`, re-based on our own api_url."""
        if not response.ok:
            return None
        following = next_page(self._bodies.of(response))
        if following is None:
            return None
        path, query = following
        return {"path": path, "query": query}

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any],
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """The page's records; none for a refusal the error handler let through."""
        if not response.ok:
            return
        yield from self.page_records(response, stream_slice or {})

    def page_records(
        self, response: requests.Response, stream_slice: Mapping[str, Any]
    ) -> Iterable[Mapping[str, Any]]:
        """The records of a page the API served."""
        raise NotImplementedError

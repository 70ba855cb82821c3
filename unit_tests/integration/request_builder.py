"""Builds the requests the connector is expected to send to the aggregates endpoint."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests_mock as rm
from airbyte_cdk.test.mock_http import HttpRequest

from unit_tests.config_builder import API_KEY, API_URL

MAX_LIMIT = 50_000


class AggsRequestBuilder:
    """`GET /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}` as we send it.

    Every page carries `adjusted`, `sort` and `limit`; later pages also carry the API's `cursor`.
    The key travels in the Authorization header only.
    """

    @classmethod
    def aggs(cls, ticker: str, start: str, end: str) -> AggsRequestBuilder:
        return cls(ticker, start, end)

    def __init__(self, ticker: str, start: str, end: str) -> None:
        self._ticker = ticker
        self._start = start
        self._end = end
        self._timespan = "day"
        self._multiplier = 1
        self._api_url = API_URL
        self._api_key = API_KEY
        self._query: dict[str, Any] = {"adjusted": "true", "sort": "asc", "limit": str(MAX_LIMIT)}

    def with_timespan(self, timespan: str, multiplier: int = 1) -> AggsRequestBuilder:
        self._timespan, self._multiplier = timespan, multiplier
        return self

    def with_adjusted(self, adjusted: bool) -> AggsRequestBuilder:
        self._query["adjusted"] = "true" if adjusted else "false"
        return self

    def with_limit(self, limit: int) -> AggsRequestBuilder:
        self._query["limit"] = str(limit)
        return self

    def with_cursor(self, cursor: str) -> AggsRequestBuilder:
        self._query["cursor"] = cursor
        return self

    def with_api_key(self, api_key: str) -> AggsRequestBuilder:
        self._api_key = api_key
        return self

    @property
    def path(self) -> str:
        return (
            f"/v2/aggs/ticker/{self._ticker}/range/{self._multiplier}/{self._timespan}/"
            f"{self._start}/{self._end}"
        )

    @property
    def url(self) -> str:
        """The URL without its query, for requests-mock registrations."""
        return f"{self._api_url}{self.path}"

    @property
    def query(self) -> dict[str, str]:
        return dict(self._query)

    def sent(self) -> SentRequest:
        """This request as `sent_requests` reports it."""
        query = {name: [value] for name, value in self._query.items()}
        return ("GET", self.url, query, f"Bearer {self._api_key}")

    def build(self) -> HttpRequest:
        return HttpRequest(
            url=self.url,
            query_params=dict(self._query),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )


# (method, URL without its query, query, Authorization header) of one request.
SentRequest = tuple[str, str, dict[str, list[str]], str | None]


def sent_requests(requests_mock: rm.Mocker) -> list[SentRequest]:
    """Every request the connector sent, in order, to compare with `AggsRequestBuilder.sent()`.

    requests-mock matches a registered URL whatever its query, so tests assert the whole request
    here. Read from the raw URL: requests-mock's own `path` and `qs` are lowercased, and cursors
    are case-sensitive.
    """
    sent: list[SentRequest] = []
    for request in requests_mock.request_history:
        parts = urlsplit(request.url)
        query = parse_qs(parts.query, keep_blank_values=True)
        url = f"{parts.scheme}://{parts.netloc}{parts.path}"
        sent.append((request.method, url, query, request.headers.get("Authorization")))
    return sent


# The first requests of ConfigBuilder's default config (2024-03-01 to 2024-03-11), per ticker.
AAPL_URL = AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-11").url
MSFT_URL = AggsRequestBuilder.aggs("MSFT", "2024-03-01", "2024-03-11").url

"""Builds the requests the connector is expected to send to the aggregates endpoint."""

from __future__ import annotations

from typing import Any

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

    def build(self) -> HttpRequest:
        return HttpRequest(
            url=self.url,
            query_params=dict(self._query),
            headers={"Authorization": f"Bearer {self._api_key}"},
        )


# The first requests of ConfigBuilder's default config (2024-03-01 to 2024-03-11), per ticker.
AAPL_URL = AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-11").url
MSFT_URL = AggsRequestBuilder.aggs("MSFT", "2024-03-01", "2024-03-11").url

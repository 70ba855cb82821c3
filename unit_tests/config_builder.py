"""A small fluent builder for connector configurations used across the unit tests."""

from __future__ import annotations

import copy
from typing import Any

# Distinctive enough that finding it anywhere in output can only mean a leak.
API_KEY = "pk_unittest_Zq7Xw3Rv9Ty2Lm5Np8"
# Loopback only: every test is offline, and the mocks answer before any socket is opened.
API_URL = "http://127.0.0.1:8999"


class ConfigBuilder:
    """Starts from a small valid daily config for AAPL; each `with_*` changes one field."""

    def __init__(self) -> None:
        self._config: dict[str, Any] = {
            "api_key": API_KEY,
            "tickers": ["AAPL"],
            "start_date": "2024-03-01",
            "end_date": "2024-03-11",
            "timespan": "day",
            "multiplier": 1,
            "adjusted": True,
            "api_url": API_URL,
            # High enough that the client-side budget never makes a test wait.
            "requests_per_minute": 6000,
            # One request at a time: pages in the order given, whatever the threads do. Tests
            # of requests in flight ask for more.
            "max_concurrent_requests": 1,
        }

    def with_api_key(self, api_key: Any) -> ConfigBuilder:
        return self.with_field("api_key", api_key)

    def with_tickers(self, *tickers: Any) -> ConfigBuilder:
        return self.with_field("tickers", list(tickers))

    def with_start_date(self, start_date: Any) -> ConfigBuilder:
        return self.with_field("start_date", start_date)

    def with_end_date(self, end_date: Any) -> ConfigBuilder:
        return self.with_field("end_date", end_date)

    def with_dates(self, start_date: Any, end_date: Any) -> ConfigBuilder:
        return self.with_start_date(start_date).with_end_date(end_date)

    def with_timespan(self, timespan: Any, multiplier: Any = 1) -> ConfigBuilder:
        return self.with_field("timespan", timespan).with_field("multiplier", multiplier)

    def with_adjusted(self, adjusted: Any) -> ConfigBuilder:
        return self.with_field("adjusted", adjusted)

    def with_api_url(self, api_url: Any) -> ConfigBuilder:
        return self.with_field("api_url", api_url)

    def with_requests_per_minute(self, requests_per_minute: Any) -> ConfigBuilder:
        return self.with_field("requests_per_minute", requests_per_minute)

    def with_request_timeout_seconds(self, seconds: Any) -> ConfigBuilder:
        return self.with_field("request_timeout_seconds", seconds)

    def with_field(self, name: str, value: Any) -> ConfigBuilder:
        self._config[name] = value
        return self

    def with_fields(self, changes: dict[str, Any]) -> ConfigBuilder:
        self._config.update(changes)
        return self

    def without(self, *names: str) -> ConfigBuilder:
        for name in names:
            self._config.pop(name, None)
        return self

    def legacy(self, stock_ticker: str) -> ConfigBuilder:
        """The tutorial connector's config: an API key and one `stock_ticker`, nothing else.

        `api_url` stays so that the request still targets the loopback mock.
        """
        self._config = {"api_key": self._config["api_key"], "stock_ticker": stock_ticker}
        return self.with_api_url(API_URL)

    def build(self) -> dict[str, Any]:
        return copy.deepcopy(self._config)

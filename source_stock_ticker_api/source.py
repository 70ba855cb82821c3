"""The Airbyte source: configuration checks, the connection check, and the stream list."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import requests
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    SyncMode,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator

from source_stock_ticker_api.api import aggs_params, aggs_path, api_reason, describe_request
from source_stock_ticker_api.config import ConfigError, StockTickerConfig, parse_config
from source_stock_ticker_api.messages import answer_message, unreachable_message
from source_stock_ticker_api.pacing import PacedBudget
from source_stock_ticker_api.reference_streams import (
    Dividends,
    MarketHolidays,
    Splits,
    TickerDetails,
    Tickers,
)
from source_stock_ticker_api.state import SETTINGS_KEY, check_bar_settings, validate_state
from source_stock_ticker_api.state_file import read_state_file
from source_stock_ticker_api.streams import CONNECT_TIMEOUT_SECONDS, StockPrices

STREAM_NAME = "stock_prices"


def api_budget(config: StockTickerConfig) -> PacedBudget:
    """Paces calls client-side so a 5-per-minute plan is never asked for a sixth."""
    return PacedBudget(config.requests_per_minute)


class SourceStockTickerApi(AbstractSource):
    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        """One request for one bar at start_date: proves the key, the plan's entitlement to the
        timespan, and that the plan's history reaches start_date."""
        parsed = parse_config(config)
        path = aggs_path(
            parsed.tickers[0],
            parsed.multiplier,
            parsed.timespan,
            parsed.start_date,
            parsed.end_date,
        )
        try:
            response = requests.get(
                f"{parsed.api_url}/{path}",
                params=aggs_params(parsed.adjusted, limit=1),
                auth=TokenAuthenticator(parsed.api_key),
                timeout=(CONNECT_TIMEOUT_SECONDS, parsed.request_timeout_seconds),
            )
        except requests.RequestException as error:
            raise ConfigError(unreachable_message(parsed.api_url, error)) from None
        if response.status_code == 200:
            return True, None
        what = describe_request(response.request.url)
        raise ConfigError(answer_message(response.status_code, api_reason(response), what))

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """Every stream shares one budget: the API counts the key's requests, not a stream's."""
        parsed = parse_config(config)
        auth, budget = TokenAuthenticator(parsed.api_key), api_budget(parsed)
        return [
            StockPrices(config=parsed, authenticator=auth, api_budget=budget),
            *(
                stream(config=parsed, authenticator=auth, api_budget=budget)
                for stream in (Tickers, TickerDetails, Dividends, Splits, MarketHolidays)
            ),
        ]

    @classmethod
    def read_state(cls, state_path: str) -> list[AirbyteStateMessage]:
        """Per-stream state, or the tutorial's legacy file `{"stock_prices": {"date": ...}}`.

        Checked here, before the sync starts: a state file we cannot use is a config_error that
        says what to do, not a traceback or a stream failure halfway through.
        """
        messages = read_state_file(state_path)
        stream_state = ConnectorStateManager(messages).get_stream_state(STREAM_NAME, None)
        if stream_state:
            validate_state(stream_state)
        return messages

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's read, after refusing a state written for other bars, before any request.

        The stream refuses it too, but from inside the sync the CDK would report it as a stream
        failure followed by a generic one; here it is one config_error.
        """
        incremental = any(
            stream.stream.name == STREAM_NAME and stream.sync_mode == SyncMode.incremental
            for stream in catalog.streams
        )
        if state and incremental:
            saved = ConnectorStateManager(state).get_stream_state(STREAM_NAME, None)
            validate_state(saved)
            check_bar_settings(saved.get(SETTINGS_KEY), parse_config(config))
        yield from super().read(logger, config, catalog, state)

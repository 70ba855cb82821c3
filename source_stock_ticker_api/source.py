"""The Airbyte source: configuration checks, the connection check, and the stream list."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

import requests
from airbyte_cdk.models import (
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.connector_state_manager import AirbyteStateBlob
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator

from source_stock_ticker_api.api import aggs_params, aggs_path, api_reason, describe_request
from source_stock_ticker_api.config import ConfigError, StockTickerConfig, parse_config
from source_stock_ticker_api.messages import answer_message, unreachable_message
from source_stock_ticker_api.pacing import PacedBudget
from source_stock_ticker_api.state import RESET_ADVICE, validate_state
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
        parsed = parse_config(config)
        return [
            StockPrices(
                config=parsed,
                authenticator=TokenAuthenticator(parsed.api_key),
                api_budget=api_budget(parsed),
            )
        ]

    @classmethod
    def read_state(cls, state_path: str) -> list[AirbyteStateMessage]:
        """Per-stream state, or the tutorial's legacy file `{"stock_prices": {"date": ...}}`.

        Checked here, before the sync starts: a state file we cannot use is a config_error that
        says to reset the stream, not a traceback or a stream failure halfway through.
        """
        try:
            messages = cls._parse_state_file(state_path)
        except Exception as error:  # unreadable JSON or a shape the protocol rejects alike
            raise ConfigError(
                f"The state file could not be read ({type(error).__name__}). {RESET_ADVICE}"
            ) from None
        for message in messages:
            stream = message.stream
            if stream and stream.stream_descriptor.name == STREAM_NAME and stream.stream_state:
                validate_state(stream.stream_state.__dict__)
        return messages

    @classmethod
    def _parse_state_file(cls, state_path: str) -> list[AirbyteStateMessage]:
        raw = cls._read_json_file(state_path) if state_path else None
        if isinstance(raw, dict) and raw and "type" not in raw:
            return [
                AirbyteStateMessage(
                    type=AirbyteStateType.STREAM,
                    stream=AirbyteStreamState(
                        stream_descriptor=StreamDescriptor(name=name),
                        stream_state=AirbyteStateBlob(value),
                    ),
                )
                for name, value in raw.items()
                if isinstance(value, dict)
            ]
        return super().read_state(state_path)

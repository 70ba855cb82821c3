"""The Airbyte source: configuration checks, the connection check, and the stream list."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import replace
from typing import Any

import requests
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    SyncMode,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator

from source_stock_ticker_api.api import aggs_params, aggs_path, api_reason, describe_request
from source_stock_ticker_api.cdk_overrides import RecordPagesSource
from source_stock_ticker_api.config import ConfigError, StockTickerConfig, parse_config
from source_stock_ticker_api.markets import MARKETS, Market, tickers_by_market
from source_stock_ticker_api.messages import (
    answer_message,
    market_not_in_plan_message,
    unreachable_message,
)
from source_stock_ticker_api.pacing import PacedBudget
from source_stock_ticker_api.polygon_stream import CONNECT_TIMEOUT_SECONDS
from source_stock_ticker_api.reference_streams import (
    Dividends,
    MarketHolidays,
    Splits,
    TickerDetails,
    Tickers,
)
from source_stock_ticker_api.state import SETTINGS_KEY, check_bar_settings, validate_state
from source_stock_ticker_api.state_file import read_state_file
from source_stock_ticker_api.streams import PRICE_STREAMS

STREAM_NAMES = tuple(market.stream_name for market in MARKETS)


def api_budget(config: StockTickerConfig) -> PacedBudget:
    """Paces calls client-side so a 5-per-minute plan is never asked for a sixth."""
    return PacedBudget(config.requests_per_minute, len(tickers_by_market(config.tickers)))


class SourceStockTickerApi(RecordPagesSource):
    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        """One request for one bar at start_date per market configured: proves the key, the
        plan's entitlement to each market and to the timespan, and that the plan's history
        reaches start_date. A plan lacking a market is named as such."""
        parsed = parse_config(config)
        covered: list[Market] = []
        for market, tickers in tickers_by_market(parsed.tickers).items():
            response = _first_bar(parsed, market, tickers[0])
            if response.status_code != 200:
                what = describe_request(response.request.url)
                reason = api_reason(response)
                if response.status_code == 403 and covered:
                    names = [m.name for m in covered]
                    raise ConfigError(market_not_in_plan_message(names, market.name, reason, what))
                raise ConfigError(answer_message(response.status_code, reason, what))
            covered.append(market)
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """Every price stream, always, each reading only the configured tickers of its market;
        then the reference streams. All share one budget: the API counts the key's requests,
        not a stream's."""
        parsed = parse_config(config)
        by_market = tickers_by_market(parsed.tickers)
        auth, budget = TokenAuthenticator(parsed.api_key), api_budget(parsed)
        return [
            *(
                stream_class(
                    config=replace(parsed, tickers=by_market.get(stream_class.market, ())),
                    authenticator=auth,
                    api_budget=budget,
                )
                for stream_class in PRICE_STREAMS
            ),
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
        manager = ConnectorStateManager(messages)
        for name in STREAM_NAMES:
            stream_state = manager.get_stream_state(name, None)
            if stream_state:
                validate_state(stream_state, name)
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
        incremental = [
            stream.stream.name
            for stream in catalog.streams
            if stream.stream.name in STREAM_NAMES and stream.sync_mode == SyncMode.incremental
        ]
        if state and incremental:
            manager = ConnectorStateManager(state)
            parsed = parse_config(config)
            for name in incremental:
                saved = manager.get_stream_state(name, None)
                validate_state(saved, name)
                check_bar_settings(saved.get(SETTINGS_KEY), parsed, name)
        yield from super().read(logger, config, catalog, state)


def _first_bar(config: StockTickerConfig, market: Market, ticker: str) -> requests.Response:
    """The check's request for one market: one bar of `ticker` from start_date."""
    path = aggs_path(ticker, config.multiplier, config.timespan, config.start_date, config.end_date)
    adjusted = config.adjusted if market.takes_adjusted else None
    try:
        return requests.get(
            f"{config.api_url}/{path}",
            params=aggs_params(adjusted, limit=1),
            auth=TokenAuthenticator(config.api_key),
            timeout=(CONNECT_TIMEOUT_SECONDS, config.request_timeout_seconds),
        )
    except requests.RequestException as error:
        raise ConfigError(unreachable_message(config.api_url, error)) from None

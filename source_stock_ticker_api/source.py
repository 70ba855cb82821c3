"""The Airbyte source: the connection check, the streams, and each read's one parse of the
config and one check of the saved state, before any request."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping, MutableMapping
from datetime import date
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

from source_stock_ticker_api.cdk.failures import FailuresOnce
from source_stock_ticker_api.cdk.log_lines import LogLinesSource
from source_stock_ticker_api.cdk.saved_states import saved_state
from source_stock_ticker_api.config import (
    ConfigError,
    StockTickerConfig,
    parse_config,
    today_in_new_york,
    unknown_fields,
)
from source_stock_ticker_api.input_files import read_catalog_file, read_config_file
from source_stock_ticker_api.markets import MARKETS, Market, tickers_by_market
from source_stock_ticker_api.messages import (
    answer_message,
    market_not_in_plan_message,
    unknown_fields_message,
    unknown_streams_message,
    unreachable_message,
)
from source_stock_ticker_api.polygon.bodies import api_reason
from source_stock_ticker_api.polygon.congestion import Congestion
from source_stock_ticker_api.polygon.endpoints import aggs_params, aggs_path, describe_price_request
from source_stock_ticker_api.polygon.pacing import PacedBudget
from source_stock_ticker_api.polygon.stream import CONNECT_TIMEOUT_SECONDS, Access
from source_stock_ticker_api.prices.cursors import LEGACY_KEY
from source_stock_ticker_api.prices.saved_state import (
    SETTINGS_KEY,
    check_bar_settings,
    validate_state,
)
from source_stock_ticker_api.prices.stream import PriceStream
from source_stock_ticker_api.reference.catalog import reference_streams
from source_stock_ticker_api.reference.declarations import TickerFanOut
from source_stock_ticker_api.reference.endpoints import ENDPOINTS
from source_stock_ticker_api.reference.incremental import validate_dates
from source_stock_ticker_api.state_file import read_state_file, upper_case_tickers

STREAM_NAMES = tuple(market.stream_name for market in MARKETS)
# Every stream `streams` builds, in its order: the price streams, then the declared endpoints.
ALL_STREAM_NAMES = (*STREAM_NAMES, *(endpoint.stream for endpoint in ENDPOINTS))
# The reference streams with a date cursor (per ticker, or one for a partition-less stream),
# and that cursor's field.
DATED_STREAMS = {e.stream: e.incremental.cursor_field for e in ENDPOINTS if e.incremental}
PER_TICKER_DATES = {e.stream: isinstance(e.fan_out, TickerFanOut) for e in ENDPOINTS}
# Keys of a stream's state that are not tickers, so never upper-cased: the price streams'
# settings, the tutorial's `date`, a partition-less stream's cursor field.
RESERVED_STATE_KEYS = frozenset(
    {
        SETTINGS_KEY,
        LEGACY_KEY,
        *(field for name, field in DATED_STREAMS.items() if not PER_TICKER_DATES[name]),
    }
)


def api_budget(config: StockTickerConfig) -> PacedBudget:
    """Paces calls client-side so a 5-per-minute plan is never asked for a sixth."""
    return PacedBudget(config.requests_per_minute, len(tickers_by_market(config.tickers)))


class SourceStockTickerApi(FailuresOnce, LogLinesSource):
    def __init__(self) -> None:
        super().__init__()
        # The last config parsed, as (what it was parsed from, on which day, the result).
        self._parsed: tuple[dict[str, Any], date, StockTickerConfig] | None = None

    def parsed_config(self, raw: Mapping[str, Any]) -> StockTickerConfig:
        """The config, parsed once per command: the entrypoint's first look at it names the
        field to fix; check, discover, read and streams then find it parsed.

        The CDK's own keys (`_limit`...) are not the user's config and do not count; the day
        does, since defaults and bounds depend on it.
        """
        fields = {key: value for key, value in raw.items() if not key.startswith("_")}
        today = today_in_new_york()
        parsed = self._parsed
        if parsed is None or parsed[0] != fields or parsed[1] != today:
            parsed = self._parsed = (fields, today, parse_config(raw))
            unknown = unknown_fields(raw)
            if unknown:
                logging.getLogger("airbyte").warning(unknown_fields_message(unknown))
        return parsed[2]

    @staticmethod
    def read_config(config_path: str) -> MutableMapping[str, Any]:
        """The config file, or a config_error naming it when it holds no JSON object (the
        CDK's ValueError would be reported as the connector's own fault)."""
        return read_config_file(config_path)

    @classmethod
    def read_catalog(cls, catalog_path: str) -> ConfiguredAirbyteCatalog:
        """The catalog file, or a config_error naming it when it holds no configured catalog."""
        return read_catalog_file(catalog_path)

    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        """One request for one bar at start_date per market configured: proves the key, the
        plan's entitlement to each market and to the timespan, and that the plan's history
        reaches start_date. A plan lacking a market is named as such."""
        parsed = self.parsed_config(config)
        covered: list[Market] = []
        for market, tickers in tickers_by_market(parsed.tickers).items():
            response = _first_bar(parsed, market, tickers[0])
            if response.status_code != 200:
                what = describe_price_request(response.request.url)
                reason = api_reason(response)
                if response.status_code == 403 and covered:
                    names = [m.name for m in covered]
                    raise ConfigError(market_not_in_plan_message(names, market.name, reason, what))
                raise ConfigError(answer_message(response.status_code, reason, what))
            covered.append(market)
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        """Every price stream, always, each reading only the configured tickers of its market;
        then the reference streams. All share one budget and one congestion: the API counts
        the key's requests, not a stream's."""
        parsed = self.parsed_config(config)
        by_market = tickers_by_market(parsed.tickers)
        congestion = Congestion(parsed.requests_per_minute, parsed.max_concurrent_requests)
        access = Access(parsed, TokenAuthenticator(parsed.api_key), api_budget(parsed), congestion)
        prices: list[Stream] = [
            PriceStream(market, access.for_tickers(by_market.get(market, ()))) for market in MARKETS
        ]
        return [*prices, *reference_streams(access)]

    @classmethod
    def read_state(cls, state_path: str) -> list[AirbyteStateMessage]:
        """Per-stream state, or the tutorial's legacy file `{"stock_prices": {"date": ...}}`.

        Checked here, before the sync starts, the one time it is: a state file we cannot use
        is a config_error that says what to do, not a traceback or a stream failure halfway
        through. The streams then take their state as valid.
        """
        messages = upper_case_tickers(read_state_file(state_path), RESERVED_STATE_KEYS)
        manager = ConnectorStateManager(messages)
        for name in STREAM_NAMES:
            stream_state = saved_state(manager, name)
            if stream_state:
                validate_state(stream_state, name)
        for name, field in DATED_STREAMS.items():
            stream_state = saved_state(manager, name)
            if stream_state:
                validate_dates(stream_state, name, field, PER_TICKER_DATES[name])
        return messages

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's read, after refusing, before any request, a catalog stream this connector
        does not have (the CDK skips it in silence) and a state written for other bars (from
        inside the sync the CDK would report it as a stream failure followed by a generic one).
        Each is one config_error.
        """
        unknown = [s.stream.name for s in catalog.streams if s.stream.name not in ALL_STREAM_NAMES]
        if unknown:
            raise ConfigError(unknown_streams_message(unknown, list(ALL_STREAM_NAMES)))
        incremental = [
            stream.stream.name
            for stream in catalog.streams
            if stream.stream.name in STREAM_NAMES and stream.sync_mode == SyncMode.incremental
        ]
        if state and incremental:
            manager = ConnectorStateManager(state)
            parsed = self.parsed_config(config)
            for name in incremental:
                saved = saved_state(manager, name)
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

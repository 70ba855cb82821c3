"""The `stock_prices` stream: custom bars per ticker from the aggregates endpoint.

API docs: https://polygon.io/docs/rest/stocks/aggregates/custom-bars
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams import CheckpointMixin
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from requests.auth import AuthBase

from source_stock_ticker_api import clock
from source_stock_ticker_api.bars import (
    MAX_BASE_AGGREGATES,
    NEW_YORK,
    TimeFormatter,
    bar_end_ms,
    day_start,
    fixed_bar_ms,
    is_trading_day,
    to_ms,
    windows,
)
from source_stock_ticker_api.cdk_overrides import records_as_messages
from source_stock_ticker_api.config import EARLIEST_DATE, StockTickerConfig, today_in_new_york
from source_stock_ticker_api.errors import (
    PARSED_BODY,
    PolygonBackoffStrategy,
    PolygonErrorHandler,
    aggs_path,
)
from source_stock_ticker_api.state import legacy_date, state_timestamp, validate_state

CONNECT_TIMEOUT_SECONDS = 10
# Query parameters the connector sets itself; a next_url may not override them, nor add a key.
_OWN_PARAMS = frozenset({"adjusted", "sort", "limit", "apikey"})

logger = logging.getLogger("airbyte")


class StockPrices(HttpStream, CheckpointMixin):
    """Bars for every configured ticker, oldest first, with one cursor per ticker.

    State is `{"AAPL": {"timestamp": "<start of the last complete bar>"}, ...}`. A bar still
    being formed (today's daily bar during trading) is emitted but does not move the cursor, so
    the next sync reads it again in its final form.
    """

    primary_key = ["stock_ticker", "timestamp"]
    cursor_field = "timestamp"
    state_checkpoint_interval = None

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        self._config = config
        self._state: dict[str, Any] = {}
        self._formatter = TimeFormatter()
        self._now_ms = to_ms(clock.now())
        self._window_records = 0
        self._window_pages = 0
        super().__init__(authenticator=authenticator, api_budget=api_budget)

    @property
    def url_base(self) -> str:
        return f"{self._config.api_url}/"

    @property
    def state(self) -> MutableMapping[str, Any]:
        return self._state

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Accepts our per-ticker state and the tutorial's `{"date": "YYYY-MM-DD"}`."""
        if not value:
            return
        validate_state(value)
        state = dict(value)
        if "date" in state:
            # The tutorial resumed after the last date it had read, for its one ticker. A date
            # before any bar leaves nothing to skip.
            day = legacy_date(state.pop("date"))
            if day >= EARLIEST_DATE:
                legacy = {"timestamp": self._formatter.render(to_ms(day_start(day)))[0]}
                for ticker in self._config.tickers:
                    state.setdefault(ticker, legacy)
        self._state = state

    def get_error_handler(self) -> ErrorHandler:
        return PolygonErrorHandler(logger=self.logger)

    def get_backoff_strategy(self) -> BackoffStrategy:
        return PolygonBackoffStrategy(self._config.requests_per_minute)

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        """One slice per ticker and window, starting after each ticker's last complete bar."""
        config = self._config
        incremental = sync_mode == SyncMode.incremental
        after_end_ms = to_ms(day_start(config.end_date + timedelta(days=1)))
        for ticker in config.tickers:
            first_ms = to_ms(day_start(config.start_date))
            entry = self._state.get(ticker) if incremental else None
            if entry is not None:
                cursor_ms = state_timestamp(entry["timestamp"])
                if cursor_ms >= after_end_ms:
                    # Nothing after the cursor is in range; and the bar after a cursor such as
                    # 9999-12-31 would not fit in a datetime.
                    continue
                if cursor_ms >= first_ms:  # an older cursor predates every bar in range
                    first_ms = bar_end_ms(cursor_ms, config.timespan, config.multiplier)
            first_day = datetime.fromtimestamp(first_ms / 1000, NEW_YORK).date()
            for window in windows(first_day, config.end_date, config.timespan):
                start_ms = max(first_ms, to_ms(day_start(window.first)))
                exact_day = start_ms == to_ms(day_start(window.first))
                yield {
                    "ticker": ticker,
                    "from": window.first.isoformat() if exact_day else str(start_ms),
                    "to": window.last.isoformat(),
                }

    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        if next_page_token:
            return str(next_page_token["path"]).lstrip("/")
        assert stream_slice is not None
        c = self._config
        return aggs_path(
            stream_slice["ticker"],
            c.multiplier,
            c.timespan,
            stream_slice["from"],
            stream_slice["to"],
        )

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        # Sent on every page: whether a cursor keeps `adjusted=false` is undocumented.
        params: dict[str, Any] = dict(next_page_token["query"]) if next_page_token else {}
        params.update(
            adjusted="true" if self._config.adjusted else "false",
            sort="asc",
            limit=MAX_BASE_AGGREGATES,
        )
        return params

    def request_kwargs(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Mapping[str, Any]:
        return {"timeout": (CONNECT_TIMEOUT_SECONDS, self._config.request_timeout_seconds)}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """The path and cursor of `next_url`, re-based on our own api_url.

        Taking only the path keeps the key's header on our configured host, whatever host the
        API names; parameters of our own are set again by request_params.
        """
        next_url = self._body(response).get("next_url")
        if not next_url:
            return None
        parts = urlsplit(str(next_url))
        query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in _OWN_PARAMS]
        return {"path": parts.path, "query": query}

    def parse_response(
        self,
        response: requests.Response,
        *,
        stream_state: Mapping[str, Any],
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any]]:
        """The page's bars as records (read_records wraps them into messages).

        A field the API leaves out (`vwap`, `transactions`) is left out of the record, not set
        to None: the CDK's serializer would drop it, and cdk_overrides.record_json relies on
        data holding no None.
        """
        assert stream_slice is not None
        ticker = stream_slice["ticker"]
        results = self._body(response).get("results") or ()
        self._window_pages += 1
        self._window_records += len(results)
        render = self._formatter.render
        for bar in results:
            timestamp, day = render(bar["t"])
            close, vwap, transactions = bar["c"], bar.get("vw"), bar.get("n")
            data = {
                "stock_ticker": ticker,
                "date": day,
                "timestamp": timestamp,
                "price": close,
                "open": bar["o"],
                "high": bar["h"],
                "low": bar["l"],
                "close": close,
                "volume": bar["v"],
                "vwap": vwap,
                "transactions": transactions,
                "otc": bar.get("otc", False),
            }
            if vwap is None or transactions is None:
                data = {key: value for key, value in data.items() if value is not None}
            yield data
        self._advance_cursor(ticker, results)

    def _advance_cursor(self, ticker: str, results: Sequence[Mapping[str, Any]]) -> None:
        """Moves the ticker's cursor to the page's last complete bar, never back.

        Bars come oldest first, so only the newest few (still forming) need a look.
        """
        config, now_ms = self._config, self._now_ms
        cursor = self._state.get(ticker)
        cursor_ms = state_timestamp(cursor["timestamp"]) if cursor else -1
        step_ms = fixed_bar_ms(config.timespan, config.multiplier)
        for bar in reversed(results):
            t = bar["t"]
            if t <= cursor_ms:
                return
            end_ms = t + step_ms if step_ms else bar_end_ms(t, config.timespan, config.multiplier)
            if end_ms <= now_ms:
                self._state[ticker] = {"timestamp": self._formatter.render(t)[0]}
                return

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """Reads one window as RECORD messages, then logs one line a person can follow in the
        Airbyte UI."""
        self._window_records = self._window_pages = 0
        records = super().read_records(sync_mode, cursor_field, stream_slice, stream_state)
        yield from records_as_messages(self.name, records)
        assert stream_slice is not None
        pages = "request" if self._window_pages == 1 else "requests"
        self.logger.info(
            f"{stream_slice['ticker']}: {self._window_records} bars from "
            f"{stream_slice['from']} to {stream_slice['to']} in {self._window_pages} {pages}."
        )
        if self._window_records == 0 and _has_past_trading_day(stream_slice):
            self.logger.warning(
                f"{stream_slice['ticker']}: the API returned no bars from {stream_slice['from']} "
                f"to {stream_slice['to']}. If that range holds trading days, check the symbol."
            )

    @staticmethod
    def _body(response: requests.Response) -> Mapping[str, Any]:
        body = getattr(response, PARSED_BODY, None)
        if body is None:
            body = orjson.loads(response.content)
            setattr(response, PARSED_BODY, body)
        return body if isinstance(body, Mapping) else {}


def _has_past_trading_day(stream_slice: Mapping[str, Any]) -> bool:
    """Whether a window holds a finished trading day, so an empty answer is suspicious."""
    start = str(stream_slice["from"])
    if start.isdigit():
        moment = datetime.fromtimestamp(int(start) / 1000, NEW_YORK)
        # Resuming inside a day after its session opened: the rest may rightly be empty.
        late = (moment.hour, moment.minute) > (4, 0)
        day = moment.date() + timedelta(days=1) if late else moment.date()
    else:
        day = date.fromisoformat(start)
    last = min(date.fromisoformat(str(stream_slice["to"])), today_in_new_york() - timedelta(days=1))
    while day <= last:
        if is_trading_day(day):
            return True
        day += timedelta(days=1)
    return False

"""The price streams: custom bars per ticker from the aggregates endpoint, one stream per market.

`stock_prices` came first; the other markets' streams are thin subclasses that change only what
their market changes (markets.py): the zone of a bar's date, the calendar, the record's fields.

API docs: https://polygon.io/docs/rest/stocks/aggregates/custom-bars (and the same page under
/crypto/, /forex/, /indices/ and /options/)
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, MutableMapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import requests
from airbyte_cdk.models import (
    ConfiguredAirbyteStream,
    FailureType,
    SyncMode,
)
from airbyte_cdk.sources.streams import CheckpointMixin
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http import HttpStream
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, ErrorHandler
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig
from airbyte_cdk.sources.utils.slice_logger import SliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.auth import AuthBase

from source_stock_ticker_api import clock
from source_stock_ticker_api.api import (
    ParsedBodies,
    aggs_params,
    aggs_path,
    next_page,
    readable_point,
)
from source_stock_ticker_api.bars import (
    TimeFormatter,
    bar_end_ms,
    day_start,
    page_limit,
    to_ms,
    windows,
)
from source_stock_ticker_api.cdk_overrides import records_as_messages
from source_stock_ticker_api.config import EARLIEST_DATE, StockTickerConfig
from source_stock_ticker_api.errors import PolygonBackoffStrategy, PolygonErrorHandler
from source_stock_ticker_api.markets import CRYPTO, FOREX, INDICES, OPTIONS, STOCKS, Market
from source_stock_ticker_api.messages import counted, refused_tickers_message
from source_stock_ticker_api.state import (
    SETTINGS_KEY,
    bar_settings,
    check_bar_settings,
    legacy_date,
    state_timestamp,
    validate_state,
)

CONNECT_TIMEOUT_SECONDS = 10

logger = logging.getLogger("airbyte")


@dataclass
class _TickerRead:
    """What one ticker's windows of this sync returned, for one warning at most."""

    ticker: str
    first: str  # the first window's start: a date or Unix ms
    last: str = ""  # the last window's end
    bars: int = 0
    past_trading_day: bool = False  # some window held a finished trading day


class StockPrices(HttpStream, CheckpointMixin):
    """Bars for every configured ticker, oldest first, with one cursor per ticker.

    State is `{"bar_settings": {...}, "AAPL": {"timestamp": "<start of the last complete bar>"},
    ...}` (see state.py). A bar still being formed (today's daily bar during trading) is emitted
    but does not move the cursor, so the next sync reads it again in its final form.
    """

    market: Market = STOCKS
    ticker_field = "stock_ticker"  # the tutorial's name; the other markets' streams say `ticker`
    cursor_field = "timestamp"
    state_checkpoint_interval = None

    @property
    def name(self) -> str:
        return self.market.stream_name

    @property
    def primary_key(self) -> list[str]:
        return [self.ticker_field, "timestamp"]

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        self._config = config
        self._state: dict[str, Any] = {}
        self._saved_settings: Mapping[str, Any] | None = None
        self._zone = self.market.zone
        self._formatter = TimeFormatter(self._zone)
        self._now_ms = to_ms(clock.now())
        self._page_limit = page_limit(config.timespan, config.multiplier)
        self._window_records = 0
        self._window_pages = 0
        self._bodies = ParsedBodies()
        self._refusal: str | None = None  # the API's refusal of the window being read
        self._refused: dict[str, str] = {}  # ticker -> the words of its refusal, this sync
        self._ticker_read: _TickerRead | None = None
        super().__init__(authenticator=authenticator, api_budget=api_budget)

    @property
    def url_base(self) -> str:
        return f"{self._config.api_url}/"

    @property
    def state(self) -> MutableMapping[str, Any]:
        """The cursors, always with the bar settings they were read with."""
        return {SETTINGS_KEY: bar_settings(self._config), **self._state}

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        """Accepts our per-ticker state and the tutorial's `{"date": "YYYY-MM-DD"}`.

        The saved bar settings are checked by stream_slices, which knows whether the sync
        resumes from them (incremental) or reads everything again (full refresh).
        """
        if not value:
            return
        validate_state(value)
        state = dict(value)
        self._saved_settings = state.pop(SETTINGS_KEY, None)
        if "date" in state:
            # The tutorial resumed after the last date it had read, for its one ticker. A date
            # before any bar leaves nothing to skip.
            day = legacy_date(state.pop("date"))
            if day >= EARLIEST_DATE:
                legacy = {"timestamp": self._formatter.render(to_ms(day_start(day, self._zone)))[0]}
                for ticker in self._config.tickers:
                    state.setdefault(ticker, legacy)
        self._state = state

    def get_error_handler(self) -> ErrorHandler:
        return PolygonErrorHandler(
            self.logger, self._config.api_url, self._bodies, self._note_refusal
        )

    def _note_refusal(self, message: str) -> None:
        """The error handler's word that the API refused the window being read."""
        self._refusal = message

    def get_backoff_strategy(self) -> BackoffStrategy:
        return PolygonBackoffStrategy(self._config.requests_per_minute)

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        """One slice per ticker and window, starting after each ticker's last complete bar.

        A full refresh reads everything again, so its state starts empty: it never hands on a
        cursor it did not read, nor one read with other bar settings.
        """
        config, zone = self._config, self._zone
        incremental = sync_mode == SyncMode.incremental
        if incremental:
            check_bar_settings(self._saved_settings, config, self.name)
        else:
            self._state = {}
        after_end_ms = to_ms(day_start(config.end_date + timedelta(days=1), zone))
        for ticker in config.tickers:
            first_ms = to_ms(day_start(config.start_date, zone))
            entry = self._state.get(ticker)
            if entry is not None:
                cursor_ms = state_timestamp(entry["timestamp"], self.name)
                if cursor_ms >= after_end_ms:
                    # Nothing after the cursor is in range; and the bar after a cursor such as
                    # 9999-12-31 would not fit in a datetime.
                    self.logger.warning(
                        f"{ticker}: the saved position {entry['timestamp']} is after end_date "
                        f"{config.end_date}; nothing to read. If that position is wrong, reset "
                        f"(refresh) the {self.name} stream."
                    )
                    continue
                if cursor_ms >= first_ms:  # an older cursor predates every bar in range
                    first_ms = bar_end_ms(cursor_ms, config.timespan, config.multiplier, zone)
            first_day = datetime.fromtimestamp(first_ms / 1000, zone).date()
            for window in windows(first_day, config.end_date, config.timespan):
                start_ms = max(first_ms, to_ms(day_start(window.first, zone)))
                exact_day = start_ms == to_ms(day_start(window.first, zone))
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
        # `limit` bounds the bars of a page, hence memory, for second bars too (bars.page_limit).
        params: dict[str, Any] = dict(next_page_token["query"]) if next_page_token else {}
        # Index bars are never adjusted, and their endpoint does not take the parameter.
        adjusted = self._config.adjusted if self.market.takes_adjusted else None
        params.update(aggs_params(adjusted, self._page_limit))
        return params

    def request_kwargs(self, *args: Any, **kwargs: Any) -> Mapping[str, Any]:
        """The same timeouts for every request, whatever the slice or page."""
        return {"timeout": (CONNECT_TIMEOUT_SECONDS, self._config.request_timeout_seconds)}

    def next_page_token(self, response: requests.Response) -> Mapping[str, Any] | None:
        """The path and cursor of `next_url`, re-based on our own api_url."""
        if not response.ok:  # a refusal the error handler let through: nothing follows
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
        """The page's bars as records (read_records wraps them into messages).

        A field the API leaves out (`vwap`, `transactions`) is left out of the record, not set
        to None: the CDK's serializer would drop it, and cdk_overrides.record_json relies on
        data holding no None.
        """
        assert stream_slice is not None
        if not response.ok:  # a refusal the error handler let through: no bars (see read_records)
            return
        ticker = stream_slice["ticker"]
        results = self._bodies.of(response).get("results") or ()
        self._window_pages += 1
        self._window_records += len(results)
        yield from self._records(ticker, results)
        self._advance_cursor(ticker, results)

    def _records(
        self, ticker: str, results: Sequence[Mapping[str, Any]]
    ) -> Iterable[Mapping[str, Any]]:
        """Stock records: the tutorial's `stock_ticker` and `price`, and `otc`."""
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

    def _advance_cursor(self, ticker: str, results: Sequence[Mapping[str, Any]]) -> None:
        """Moves the ticker's cursor to the page's last complete bar, never back.

        Bars come oldest first, so only the newest few (still forming) need a look.
        """
        config, now_ms = self._config, self._now_ms
        cursor = self._state.get(ticker)
        cursor_ms = state_timestamp(cursor["timestamp"]) if cursor else -1
        for bar in reversed(results):
            t = bar["t"]
            if t <= cursor_ms:
                return
            if bar_end_ms(t, config.timespan, config.multiplier, self._zone) <= now_ms:
                self._state[ticker] = {"timestamp": self._formatter.render(t)[0]}
                return

    def read(
        self,
        configured_stream: ConfiguredAirbyteStream,
        logger: logging.Logger,
        slice_logger: SliceLogger,
        stream_state: MutableMapping[str, Any],
        state_manager: Any,  # ConnectorStateManager, left untyped by the CDK
        internal_config: InternalConfig,
    ) -> Iterable[StreamData]:
        """Every window the API serves, then one config_error for the tickers it refused.

        Raised after the last STATE message, so every readable ticker is read and saved first;
        the CDK then marks the stream INCOMPLETE, and the sync exits non-zero.
        """
        yield from super().read(
            configured_stream, logger, slice_logger, stream_state, state_manager, internal_config
        )
        self._end_ticker()
        if self._refused:
            raise AirbyteTracedException(
                message=refused_tickers_message(self._refused, len(self._config.tickers)),
                internal_message=f"Refused by the API: {', '.join(self._refused)}.",
                failure_type=FailureType.config_error,
            )

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """Reads one window as RECORD messages, then logs one line a person can follow in the
        Airbyte UI.

        A ticker the API refused is not asked again in this sync: its plan will not change.
        """
        assert stream_slice is not None
        ticker = stream_slice["ticker"]
        if ticker in self._refused:
            return
        seen = self._ticker_read
        if seen is None or seen.ticker != ticker:
            self._end_ticker()
            seen = self._ticker_read = _TickerRead(ticker, first=str(stream_slice["from"]))
        self._window_records = self._window_pages = 0
        self._refusal = None
        records = super().read_records(sync_mode, cursor_field, stream_slice, stream_state)
        yield from records_as_messages(self.name, records)
        start, end = readable_point(str(stream_slice["from"])), stream_slice["to"]
        if self._refusal is not None:
            self._refused[ticker] = self._refusal
            self.logger.warning(
                f"{ticker}: refused from {start} to {end} (reason above). Its later windows are "
                f"skipped; the other tickers are read, then the sync fails naming {ticker}."
            )
            return
        self.logger.info(
            f"{ticker}: {counted(self._window_records, 'bar')} from {start} to {end} "
            f"in {counted(self._window_pages, 'request')}."
        )
        seen.last = end
        seen.bars += self._window_records
        if not (seen.bars or seen.past_trading_day):
            seen.past_trading_day = self._has_past_trading_day(stream_slice)

    def _end_ticker(self) -> None:
        """Once a ticker's windows are read: one warning if a range with trading days held no
        bar at all. An empty window before a listing, or after a delisting, says nothing."""
        seen, self._ticker_read = self._ticker_read, None
        if seen and not seen.bars and seen.past_trading_day and seen.ticker not in self._refused:
            self.logger.warning(
                f"{seen.ticker}: the API returned no bars from {readable_point(seen.first)} to "
                f"{seen.last}, a range with trading days. Check the symbol."
            )

    def _has_past_trading_day(self, stream_slice: Mapping[str, Any]) -> bool:
        """Whether a window holds a finished trading day of the ticker's market, so an empty
        answer is suspicious."""
        market = self.market
        start = str(stream_slice["from"])
        if start.isdigit():
            moment = datetime.fromtimestamp(int(start) / 1000, market.zone)
            # Resuming inside a day after its session opened: the rest may rightly be empty.
            session = market.session(moment.date())
            late = session is not None and moment.hour * 60 + moment.minute > session[0]
            day = moment.date() + timedelta(days=1) if late else moment.date()
        else:
            day = date.fromisoformat(start)
        today = clock.now().astimezone(market.zone).date()
        last = min(date.fromisoformat(str(stream_slice["to"])), today - timedelta(days=1))
        while day <= last:
            if market.is_trading_day(day):
                return True
            day += timedelta(days=1)
        return False


class _MarketPrices(StockPrices):
    """Bars of a market other than US stocks: `ticker` instead of `stock_ticker`, no `price`
    (the tutorial's) and no `otc`; `volume`, `vwap` and `transactions` when the bar has them
    (index bars never do)."""

    ticker_field = "ticker"

    def _records(
        self, ticker: str, results: Sequence[Mapping[str, Any]]
    ) -> Iterable[Mapping[str, Any]]:
        render = self._formatter.render
        for bar in results:
            timestamp, day = render(bar["t"])
            data = {
                "ticker": ticker,
                "date": day,
                "timestamp": timestamp,
                "open": bar["o"],
                "high": bar["h"],
                "low": bar["l"],
                "close": bar["c"],
            }
            for short, field in _VOLUME_FIELDS:
                value = bar.get(short)
                if value is not None:
                    data[field] = value
            yield data


_VOLUME_FIELDS = (("v", "volume"), ("vw", "vwap"), ("n", "transactions"))


class CryptoPrices(_MarketPrices):
    """`X:` tickers: every day of the year, dates in UTC."""

    market = CRYPTO


class ForexPrices(_MarketPrices):
    """`C:` tickers: Sunday evening to Friday evening, dates in UTC; `volume` counts ticks."""

    market = FOREX


class IndexPrices(_MarketPrices):
    """`I:` tickers: the NYSE regular session, dates in New York; values only, no volume."""

    market = INDICES


class OptionPrices(_MarketPrices):
    """`O:` tickers (OCC symbols): the NYSE regular session, dates in New York; sparse bars."""

    market = OPTIONS


PRICE_STREAMS: tuple[type[StockPrices], ...] = (
    StockPrices,
    CryptoPrices,
    ForexPrices,
    IndexPrices,
    OptionPrices,
)

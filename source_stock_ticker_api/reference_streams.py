"""Reference data and corporate actions: tickers, ticker_details, dividends, splits,
market_holidays.

They share the price stream's pace (one budget), retries and messages (PolygonErrorHandler). A
refusal (400, 403) of one request does not stop the others: they are read, then the stream fails
once with a config_error naming every refusal. Records keep the API's field names and values.

API docs: https://massive.com/docs (Stocks: All Tickers, Ticker Overview, Dividends, Splits,
Market Holidays).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from datetime import date, timedelta
from typing import Any
from urllib.parse import quote

import orjson
import requests
from airbyte_cdk.models import ConfiguredAirbyteStream, FailureType, SyncMode
from airbyte_cdk.sources.streams import CheckpointMixin
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http.error_handlers import ErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig
from airbyte_cdk.sources.utils.slice_logger import SliceLogger
from airbyte_cdk.utils.traced_exception import AirbyteTracedException
from requests.auth import AuthBase

from source_stock_ticker_api.api import ParsedBodies
from source_stock_ticker_api.config import StockTickerConfig, today_in_new_york
from source_stock_ticker_api.errors import PolygonErrorHandler
from source_stock_ticker_api.markets import OPTIONS, STOCKS, market_of, tickers_by_market
from source_stock_ticker_api.messages import as_sentence, counted
from source_stock_ticker_api.polygon_stream import PolygonStream
from source_stock_ticker_api.reference_api import (
    DIVIDENDS_PATH,
    HOLIDAYS_PATH,
    SPLITS_PATH,
    TICKERS_PATH,
)

# The API's largest pages: fewer requests, which is what a 5-a-minute plan counts.
TICKERS_PAGE_SIZE = 1000
ACTIONS_PAGE_SIZE = 5000
# Tickers per dividends/splits request: ~600 characters of `ticker.any_of` for typical
# symbols, and at most ~4,000 for the longest, well inside any server's URL limit.
TICKERS_PER_REQUEST = 100
# How far back an incremental dividends/splits sync reads again: corrections of recent events
# (a changed pay date, a revised amount, the adjustment factor of an event whose ex-date just
# passed) are caught when they come within this window.
LOOKBACK_DAYS = 30
# The free plan's history: when the API refuses an older start, what it does cover is read.
FREE_PLAN_HISTORY_DAYS = 730


class ReferenceStream(PolygonStream):
    """What the five streams share: timeouts, pace, retries, `next_url`, and refusals.

    Subclasses say which requests to send (`stream_slices`, `first_path`, `first_params`).
    """

    primary_key: str | list[str] | None = None

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        self._refusal: tuple[int, str] | None = None  # (status, words) for the slice being read
        self._refusals: list[str] = []  # every refusal of this sync, in order
        super().__init__(config, authenticator, api_budget)

    @property
    def is_resumable(self) -> bool:
        """Only the incremental streams checkpoint. HttpStream's `state` setter would otherwise
        make the CDK read a full-refresh stream as resumable, page after page, never ending."""
        return self.supports_incremental

    def get_error_handler(self) -> ErrorHandler:
        """PolygonStream's, also telling the status of a refusal (ReferenceErrorHandler)."""
        return ReferenceErrorHandler(
            self.logger, self._config.api_url, self._bodies, self._note_status_refusal
        )

    def _note_status_refusal(self, status: int, message: str) -> None:
        """The error handler's word that the API refused the slice being read."""
        self._refusal = (status, message)

    def first_path(self, stream_slice: Mapping[str, Any]) -> str:
        raise NotImplementedError

    def first_params(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {}

    def path(
        self,
        *,
        stream_state: Mapping[str, Any] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> str:
        if next_page_token:
            return str(next_page_token["path"]).lstrip("/")
        return self.first_path(stream_slice or {})

    def request_params(
        self,
        stream_state: Mapping[str, Any] | None,
        stream_slice: Mapping[str, Any] | None = None,
        next_page_token: Mapping[str, Any] | None = None,
    ) -> MutableMapping[str, Any]:
        """The first page's filters; a later page sends its `next_url`'s cursor alone, which
        holds the whole query."""
        if next_page_token:
            return dict(next_page_token["query"])
        return self.first_params(stream_slice or {})

    def page_records(
        self, response: requests.Response, stream_slice: Mapping[str, Any]
    ) -> Iterable[Mapping[str, Any]]:
        """The page's `results`, a list or (ticker details) one object."""
        results = self._bodies.of(response).get("results")
        if isinstance(results, list):
            yield from results
        elif isinstance(results, Mapping):
            yield results

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """One slice's records; a refusal is kept for the end of the stream."""
        self._refusal = None
        yield from super().read_records(sync_mode, cursor_field, stream_slice, stream_state)
        if self._refusal is not None:
            self._refusals.append(self._refusal[1])

    def read(
        self,
        configured_stream: ConfiguredAirbyteStream,
        logger: logging.Logger,
        slice_logger: SliceLogger,
        stream_state: MutableMapping[str, Any],
        state_manager: Any,  # ConnectorStateManager, left untyped by the CDK
        internal_config: InternalConfig,
    ) -> Iterable[StreamData]:
        """Every request the API serves, then one config_error naming what it refused."""
        yield from super().read(
            configured_stream, logger, slice_logger, stream_state, state_manager, internal_config
        )
        if self._refusals:
            message = " ".join(self._refusals)
            raise AirbyteTracedException(
                message=message, internal_message=message, failure_type=FailureType.config_error
            )


class ReferenceErrorHandler(PolygonErrorHandler):
    """PolygonErrorHandler, telling the stream the status of a refusal too (a 403 for dates
    before the plan's history is read again from its edge), and letting ticker details' 404 (a
    ticker the API does not know) through as a page without records, for a warning."""

    def __init__(
        self,
        logger: logging.Logger,
        api_url: str,
        bodies: ParsedBodies,
        on_refused: Callable[[int, str], None],
    ) -> None:
        self._status = 0
        super().__init__(logger, api_url, bodies, lambda words: on_refused(self._status, words))

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        response = response_or_exception
        if isinstance(response, requests.Response):
            self._status = response.status_code
            url = response.request.url if response.request is not None else None
            if response.status_code == 404 and f"/{TICKERS_PATH}/" in (url or ""):
                return ErrorResolution(response_action=ResponseAction.IGNORE)
        return super().interpret_response(response_or_exception)


def _stock_tickers(config: StockTickerConfig) -> tuple[str, ...]:
    return tickers_by_market(config.tickers).get(STOCKS, ())


class Tickers(ReferenceStream):
    """Every active ticker of each market present in the config (options have no listing).

    One listing per market value (a stock config lists `stocks` and `otc`), 1000 a page.
    """

    primary_key = ["market", "ticker"]

    def stream_slices(self, **kwargs: Any) -> Iterable[Mapping[str, Any] | None]:
        for market in tickers_by_market(self._config.tickers):
            for listed in market.reference_markets:
                yield {"market": listed}

    def first_path(self, stream_slice: Mapping[str, Any]) -> str:
        return TICKERS_PATH

    def first_params(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "market": stream_slice["market"],
            "active": "true",
            "sort": "ticker",
            "order": "asc",
            "limit": TICKERS_PAGE_SIZE,
        }


class TickerDetails(ReferenceStream):
    """One record per configured ticker; a ticker the API does not know is a warning."""

    primary_key = ["market", "ticker"]

    def stream_slices(self, **kwargs: Any) -> Iterable[Mapping[str, Any] | None]:
        for ticker in self._config.tickers:
            if market_of(ticker) is OPTIONS:
                self.logger.info(f"{ticker}: option contracts have no ticker details; skipped.")
                continue
            yield {"ticker": ticker}

    def first_path(self, stream_slice: Mapping[str, Any]) -> str:
        return f"{TICKERS_PATH}/{quote(stream_slice['ticker'], safe='.:-')}"

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        found = 0
        for record in super().read_records(sync_mode, cursor_field, stream_slice, stream_state):
            found += 1
            yield record
        if not found and self._refusal is None:
            ticker = (stream_slice or {}).get("ticker")
            self.logger.warning(
                f"{ticker}: the API has no ticker details for this symbol (404 Not Found); "
                "the other tickers are read. Check the symbol."
            )


class MarketHolidays(ReferenceStream):
    """Upcoming holidays and early closes of each exchange: one request, a bare JSON array."""

    primary_key = ["exchange", "date"]

    def first_path(self, stream_slice: Mapping[str, Any]) -> str:
        return HOLIDAYS_PATH

    def page_records(
        self, response: requests.Response, stream_slice: Mapping[str, Any]
    ) -> Iterable[Mapping[str, Any]]:
        body = orjson.loads(response.content)
        if isinstance(body, list):
            yield from body


class CorporateActions(ReferenceStream, CheckpointMixin):
    """Dividends or splits of the configured stock tickers, incremental with a look-back.

    State holds, per ticker, the New York date up to which its events were read:
    `{"AAPL": {"ex_dividend_date": "2026-11-23"}}`. The next sync asks again from
    LOOKBACK_DAYS before it, so events revised or declared late inside the window are read
    again (duplicates, with the same `id`, inside it; and once more for a ticker with a new event,
    whose earlier factors changed: see `_refresh_factors`). A ticker without a cursor (added to
    the config later) gets its whole history from start_date. Tickers sharing a start date share
    requests, TICKERS_PER_REQUEST at a time, through `ticker.any_of`.
    """

    primary_key = "id"
    state_checkpoint_interval = None
    date_field = ""  # the API's date the cursor follows
    endpoint = ""
    noun = ""

    def __init__(
        self,
        config: StockTickerConfig,
        authenticator: AuthBase,
        api_budget: APIBudget | None = None,
    ) -> None:
        self._state: dict[str, Any] = {}
        super().__init__(config, authenticator, api_budget)

    @property
    def cursor_field(self) -> str:
        return self.date_field

    @property
    def state(self) -> MutableMapping[str, Any]:
        return dict(self._state)

    @state.setter
    def state(self, value: MutableMapping[str, Any]) -> None:
        self._state = {
            ticker: {self.date_field: entry[self.date_field]}
            for ticker, entry in (value or {}).items()
            if isinstance(entry, Mapping) and _is_date(entry.get(self.date_field))
        }

    def stream_slices(
        self,
        *,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[Mapping[str, Any] | None]:
        if sync_mode != SyncMode.incremental:
            self._state = {}
        by_start: dict[str, list[str]] = {}
        for ticker in _stock_tickers(self._config):
            start = self._config.start_date
            entry = self._state.get(ticker)
            if entry is not None:
                resume = date.fromisoformat(entry[self.date_field]) - timedelta(days=LOOKBACK_DAYS)
                start = max(start, resume)
            by_start.setdefault(start.isoformat(), []).append(ticker)
        for first, tickers in sorted(by_start.items()):
            for at in range(0, len(tickers), TICKERS_PER_REQUEST):
                yield {"tickers": tickers[at : at + TICKERS_PER_REQUEST], "from": first}

    def first_path(self, stream_slice: Mapping[str, Any]) -> str:
        return self.endpoint

    def first_params(self, stream_slice: Mapping[str, Any]) -> dict[str, Any]:
        params = {
            "ticker.any_of": ",".join(stream_slice["tickers"]),
            f"{self.date_field}.gte": stream_slice["from"],
            "sort": f"ticker.asc,{self.date_field}.asc",
            "limit": ACTIONS_PAGE_SIZE,
        }
        if "before" in stream_slice:
            params[f"{self.date_field}.lt"] = stream_slice["before"]
        return params

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        """The slice's events, then each of its tickers' cursor moved to today.

        Events declared ahead (ex-dates after today) are read too; the look-back brings them
        again until their date has passed. When the plan's history does not reach `from`, what
        it does cover is read, the cursors stay put, and the stream ends with a config_error.
        """
        assert stream_slice is not None
        count = 0
        newest: dict[str, str] = {}  # ticker -> its latest event date in this slice
        for record in ReferenceStream.read_records(
            self, sync_mode, cursor_field, stream_slice, stream_state
        ):
            count += 1
            if isinstance(record, Mapping):
                ticker, day = record.get("ticker"), record.get(self.date_field)
                if isinstance(ticker, str) and isinstance(day, str):
                    newest[ticker] = max(newest.get(ticker, ""), day)
            yield record
        refusal = self._refusal
        start = date.fromisoformat(stream_slice["from"])
        edge = today_in_new_york() - timedelta(days=FREE_PLAN_HISTORY_DAYS - 1)
        if refusal is not None and refusal[0] == 403 and start < edge:
            self._refusals.pop()
            self.logger.warning(
                f"{refusal[1]} Reading the {self.noun} the plan covers, from {edge} on."
            )
            covered = {**stream_slice, "from": edge.isoformat()}
            for record in ReferenceStream.read_records(
                self, sync_mode, cursor_field, covered, stream_state
            ):
                count += 1
                yield record
            if self._refusal is None:
                self._refusals.append(
                    f"{as_sentence(refusal[1])} The {self.noun} from {edge} on were read; set "
                    f"start_date to {edge} or later, or upgrade the plan, for the sync to succeed."
                )
            return
        if refusal is not None:
            return
        self.logger.info(
            f"{counted(count, self.noun[:-1])} of {counted(len(stream_slice['tickers']), 'ticker')}"
            f" from {stream_slice['from']}."
        )
        yield from self._refresh_factors(sync_mode, cursor_field, stream_slice, newest)
        if self._refusal is not None:
            return
        today = today_in_new_york().isoformat()
        for ticker in stream_slice["tickers"]:
            saved = self._state.get(ticker, {}).get(self.date_field, "")
            self._state[ticker] = {self.date_field: max(saved, today)}

    def _refresh_factors(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None,
        stream_slice: Mapping[str, Any],
        newest: Mapping[str, str],
    ) -> Iterable[StreamData]:
        """Reads again, once, the earlier events of each ticker that has a new one.

        `historical_adjustment_factor` is cumulative: an event's factor covers every later
        event, so a new one changes the factor of all before it, also those older than the
        look-back. One more request for the tickers concerned, only in a sync that sees a new
        event (one dated after the ticker's cursor).
        """
        start = self._config.start_date.isoformat()
        if stream_slice["from"] <= start:
            return  # the slice already read the whole history
        stale = [
            ticker
            for ticker in stream_slice["tickers"]
            if ticker in self._state
            and newest.get(ticker, "") > self._state[ticker][self.date_field]
        ]
        if not stale:
            return
        self.logger.info(
            f"New {self.noun} of {', '.join(stale)}: their {self.noun} before "
            f"{stream_slice['from']} are read again, for their historical_adjustment_factor."
        )
        earlier = {"tickers": stale, "from": start, "before": stream_slice["from"]}
        yield from ReferenceStream.read_records(self, sync_mode, cursor_field, earlier, None)


class Dividends(CorporateActions):
    """Cash dividends of the configured stock tickers, with `historical_adjustment_factor`."""

    date_field = "ex_dividend_date"
    endpoint = DIVIDENDS_PATH
    noun = "dividends"


class Splits(CorporateActions):
    """Splits of the configured stock tickers, with `historical_adjustment_factor`."""

    date_field = "execution_date"
    endpoint = SPLITS_PATH
    noun = "splits"


def _is_date(value: Any) -> bool:
    try:
        date.fromisoformat(str(value))
    except ValueError:
        return False
    return True

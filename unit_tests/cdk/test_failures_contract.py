"""The installed Airbyte CDK still reports a failed read as cdk/failures.py expects, and the
overrides there turn it into one TRACE error per failure.

Each test names the CDK behaviour relied on, so an upgrade that changes one says what to review.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import (
    AirbyteMessage,
    FailureType,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.call_rate import APIBudget
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.cdk.failures import (
    HTTP_CLIENT_FAILURE,
    STOPPING,
    STREAM_FAILED,
    SUMMARY_PREFIX,
    FailuresOnce,
    StopsTheSync,
    SyncFailed,
    stopped_after,
)
from source_stock_ticker_api.cdk.http import CheckedAdapter, mount_adapters
from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.polygon.stream import Access
from source_stock_ticker_api.prices.slices import BarQuery, TickerPage
from source_stock_ticker_api.prices.stream import PriceStream
from unit_tests.cdk.two_streams import Lines, catalog
from unit_tests.config_builder import ConfigBuilder
from unit_tests.integration.api_failures import UNKNOWN_KEY, failure
from unit_tests.integration.request_builder import AAPL_URL

BOOM = "the stream's own words"


class Failing(Stream):
    """A stream that raises `error` before any record, or reads one record without it."""

    primary_key = None

    def __init__(self, name: str, error: Exception | None) -> None:
        self._name = name
        self._error = error

    @property
    def name(self) -> str:
        return self._name

    def get_json_schema(self) -> Mapping[str, Any]:  # type: ignore[override]  # lru_cache there
        return {"type": "object"}

    def read_records(self, *args: Any, **kwargs: Any) -> Iterable[StreamData]:
        if self._error is not None:
            raise self._error
        yield {"id": 1}


class Plain(AbstractSource):
    """The CDK's source: two streams, the first failing with `error`."""

    consulted: list[BaseException | None]

    def __init__(self, error: Exception) -> None:
        self._error = error
        self.consulted = []

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Any:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [Failing("first", self._error), Failing("second", None)]

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        self.consulted.append(sys.exc_info()[1])
        return False


class Stopping(Plain):
    @property
    def stop_sync_on_stream_failure(self) -> bool:
        return True


class Ours(FailuresOnce, Plain):
    """FailuresOnce over the same source (its stop_sync_on_stream_failure comes first)."""


def read(source: AbstractSource) -> tuple[list[AirbyteMessage], list[logging.LogRecord], Any]:
    logger = logging.getLogger("airbyte.contract")
    lines = Lines()
    logger.addHandler(lines)
    messages: list[AirbyteMessage] = []
    raised: Any = None
    try:
        for message in source.read(logger, {}, catalog(), None):
            messages.append(message)
    except Exception as error:  # noqa: BLE001 - what the read ends with is what is tested
        raised = error
    finally:
        logger.removeHandler(lines)
    return messages, lines.records, raised


def error_traces(messages: list[AirbyteMessage]) -> list[tuple[str | None, str | None]]:
    found = []
    for m in messages:
        if m.type is Type.TRACE and m.trace is not None and m.trace.error is not None:
            descriptor = m.trace.error.stream_descriptor
            found.append((descriptor.name if descriptor else None, m.trace.error.message))
    return found


def test_the_cdk_says_a_stream_failure_with_a_traceback_a_trace_and_a_summary() -> None:
    """FailuresOnce relies on each of these: the line through the logger it is given, with the
    traceback; the stream's TRACE error; stop_sync_on_stream_failure asked while the stream's
    exception is handled; the summary raised after the last stream, starting SUMMARY_PREFIX."""
    error = AirbyteTracedException(message=BOOM, failure_type=FailureType.config_error)
    source = Plain(error)

    messages, records, raised = read(source)

    (line,) = [r for r in records if r.levelno == logging.ERROR]
    assert STREAM_FAILED.fullmatch(line.getMessage()) and line.exc_info is not None
    assert error_traces(messages) == [("first", BOOM)]
    assert source.consulted == [error]
    with_stop = [r.getMessage() for r in read(Stopping(error))[1]]
    assert [line for line in with_stop if STOPPING.fullmatch(line)]
    assert isinstance(raised, AirbyteTracedException)
    assert str(raised.message).startswith(SUMMARY_PREFIX + "first: ")
    assert any(r.getMessage().startswith(SUMMARY_PREFIX) for r in records)


def test_failures_once_says_a_stream_failure_in_its_trace_only() -> None:
    error = AirbyteTracedException(message=BOOM, failure_type=FailureType.config_error)

    messages, records, raised = read(Ours(error))

    assert error_traces(messages) == [("first", BOOM)]
    errors = [r for r in records if r.levelno == logging.ERROR]
    assert [(r.getMessage(), r.exc_info) for r in errors] == [
        ("Encountered an exception while reading stream first", None)
    ]
    assert isinstance(raised, SyncFailed)
    assert raised.message == SUMMARY_PREFIX + "first."
    assert [r.getMessage() for r in records if r.getMessage().startswith(SUMMARY_PREFIX)] == [
        SUMMARY_PREFIX + "first."
    ]
    assert any(r.getMessage() == "Read 1 records from second stream" for r in records)


def test_failures_once_reads_no_further_stream_after_one_that_stops_the_sync() -> None:
    error = StopsTheSync(message=BOOM, failure_type=FailureType.config_error)

    messages, records, raised = read(Ours(error))

    assert error_traces(messages) == [("first", BOOM)]
    assert not any("second" in r.getMessage() for r in records)
    assert stopped_after("first") in [r.getMessage() for r in records]
    assert isinstance(raised, SyncFailed)


def test_an_error_that_is_no_summary_passes_as_it_is() -> None:
    """A read that fails before any stream (no TRACE error yet) raises its own error."""

    class Broken(Ours):
        def streams(self, config: Mapping[str, Any]) -> list[Stream]:
            raise AirbyteTracedException(message=BOOM, failure_type=FailureType.config_error)

    _, _, raised = read(Broken(ValueError()))

    assert isinstance(raised, AirbyteTracedException) and not isinstance(raised, SyncFailed)
    assert raised.message == BOOM


def aapl_page() -> TickerPage:
    return TickerPage("AAPL", "2024-03-01", "2024-03-11", BarQuery("day", 1, True, 50_000))


def test_the_http_client_logs_a_failed_request_with_its_headers_and_our_filter_drops_it(
    requests_mock: rm.Mocker, caplog: pytest.LogCaptureFixture
) -> None:
    """The CDK's HttpClient logs a FAIL's request and response headers at ERROR on the stream's
    logger, then raises with them as internal message. PolygonStream.fetch raises the user's
    words alone, and the line is left out (HTTP_CLIENT_FAILURE, on the stream's logger)."""
    requests_mock.get(AAPL_URL, [failure(401)])
    config = parse_config(ConfigBuilder().build())
    stream = PriceStream(STOCKS, Access(config, TokenAuthenticator(config.api_key)))
    seen: list[str] = []

    class Sees(logging.Filter):
        def filter(self, record: logging.LogRecord) -> bool:
            seen.append(record.getMessage())
            return True

    sees = Sees()
    stream.logger.filters.insert(0, sees)  # before ours: what the CDK logs
    try:
        with pytest.raises(StopsTheSync) as raised:
            stream.fetch(aapl_page())
    finally:
        stream.logger.removeFilter(sees)

    assert [line for line in seen if HTTP_CLIENT_FAILURE.match(line)]
    assert any("Response (headers)" in line for line in seen)
    assert not [r for r in caplog.records if "Response (headers)" in r.getMessage()]
    assert (raised.value.message, raised.value.internal_message) == (UNKNOWN_KEY, UNKNOWN_KEY)
    assert raised.value.failure_type == FailureType.config_error


def test_after_a_rejected_key_the_halt_raises_its_words_for_every_stream(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(AAPL_URL, [failure(401)])
    config = parse_config(ConfigBuilder().build())
    access = Access(config, TokenAuthenticator(config.api_key))
    first, second = PriceStream(STOCKS, access), PriceStream(STOCKS, access)

    with pytest.raises(StopsTheSync):
        first.fetch(aapl_page())
    with pytest.raises(StopsTheSync) as raised:
        access.halt.check()

    assert raised.value.message == UNKNOWN_KEY
    assert requests_mock.call_count == 1
    session = second._http_client._session
    assert isinstance(session.get_adapter("https://api.polygon.io/"), CheckedAdapter)
    assert isinstance(session.get_adapter("http://127.0.0.1/"), CheckedAdapter)


def test_the_session_asks_the_adapter_after_the_pace_and_lets_its_error_through() -> None:
    """cdk.http.mount_adapters relies on: the HTTP client's session calling the budget's
    `acquire_call` (the pace's wait) before the mounted adapter's `send`, and HttpClient._send
    passing an error that is no `requests` error on, unretried."""
    order: list[str] = []

    class Budget(APIBudget):
        def acquire_call(self, request: Any, block: bool = True, timeout: Any = None) -> None:
            order.append("pace")

    def halted() -> None:
        order.append("adapter")
        raise StopsTheSync(message=BOOM, failure_type=FailureType.config_error)

    config = parse_config(ConfigBuilder().build())
    access = Access(config, TokenAuthenticator(config.api_key), Budget(policies=[]))
    stream = PriceStream(STOCKS, access)
    mount_adapters(stream, halted)

    with pytest.raises(StopsTheSync):
        stream.fetch(aapl_page())

    assert order == ["pace", "adapter"]  # once: not retried, and no request left

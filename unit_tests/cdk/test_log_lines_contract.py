"""The installed Airbyte CDK still logs what cdk/log_lines.py bounds, in the shape it expects.

Each test names the CDK behaviour relied on, so an upgrade that changes one says what to review:
the state echo of `AbstractSource._read_stream`, the runtimes block of `AbstractSource.read`,
the root handler writing to PRINT_BUFFER with an AirbyteLogFormatter, and that formatter's
LOG and DEBUG line shapes.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Mapping
from typing import Any

import airbyte_cdk.logger  # noqa: F401  # configures the root handler, as the entrypoint does
import pytest
from airbyte_cdk.logger import PRINT_BUFFER, AirbyteLogFormatter
from airbyte_cdk.models import (
    AirbyteStateBlob,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStreamState,
    StreamDescriptor,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.cdk.log_lines import (
    MAX_LOG_MESSAGE_BYTES,
    BoundedLogFormatter,
    LogLinesSource,
    bound_the_cdk_log_lines,
    state_summary,
)
from unit_tests.cdk.two_streams import Lines, catalog

TICKERS = 3_000  # a state whose echo is over the bound: about 100 kB


class OneRecord(Stream):
    """An incremental stream with a `state` attribute: the CDK sets it, and echoes it, before
    reading."""

    primary_key = None

    def __init__(self, name: str) -> None:
        self._name = name
        self._state: Mapping[str, Any] = {}

    @property
    def cursor_field(self) -> str:  # incremental: read once, not page after page until done
        return "id"

    @property
    def state(self) -> Mapping[str, Any]:
        return self._state

    @state.setter
    def state(self, value: Mapping[str, Any]) -> None:
        self._state = value

    @property
    def name(self) -> str:
        return self._name

    def get_json_schema(self) -> Mapping[str, Any]:  # type: ignore[override]  # lru_cache there
        return {"type": "object"}

    def read_records(self, *args: Any, **kwargs: Any) -> Iterable[StreamData]:
        yield {"id": 1}


class Plain(AbstractSource):
    """The CDK's source: two streams of one record each."""

    def check_connection(self, logger: logging.Logger, config: Mapping[str, Any]) -> Any:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [OneRecord("first"), OneRecord("second")]


class Ours(LogLinesSource, Plain):
    """LogLinesSource over the same source."""


def big_state() -> list[AirbyteStateMessage]:
    tickers = {f"T{i:05d}": {"timestamp": "2024-03-08T05:00:00Z"} for i in range(TICKERS)}
    return [
        AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(
                stream_descriptor=StreamDescriptor(name="first"),
                stream_state=AirbyteStateBlob(tickers),
            ),
        )
    ]


def logged(source: AbstractSource) -> list[str]:
    logger = logging.getLogger("airbyte.log-lines-contract")
    lines = Lines()
    logger.addHandler(lines)
    try:
        list(source.read(logger, {}, catalog(), big_state()))
    finally:
        logger.removeHandler(lines)
    return [record.getMessage() for record in lines.records]


def test_read_stream_echoes_the_whole_state_under_the_source_name() -> None:
    """Relied on by LogLinesSource._read_stream: the echo's prefix and what follows it."""
    echoes = [line for line in logged(Plain()) if line.startswith("Setting state of ")]
    assert echoes[0].startswith("Setting state of Plain stream to {")
    assert len(echoes[0].encode()) > MAX_LOG_MESSAGE_BYTES
    assert "T02999" in echoes[0]


def test_read_logs_a_runtimes_block_after_every_stream() -> None:
    """Relied on by LogLinesSource.read: each block starts "<name> runtimes:"; the last one
    names every stream."""
    blocks = [line for line in logged(Plain()) if line.startswith("Plain runtimes:")]
    assert len(blocks) == 2
    assert "first" in blocks[-1] and "second" in blocks[-1]


def test_ours_summarises_the_echo_and_says_the_runtimes_once_at_the_end() -> None:
    lines = logged(Ours())
    echoes = [line for line in lines if line.startswith("Setting state of ")]
    assert echoes[0].startswith(f"Setting state of first stream: {TICKERS:,} tickers (")
    runtimes = [i for i, line in enumerate(lines) if line.startswith("Ours runtimes:")]
    assert runtimes == [len(lines) - 1]
    assert all(len(line.encode()) <= MAX_LOG_MESSAGE_BYTES for line in lines)


def test_the_root_handler_writes_to_the_print_buffer_with_the_airbyte_formatter() -> None:
    """Relied on by bound_the_cdk_log_lines: the handler it finds and the formatter it swaps."""
    handlers = [
        handler
        for handler in logging.getLogger().handlers
        if getattr(handler, "stream", None) is PRINT_BUFFER
    ]
    assert handlers
    assert all(isinstance(handler.formatter, AirbyteLogFormatter) for handler in handlers)
    bound_the_cdk_log_lines()
    assert all(isinstance(handler.formatter, BoundedLogFormatter) for handler in handlers)


def record(message: str, level: int = logging.INFO, **extra: Any) -> logging.LogRecord:
    made = logging.LogRecord("airbyte", level, __file__, 1, message, None, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_the_formatter_writes_a_log_line_as_one_json_object() -> None:
    """Relied on by BoundedLogFormatter.format: {"type": "LOG", "log": {"message": ...}}."""
    line = json.loads(AirbyteLogFormatter(fmt="%(message)s").format(record("x" * 10)))
    assert line["type"] == "LOG"
    assert line["log"]["message"] == "x" * 10
    bounded = json.loads(BoundedLogFormatter(fmt="%(message)s").format(record("x" * 100_000)))
    assert len(bounded["log"]["message"].encode()) <= MAX_LOG_MESSAGE_BYTES
    assert bounded["log"]["message"].endswith("are not shown)")


def test_the_formatter_writes_a_debug_line_with_its_data() -> None:
    """Relied on for `--debug`: {"type": "DEBUG", "message": ..., "data": {...}}."""
    debug = record("request", logging.DEBUG, body="y" * 100_000)
    line = json.loads(AirbyteLogFormatter(fmt="%(message)s").format(debug))
    assert line["type"] == "DEBUG"
    assert line["message"] == "request"
    assert line["data"] == {"body": "y" * 100_000}
    bounded = BoundedLogFormatter(fmt="%(message)s").format(debug)
    assert len(bounded.encode()) <= MAX_LOG_MESSAGE_BYTES + 200  # the JSON around the values


@pytest.mark.parametrize(
    ("state", "summary"),
    [
        ({"bar_settings": {"timespan": "day"}, "AAPL": {"timestamp": "x"}}, "1 ticker (40 bytes)"),
        ({"AAPL": {"date": "x"}, "MSFT": {"date": "x"}}, "2 tickers (40 bytes)"),
        ({"listing_date": "2026-11-23"}, "listing_date 2026-11-23 (40 bytes)"),
        ({"date": "2024-03-01"}, "date 2024-03-01 (40 bytes)"),
    ],
)
def test_a_state_summary_counts_tickers_or_shows_a_streams_one_date(
    state: dict[str, Any], summary: str
) -> None:
    assert state_summary("s", state, 40) == f"Setting state of s stream: {summary}"

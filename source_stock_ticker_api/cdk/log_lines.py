"""Log lines of a bounded size: no LOG line of a sync, ours or the CDK's, holds more than 4 kB.

The CDK writes some values whole into its log: a stream's state when it is set ("Setting state
of ... stream to {...}", 10 MB for 200,000 tickers), the timer's "runtimes" block after every
stream (each time with every stream so far), and at DEBUG level slices, requests and responses.
Here the state echo becomes a summary, the runtimes block comes once, at the end of the sync,
and any other line longer than MAX_LOG_MESSAGE_BYTES is cut, saying how much was left out.

Each piece says which CDK behaviour it relies on; `unit_tests/cdk/test_log_lines_contract.py`
checks them against the installed CDK.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from typing import Any

import orjson
from airbyte_cdk.logger import PRINT_BUFFER, AirbyteLogFormatter
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteStream,
)
from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.utils.schema_helpers import InternalConfig

from source_stock_ticker_api.cdk.record_pages import RecordPagesSource
from source_stock_ticker_api.cdk.saved_states import saved_state

MAX_LOG_MESSAGE_BYTES = 4096
SETTINGS_KEY = "bar_settings"  # a price stream's state entry that is not a ticker


def bounded(text: str, limit: int = MAX_LOG_MESSAGE_BYTES) -> str:
    """`text`, or its first bytes and how many were left out, in at most `limit` bytes."""
    size = len(text.encode())
    if size <= limit:
        return text
    note = f" ... ({size:,} bytes in all; the {{}} bytes after these {{}} are not shown)"
    room = limit - len(note.format(f"{size:,}", f"{size:,}").encode())  # numbers <= size
    head = text.encode()[:room].decode(errors="ignore")
    kept = len(head.encode())
    return head + note.format(f"{size - kept:,}", f"{kept:,}")


def size_text(size: int) -> str:
    """1234567 -> '1.2 MB': a size a person reads at a glance."""
    for unit, scale in (("MB", 1_000_000), ("kB", 1_000)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}"
    return f"{size} bytes"


def state_summary(stream: str, state: Mapping[str, Any], echoed_bytes: int) -> str:
    """What the CDK's "Setting state of ... stream to {...}" becomes: how many tickers, how big.
    A state of one date and no ticker (`ipos`, a tutorial-era `{"date": ...}`) is shown as it is."""
    entries = [key for key in state if key != SETTINGS_KEY]
    if len(entries) == 1 and not isinstance(state[entries[0]], Mapping) and echoed_bytes <= 100:
        date = f"{entries[0]} {state[entries[0]]}"
        return f"Setting state of {stream} stream: {date} ({size_text(echoed_bytes)})"
    tickers = len(entries)
    noun = "ticker" if tickers == 1 else "tickers"
    return f"Setting state of {stream} stream: {tickers:,} {noun} ({size_text(echoed_bytes)})"


class BoundedLogFormatter(AirbyteLogFormatter):
    """The CDK's log formatter, with every message of a LOG line (and of a `--debug` DEBUG
    line, its data too) bounded to MAX_LOG_MESSAGE_BYTES.

    Relies on: AirbyteLogFormatter.format returning one JSON object, `{"type": "LOG", "log":
    {"message": ...}}` or, for `--debug`, `{"type": "DEBUG", "message": ..., "data": {...}}`.
    Costs a length check per log line; only a line over the bound is parsed and rewritten.
    """

    def format(self, record: logging.LogRecord) -> str:
        line = super().format(record)
        if len(line) <= MAX_LOG_MESSAGE_BYTES // 4:  # 4 bytes at most per character
            return line
        message = orjson.loads(line)
        log = message.get("log")
        if isinstance(log, dict) and isinstance(log.get("message"), str):
            log["message"] = bounded(log["message"])
        if isinstance(message.get("message"), str):
            message["message"] = bounded(message["message"])
        data = message.get("data")
        if isinstance(data, dict):
            share = MAX_LOG_MESSAGE_BYTES // max(len(data), 1)
            message["data"] = {key: bounded(str(value), share) for key, value in data.items()}
        return orjson.dumps(message).decode()


def bound_the_cdk_log_lines() -> None:
    """Gives the CDK's log handler (the one writing to PRINT_BUFFER) the bounded formatter.

    Relies on: the CDK configuring, when it is imported, one handler on the root logger that
    writes to PRINT_BUFFER with an AirbyteLogFormatter. Idempotent.
    """
    for handler in logging.getLogger().handlers:
        formatter = handler.formatter
        if getattr(handler, "stream", None) is not PRINT_BUFFER:
            continue
        if isinstance(formatter, AirbyteLogFormatter) and not isinstance(
            formatter, BoundedLogFormatter
        ):
            handler.setFormatter(BoundedLogFormatter(fmt="%(message)s"))


class LogLinesSource(RecordPagesSource):
    """The CDK's source with its state echo summarised and its runtimes block said once."""

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's read, its "<source> runtimes:" block held back after each stream and
        logged once, after the last stream (or before the sync's error).

        Relies on: `AbstractSource.read` logging `timer.report()`, which starts with
        "<source name> runtimes:", through `logger` after every stream, each report holding
        every stream so far: the last one says everything.
        """
        held = _HeldRuntimes(f"{self.name} runtimes:")
        logger.addFilter(held)
        try:
            yield from super().read(logger, config, catalog, state)
        except Exception:
            held.say(logger)
            raise
        held.say(logger)

    def _read_stream(
        self,
        logger: logging.Logger,
        stream_instance: Stream,
        configured_stream: ConfiguredAirbyteStream,
        state_manager: ConnectorStateManager,
        internal_config: InternalConfig,
    ) -> Iterator[AirbyteMessage]:
        """The CDK's stream read, its echo of the whole state summarised.

        Relies on: `_read_stream` logging f"Setting state of {source name} stream to {state}"
        through `logger`, the state being the manager's (saved_states.py).
        """
        name = configured_stream.stream.name
        echo = _StateEcho(
            f"Setting state of {self.name} stream to ",
            name,
            saved_state(state_manager, name),
        )
        logger.addFilter(echo)
        try:
            yield from super()._read_stream(
                logger, stream_instance, configured_stream, state_manager, internal_config
            )
        finally:
            logger.removeFilter(echo)


class _StateEcho(logging.Filter):
    """Rewrites the CDK's echo of a stream's state with its summary (state_summary)."""

    def __init__(self, prefix: str, stream: str, state: Mapping[str, Any]) -> None:
        super().__init__()
        self.prefix = prefix
        self.stream = stream
        self.state = state

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.msg
        if isinstance(text, str) and text.startswith(self.prefix):
            echoed = len(text.encode()) - len(self.prefix)
            record.msg, record.args = state_summary(self.stream, self.state, echoed), ()
        return True


class _HeldRuntimes(logging.Filter):
    """Holds back the CDK's runtimes blocks; `say` logs the last one."""

    def __init__(self, prefix: str) -> None:
        super().__init__()
        self.prefix = prefix
        self.report: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.msg
        if isinstance(text, str) and text.startswith(self.prefix):
            self.report = text
            return False
        return True

    def say(self, logger: logging.Logger) -> None:
        logger.removeFilter(self)
        if self.report is not None:
            logger.info(self.report)

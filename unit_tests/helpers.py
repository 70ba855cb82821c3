"""Runs the connector's commands in-process and picks apart what they print."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteMessageSerializer,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    Status,
    SyncMode,
    Type,
)
from airbyte_cdk.test.catalog_builder import CatalogBuilder
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput, _run_command, make_file, read
from airbyte_cdk.test.models.scenario import ExpectedOutcome

from source_stock_ticker_api import run
from source_stock_ticker_api.source import SourceStockTickerApi

STREAM = "stock_prices"
# Every stream of the catalog, in discover's order: the price streams, one per market, then the
# reference streams. Written out once, for every test of the stream list.
STREAM_NAMES = [
    "stock_prices",
    "crypto_prices",
    "forex_prices",
    "index_prices",
    "option_prices",
    "tickers",
    "ticker_details",
    "dividends",
    "splits",
    "market_holidays",
    "income_statements",
    "balance_sheets",
    "cash_flow_statements",
    "financial_ratios",
    "short_interest",
    "short_volume",
    "stock_float",
    "ipos",
    "news",
    "ticker_events",
    "related_companies",
    "options_contracts",
    "exchanges",
    "conditions",
    "ticker_types",
]
# A record with every field, as the connector emits it (AAPL's daily bar of 2024-01-02).
FULL_RECORD: dict[str, Any] = {
    "stock_ticker": "AAPL",
    "date": "2024-01-02",
    "timestamp": "2024-01-02T05:00:00Z",
    "price": 185.64,
    "open": 187.15,
    "high": 188.44,
    "low": 183.885,
    "close": 185.64,
    "volume": 8.2488674e7,
    "vwap": 185.9465,
    "transactions": 1008871,
    "otc": False,
}
# Tuesday 2024-03-12, 11:00 in New York: what `@pytest.mark.now()` freezes the clock at.
NOW = "2024-03-12T15:00:00Z"
# 22:30 on 2024-03-11 in New York: "today" is still the 11th.
LATE_EVENING_NY = "2024-03-12T02:30:00Z"


def catalog(sync_mode: SyncMode = SyncMode.incremental) -> ConfiguredAirbyteCatalog:
    return CatalogBuilder().with_stream(STREAM, sync_mode).build()


def read_stream(
    config: Mapping[str, Any],
    sync_mode: SyncMode = SyncMode.incremental,
    state: list[AirbyteStateMessage] | None = None,
    *,
    expect_failure: bool = False,
    debug: bool = False,
) -> EntrypointOutput:
    return read(
        SourceStockTickerApi(),
        config,
        catalog(sync_mode),
        state,
        expected_outcome=(
            ExpectedOutcome.EXPECT_EXCEPTION if expect_failure else ExpectedOutcome.EXPECT_SUCCESS
        ),
        debug=debug,
    )


def check(config: Mapping[str, Any], tmp_path: Path) -> EntrypointOutput:
    """`check` through the CDK's entrypoint (the wrapper has no `check` helper of its own)."""
    return _run_command(
        SourceStockTickerApi(), ["check", "--config", make_file(tmp_path / "config.json", config)]
    )


def connection_status(output: EntrypointOutput) -> tuple[Status, str | None]:
    """(status, message) of the one CONNECTION_STATUS message `check` must print."""
    [message] = output.connection_status_messages
    status = message.connectionStatus
    assert status is not None
    return status.status, status.message


def ms(instant: str) -> int:
    """Unix ms of an ISO instant written in UTC, e.g. 2024-03-08T05:00:00Z."""
    return int(datetime.fromisoformat(instant.replace("Z", "+00:00")).timestamp() * 1000)


def records(output: EntrypointOutput) -> list[dict[str, Any]]:
    return [message.record.data for message in output.records]  # type: ignore[union-attr]


def states(output: EntrypointOutput) -> list[dict[str, Any]]:
    """The stream state carried by each STATE message, in order."""
    return [
        message.state.stream.stream_state.__dict__  # type: ignore[union-attr]
        for message in output.state_messages
    ]


def saved_state(
    timespan: str = "day", multiplier: int = 1, adjusted: bool = True, **cursors: str
) -> dict[str, Any]:
    """A stream state as the connector writes it: its bar settings, then one cursor per ticker."""
    settings = {"timespan": timespan, "multiplier": multiplier, "adjusted": adjusted}
    return {"bar_settings": settings, **{t: {"timestamp": ts} for t, ts in cursors.items()}}


def records_and_states(output: EntrypointOutput) -> list[tuple[str, Any]]:
    """('record', timestamp) and ('state', stream state) in the order they were emitted."""
    sequence: list[tuple[str, Any]] = []
    for message in output.records_and_state_messages:
        if message.type == Type.RECORD:
            sequence.append(("record", message.record.data["timestamp"]))  # type: ignore[union-attr]
        else:
            sequence.append(("state", message.state.stream.stream_state.__dict__))  # type: ignore[union-attr]
    return sequence


def error_traces(output: EntrypointOutput) -> list[tuple[Any, str]]:
    """(failure_type, message) of each TRACE error, the stream's own error first."""
    return [
        (message.trace.error.failure_type, message.trace.error.message)  # type: ignore[union-attr]
        for message in output.errors
    ]


def log_messages(output: EntrypointOutput, level: str | None = None) -> list[str]:
    return [
        message.log.message  # type: ignore[union-attr]
        for message in output.logs
        if level is None or message.log.level.value == level  # type: ignore[union-attr]
    ]


def serialized(messages: list[AirbyteMessage]) -> str:
    """Every message as the JSON line the platform would receive."""
    return "\n".join(json.dumps(AirbyteMessageSerializer.dump(message)) for message in messages)


def all_output(output: EntrypointOutput) -> str:
    return serialized(list(output.get_message_iterator()))


def write_json(path: Path, content: Any) -> str:
    path.write_text(json.dumps(content))
    return str(path)


def catalog_file(path: Path, sync_mode: SyncMode = SyncMode.incremental) -> str:
    return write_json(path, ConfiguredAirbyteCatalogSerializer.dump(catalog(sync_mode)))


def command_line(
    command: str,
    tmp_path: Path,
    config: Mapping[str, Any],
    *,
    sync_mode: SyncMode = SyncMode.incremental,
    state: Any = None,
) -> list[str]:
    """`<command> --config <file>`, plus `--catalog <file>` for a read and `--state <file>`.

    A `state` that is a Path names a file the test wrote itself; any other state is written to
    `state.json` as JSON.
    """
    args = [command, "--config", write_json(tmp_path / "config.json", config)]
    if command == "read":
        args += ["--catalog", catalog_file(tmp_path / "catalog.json", sync_mode)]
    if isinstance(state, Path):
        args += ["--state", str(state)]
    elif state is not None:
        args += ["--state", write_json(tmp_path / "state.json", state)]
    return args


class CliResult:
    """What a command printed, with the same views as for an in-process run."""

    def __init__(self, exit_code: int, stdout: str) -> None:
        self.exit_code = exit_code
        self.stdout = stdout
        lines = [line for line in stdout.splitlines() if line.strip()]
        self.output = EntrypointOutput(messages=lines)

    @property
    def records(self) -> list[dict[str, Any]]:
        return records(self.output)

    @property
    def states(self) -> list[dict[str, Any]]:
        return states(self.output)

    @property
    def errors(self) -> list[tuple[Any, str]]:
        """(failure_type, message) of each TRACE error."""
        return error_traces(self.output)

    def logs(self, level: str | None = None) -> list[str]:
        return log_messages(self.output, level)


def run_cli(args: list[str], capfd: pytest.CaptureFixture[str]) -> CliResult:
    """The console script `source-stock-ticker-api <args>`, in-process.

    `capfd`, not `capsys`: the CDK's log handler writes to the process's real stdout
    (`sys.__stdout__`), which only file-descriptor capture sees.
    """
    capfd.readouterr()
    exit_code = 0
    try:
        run.run(args)
    except SystemExit as exit_:
        exit_code = int(exit_.code or 0)
    return CliResult(exit_code, capfd.readouterr().out)


def waits(sleeps: list[float]) -> list[float]:
    """The waits requested, without the zero-second pauses of the `backoff` library."""
    return [seconds for seconds in sleeps if seconds]

"""The console script: config problems are one clear message, never a stack dump.

`check` answers CONNECTION_STATUS FAILED (exit 0); `discover` and `read` emit one TRACE error
with failure_type config_error and exit 1. Runs `run.run([...])` in-process, capturing stdout.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, Status

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import (
    LATE_EVENING_NY,
    STREAM_NAMES,
    CliResult,
    command_line,
    connection_status,
    run_cli,
    saved_state,
)
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder
from unit_tests.invalid_configs import INVALID_CONFIGS

# 22:30 on 2024-03-11 in New York: the dates in INVALID_CONFIGS' messages are relative to it.
pytestmark = pytest.mark.now(LATE_EVENING_NY)


def assert_no_traceback_in_logs(result: CliResult) -> None:
    for message in result.logs():
        assert "Traceback" not in message


@pytest.mark.parametrize(("changes", "message"), INVALID_CONFIGS)
def test_given_invalid_config_when_check_then_failed_status_naming_the_field(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], changes: dict[str, Any], message: str
) -> None:
    result = run_cli(
        command_line("check", tmp_path, ConfigBuilder().with_fields(changes).build()), capfd
    )

    assert result.exit_code == 0
    assert connection_status(result.output) == (Status.FAILED, message)
    assert_no_traceback_in_logs(result)


@pytest.mark.parametrize("name", ["discover", "read"])
@pytest.mark.parametrize(("changes", "message"), INVALID_CONFIGS)
def test_given_invalid_config_when_discover_or_read_then_one_config_error_trace_and_exit_1(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    name: str,
    changes: dict[str, Any],
    message: str,
) -> None:
    result = run_cli(
        command_line(name, tmp_path, ConfigBuilder().with_fields(changes).build()), capfd
    )

    assert result.exit_code == 1
    assert result.errors == [(FailureType.config_error, message)]
    assert result.output.records == []
    assert_no_traceback_in_logs(result)


def test_given_valid_config_when_discover_then_catalog_and_exit_0(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(command_line("discover", tmp_path, ConfigBuilder().build()), capfd)

    assert result.exit_code == 0
    streams = result.output.catalog.catalog.streams  # type: ignore[union-attr]
    assert [s.name for s in streams] == STREAM_NAMES


def test_given_legacy_state_file_when_read_from_the_command_line_then_resume_after_its_date(
    requests_mock: rm.Mocker, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # The tutorial connector's state file: {"stock_prices": {"date": ...}}, not a message list.
    requests_mock.get(
        AggsRequestBuilder.aggs("TSLA", "2024-03-08", "2024-03-08").url,
        json=AggsResponseBuilder("TSLA").with_bars(1709874000000).build_json(),
    )
    config = ConfigBuilder().legacy("TSLA").with_end_date("2024-03-08").build()
    args = command_line("read", tmp_path, config, state={"stock_prices": {"date": "2024-03-07"}})

    result = run_cli(args, capfd)

    assert result.exit_code == 0
    assert [(r["stock_ticker"], r["date"]) for r in result.records] == [("TSLA", "2024-03-08")]
    assert result.states == [saved_state(TSLA="2024-03-08T05:00:00Z")]
    assert requests_mock.call_count == 1


def test_given_unreadable_state_when_read_then_config_error_saying_how_to_recover(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    state = {"stock_prices": {"AAPL": {"timestamp": "soon"}}}
    args = command_line("read", tmp_path, ConfigBuilder().build(), state=state)

    result = run_cli(args, capfd)

    assert result.exit_code == 1
    assert result.errors[0] == (
        FailureType.config_error,
        "The saved state holds 'soon' where a UTC timestamp such as 2024-01-02T05:00:00Z "
        "belongs. Reset the stock_prices stream to start over from start_date.",
    )

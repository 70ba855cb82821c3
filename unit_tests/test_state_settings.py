"""A saved state knows the bars it was written for; a state file in the wrong shape says so.

Through the console script in-process (`run.run`), with every request mocked: a state the
connector cannot resume from is one config_error TRACE and exit 1 before any request, and a
state it can resume from gets the bar settings on its next checkpoint.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.state_builder import StateBuilder

from source_stock_ticker_api.config import ConfigError
from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import (
    CliResult,
    catalog,
    command_line,
    run_cli,
    saved_state,
)
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder

FRI_2024_03_08 = 1709874000000
MINUTE = {"timespan": "minute", "multiplier": 1, "adjusted": True}
RESET = "Reset the stock_prices stream to start over from start_date."
FILE_SHAPE = (
    "a JSON list of STATE messages as Airbyte writes them "
    '([{"type": "STREAM", "stream": {"stream_descriptor": {"name": "stock_prices"}, '
    '"stream_state": {...}}}]), or the per-stream object {"stock_prices": {...}}'
)


pytestmark = pytest.mark.now()


def stream_entry(stream_state: dict[str, Any]) -> dict[str, Any]:
    return {"stream_descriptor": {"name": "stock_prices"}, "stream_state": stream_state}


def stream_message(stream_state: dict[str, Any]) -> dict[str, Any]:
    return {"type": "STREAM", "stream": stream_entry(stream_state)}


def global_message(stream_state: dict[str, Any], **global_fields: Any) -> dict[str, Any]:
    """A GLOBAL state message: `stream_state` for stock_prices, and any other `global_fields`."""
    return {
        "type": "GLOBAL",
        "global": {**global_fields, "stream_states": [stream_entry(stream_state)]},
    }


def read_with_state(
    tmp_path: Path,
    capfd: pytest.CaptureFixture[str],
    builder: ConfigBuilder,
    state: Any,
    sync_mode: SyncMode = SyncMode.incremental,
) -> tuple[CliResult, list[Any]]:
    """`read --state`, every request answered with one bar and recorded.

    `state` is written to state.json, unless it is the Path of a file the test wrote itself.
    """
    args = command_line("read", tmp_path, builder.build(), sync_mode=sync_mode, state=state)
    with rm.Mocker() as mock:
        mock.get(rm.ANY, json=AggsResponseBuilder().with_bars(FRI_2024_03_08).build_json())
        result = run_cli(args, capfd)
    return result, mock.request_history


def assert_refused(result: CliResult, requests_made: list[Any], message: str) -> None:
    """One config_error with exactly this message, exit 1, nothing read, nothing requested."""
    assert result.exit_code == 1
    assert result.errors == [(FailureType.config_error, message)]
    assert result.output.records == []
    assert result.output.state_messages == []
    assert requests_made == []
    assert not [line for line in result.logs() if "Traceback" in line]
    assert API_KEY not in result.stdout


# -- a state written for other bars ----------------------------------------------------------


@pytest.mark.parametrize(
    ("builder", "message"),
    [
        pytest.param(
            ConfigBuilder().with_timespan("day"),
            "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
            "configuration now asks for 1-day split-adjusted bars (timespan changed from minute "
            "to day). Resuming from it would skip history and mix two kinds of bars under one "
            "primary key. Reset (refresh) the stock_prices stream to read again from start_date "
            "with the new settings, or set the old ones back.",
            id="timespan",
        ),
        pytest.param(
            ConfigBuilder().with_timespan("minute", 5),
            "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
            "configuration now asks for 5-minute split-adjusted bars (multiplier changed from 1 "
            "to 5). Resuming from it would skip history and mix two kinds of bars under one "
            "primary key. Reset (refresh) the stock_prices stream to read again from start_date "
            "with the new settings, or set the old ones back.",
            id="multiplier",
        ),
        pytest.param(
            ConfigBuilder().with_timespan("minute").with_adjusted(False),
            "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
            "configuration now asks for 1-minute unadjusted bars (adjusted changed from true to "
            "false). Resuming from it would skip history and mix two kinds of bars under one "
            "primary key. Reset (refresh) the stock_prices stream to read again from start_date "
            "with the new settings, or set the old ones back.",
            id="adjusted",
        ),
        pytest.param(
            ConfigBuilder().with_timespan("hour", 4).with_adjusted(False),
            "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
            "configuration now asks for 4-hour unadjusted bars (timespan changed from minute to "
            "hour; multiplier changed from 1 to 4; adjusted changed from true to false). "
            "Resuming from it would skip history and mix two kinds of bars under one primary "
            "key. Reset (refresh) the stock_prices stream to read again from start_date with the "
            "new settings, or set the old ones back.",
            id="all-three",
        ),
    ],
)
def test_given_state_of_other_bars_when_incremental_read_then_config_error_before_any_request(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], builder: ConfigBuilder, message: str
) -> None:
    state = [
        stream_message({"bar_settings": MINUTE, "AAPL": {"timestamp": "2024-03-08T20:59:00Z"}})
    ]

    result, requests_made = read_with_state(tmp_path, capfd, builder, state)

    assert_refused(result, requests_made, message)


@pytest.mark.parametrize(
    "message",
    [
        pytest.param(stream_message, id="stream-state"),
        # A GLOBAL state without shared_state holds nothing but its stream states.
        pytest.param(global_message, id="global-state-without-shared-state"),
    ],
)
def test_given_state_of_the_same_bars_when_read_then_resume_after_its_cursor(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], message: Callable[..., dict[str, Any]]
) -> None:
    state = [message(saved_state(AAPL="2024-03-07T05:00:00Z"))]

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert result.exit_code == 0, result.errors
    assert [r.url.split("?")[0] for r in requests_made] == [
        AggsRequestBuilder.aggs("AAPL", "2024-03-08", "2024-03-11").url
    ]
    assert [r["timestamp"] for r in result.records] == ["2024-03-08T05:00:00Z"]
    assert result.states == [saved_state(AAPL="2024-03-08T05:00:00Z")]


@pytest.mark.parametrize(
    "stream_state",
    [
        pytest.param({"AAPL": {"timestamp": "2024-03-07T05:00:00Z"}}, id="per-ticker"),
        pytest.param({"date": "2024-03-07"}, id="tutorial-date"),
    ],
)
def test_given_state_without_settings_when_read_then_resume_and_checkpoint_with_settings(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], stream_state: dict[str, Any]
) -> None:
    # Written before states recorded their bars: taken to be of the configured ones.
    state = {"stock_prices": stream_state}

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert result.exit_code == 0, result.errors
    assert len(requests_made) == 1
    assert result.states == [saved_state(AAPL="2024-03-08T05:00:00Z")]


def test_given_state_of_other_bars_when_full_refresh_then_read_everything_and_drop_its_cursors(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # A full refresh resumes from nothing: the old cursors (of minute bars, and one far ahead)
    # must not reach the new state, which describes daily bars.
    state = [
        stream_message(
            {
                "bar_settings": MINUTE,
                "AAPL": {"timestamp": "2024-03-11T20:59:00Z"},
                "MSFT": {"timestamp": "2099-01-01T05:00:00Z"},
            }
        )
    ]

    result, requests_made = read_with_state(
        tmp_path, capfd, ConfigBuilder(), state, SyncMode.full_refresh
    )

    assert result.exit_code == 0, result.errors
    assert [r.url.split("?")[0] for r in requests_made] == [
        AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-11").url
    ]
    assert result.states == [saved_state(AAPL="2024-03-08T05:00:00Z")]


@pytest.mark.parametrize(
    "settings",
    [
        "day",
        {"timespan": "fortnight", "multiplier": 1, "adjusted": True},
        {"timespan": "day", "multiplier": 0, "adjusted": True},
        {"timespan": "day", "multiplier": True, "adjusted": True},
        {"timespan": "day", "multiplier": 1, "adjusted": "yes"},
        {"timespan": "day", "multiplier": 1},
    ],
)
def test_given_unreadable_bar_settings_when_read_then_config_error_saying_to_reset(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], settings: Any
) -> None:
    state = {"stock_prices": {"bar_settings": settings}}

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert_refused(
        result,
        requests_made,
        f"The saved state has bar_settings {settings!r}, not an object such as "
        f'{{"timespan": "day", "multiplier": 1, "adjusted": true}}. {RESET}',
    )


def test_the_source_refuses_a_state_of_other_bars_when_read_without_the_entrypoint() -> None:
    """The one check of bar settings is the source's read, before any stream starts: also when
    a program calls it directly (the streams trust the state they are given)."""
    state = StateBuilder().with_stream_state(
        "stock_prices", {"bar_settings": MINUTE, "AAPL": {"timestamp": "2024-03-08T20:59:00Z"}}
    )

    with pytest.raises(ConfigError) as error:
        list(
            SourceStockTickerApi().read(
                logging.getLogger("test"), ConfigBuilder().build(), catalog(), state.build()
            )
        )

    assert str(error.value.message).startswith(
        "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
        "configuration now asks for 1-day split-adjusted bars (timespan changed from minute "
        "to day)."
    )


# -- a state file in the wrong shape -----------------------------------------------------------


def test_given_a_state_path_that_does_not_exist_then_config_error_naming_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    missing = tmp_path / "no-such-state.json"

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), missing)

    assert_refused(
        result,
        requests_made,
        f"The state file {missing} does not exist. Pass --state the file holding the state of "
        f"the last sync: {FILE_SHAPE}; or leave --state out for a first sync.",
    )


def test_given_a_single_state_message_not_in_a_list_then_config_error_saying_what_to_write(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    state = stream_message(saved_state(AAPL="2024-03-07T05:00:00Z"))

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert_refused(
        result,
        requests_made,
        f"The state file {tmp_path / 'state.json'} holds a single STATE message, not a list of "
        f"them. It must hold {FILE_SHAPE}: put the message inside [ ].",
    )


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("{", "is not valid JSON (Expecting property name enclosed in double quotes at line 1, "),
        ("", "is not valid JSON (Expecting value at line 1, column 1). It must hold "),
        ("42", "holds a JSON number. It must hold "),
        ('"a string"', "holds a JSON string. It must hold "),
    ],
)
def test_given_a_state_file_that_is_not_a_list_of_messages_then_config_error_saying_what_to_write(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], content: str, problem: str
) -> None:
    path = tmp_path / "state.json"
    path.write_text(content)

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), path)

    assert result.exit_code == 1
    [(failure_type, message)] = result.errors
    assert failure_type == FailureType.config_error
    assert message.startswith(f"The state file {path} {problem}")
    assert message.endswith(f"It must hold {FILE_SHAPE}.")
    assert "Reset" not in message
    assert requests_made == []


@pytest.mark.parametrize(
    "entries",
    [[{}], [{"type": "NOPE"}], [stream_message({}), "STREAM"]],
    ids=["empty-object", "unknown-type", "not-an-object"],
)
def test_given_a_list_entry_that_is_not_a_state_message_then_config_error_naming_it(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], entries: list[Any]
) -> None:
    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), entries)

    assert_refused(
        result,
        requests_made,
        f"Entry {len(entries)} of the state file {tmp_path / 'state.json'} is not a STATE "
        f"message. The file must hold {FILE_SHAPE}.",
    )


def test_given_a_global_state_with_shared_state_then_config_error_not_a_system_error(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    state = [
        global_message({"AAPL": {"timestamp": "2024-03-07T05:00:00Z"}}, shared_state={"lsn": 42})
    ]

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert_refused(
        result,
        requests_made,
        f"The state file {tmp_path / 'state.json'} holds a GLOBAL state with shared_state, "
        "which this connector never writes (it keeps one STREAM state per stream), so it "
        f"cannot tell where to resume from. {RESET}",
    )


def test_given_a_global_state_of_other_bars_then_config_error_before_any_request(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    state = [global_message({"bar_settings": MINUTE})]

    result, requests_made = read_with_state(tmp_path, capfd, ConfigBuilder(), state)

    assert result.exit_code == 1
    [(failure_type, message)] = result.errors
    assert failure_type == FailureType.config_error
    assert message.startswith("The saved state of stock_prices is for 1-minute split-adjusted")
    assert requests_made == []


# -- a saved position after end_date -----------------------------------------------------------


def test_given_cursors_after_end_date_when_read_then_one_warning_per_ticker_and_no_request(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    builder = ConfigBuilder().with_tickers("AAPL", "MSFT", "NVDA")
    state = {
        "stock_prices": {
            "AAPL": {"timestamp": "2099-01-01T05:00:00Z"},
            "MSFT": {"timestamp": "2024-03-12T04:00:00Z"},  # the day after end_date
            "NVDA": {"timestamp": "2024-03-11T04:00:00Z"},  # end_date's own bar: up to date
        }
    }

    result, requests_made = read_with_state(tmp_path, capfd, builder, state)

    assert result.exit_code == 0, result.errors
    assert requests_made == []
    assert result.logs("WARN") == [
        "AAPL: the saved position 2099-01-01T05:00:00Z is after end_date 2024-03-11; nothing "
        "to read. If that position is wrong, reset (refresh) the stock_prices stream.",
        "MSFT: the saved position 2024-03-12T04:00:00Z is after end_date 2024-03-11; nothing "
        "to read. If that position is wrong, reset (refresh) the stock_prices stream.",
    ]
    # The positions are kept, never moved back.
    assert result.states[-1] == saved_state(
        AAPL="2099-01-01T05:00:00Z", MSFT="2024-03-12T04:00:00Z", NVDA="2024-03-11T04:00:00Z"
    )

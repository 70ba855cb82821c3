"""A state of minute bars handed to a daily sync: the connector as a subprocess against the
sandbox refuses it with one config_error, before any request, instead of skipping history."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    assert_secret_nowhere,
    catalog,
    last_state_message,
    run_connector,
)
from integration_tests.helpers import SANDBOX_KEY, SATURDAY, sandbox_config, saved_state
from polygon_sandbox import Sandbox

pytestmark = pytest.mark.sandbox_now(SATURDAY)


def make_config(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    minutes = {"start_date": "2024-03-07", "end_date": "2024-03-08", "timespan": "minute"}
    return sandbox_config(sandbox, **{**minutes, **overrides})


def test_given_a_state_of_minute_bars_when_daily_read_then_config_error_and_no_request(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    minute = run_connector(
        "read", tmp_path, config=make_config(sandbox), catalog=catalog(), now=SATURDAY
    )
    assert minute.returncode == 0, minute.errors
    last_bar = sandbox.expected_bars("AAPL", 1, "minute", "2024-03-07", "2024-03-08")[-1]
    last_minute = datetime.fromtimestamp(last_bar["t"] / 1000, timezone.utc)
    cursor = last_minute.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert minute.states[-1] == saved_state("minute", AAPL=cursor)
    sandbox.clear_requests()

    daily = run_connector(
        "read",
        tmp_path,
        config=make_config(sandbox, timespan="day"),
        catalog=catalog(),
        state=last_state_message(minute),
        now=SATURDAY,
    )

    assert daily.returncode == 1
    assert [(e["failure_type"], e["message"]) for e in daily.errors] == [
        (
            "config_error",
            "The saved state of stock_prices is for 1-minute split-adjusted bars, but the "
            "configuration now asks for 1-day split-adjusted bars (timespan changed from minute "
            "to day). Resuming from it would skip history and mix two kinds of bars under one "
            "primary key. Reset (refresh) the stock_prices stream to read again from start_date "
            "with the new settings, or set the old ones back.",
        )
    ]
    assert daily.records == [] and daily.states == []
    assert sandbox.requests == []
    assert_secret_nowhere(daily, sandbox, SANDBOX_KEY)

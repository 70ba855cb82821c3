"""A ticker the API refuses, among readable ones: the connector as a subprocess, as the platform
runs it, against the sandbox.

The sandbox refuses MSFT (403 "not entitled", as for a plan without that symbol or market).
The sync reads AAPL and NVDA in full, saves their state, then fails with one config_error naming
MSFT and a non-zero exit. Once the plan covers MSFT, the next sync from that state reads MSFT
and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    ConnectorRun,
    catalog,
    last_state_message,
    run_connector,
)
from integration_tests.helpers import (
    SATURDAY,
    assert_key_hidden,
    expected,
    sandbox_config,
    saved_state,
)
from polygon_sandbox import Faults, Sandbox

START, END = "2024-01-02", "2024-03-08"
TICKERS = ["AAPL", "MSFT", "NVDA"]

pytestmark = pytest.mark.sandbox_now(SATURDAY)


def sync(sandbox: Sandbox, workdir: Path, state: Any = None) -> ConnectorRun:
    config = sandbox_config(sandbox, tickers=TICKERS, start_date=START, end_date=END)
    return run_connector(
        "read",
        workdir,
        config=config,
        catalog=catalog("incremental"),
        state=state,
        now=SATURDAY,
    )


def kinds(run: ConnectorRun) -> list[str]:
    """'STATE', or the trace's type ('ERROR', 'STREAM_STATUS', ...), of each such message."""
    return [
        "STATE" if m["type"] == "STATE" else m["trace"]["type"]
        for m in run.messages
        if m["type"] in ("STATE", "TRACE")
    ]


def test_given_a_refused_ticker_among_readable_ones_when_sync_then_the_others_are_saved_and_one_config_error(  # noqa: E501
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_faults(Faults(forbid_ticker="MSFT"))

    first = sync(sandbox, tmp_path)

    assert first.returncode == 1
    assert first.records == expected(sandbox, ["AAPL", "NVDA"], START, END)
    assert [(r.ticker, r.status) for r in sandbox.data_requests()] == [
        ("AAPL", 200),
        ("MSFT", 403),
        ("NVDA", 200),
    ]
    friday = "2024-03-08T05:00:00Z"
    assert first.states[-1] == saved_state(AAPL=friday, NVDA=friday)
    error = first.errors[0]
    assert (error["failure_type"], error["message"]) == (
        "config_error",
        "The API refused MSFT (1 of 3 tickers); every other ticker was read and saved. "
        "The API key works, but the plan does not cover MSFT day bars from 2024-01-02 to "
        "2024-03-08: You are not entitled to this data. Please upgrade your plan at "
        "https://polygon.io/pricing. Choose a timespan and start_date your plan includes, "
        "or upgrade the plan. Fix or remove each refused ticker: the next sync resumes it "
        "where it stopped.",
    )
    # The only error: no second one summing up the failed streams.
    assert len(first.errors) == 1
    sequence = kinds(first)
    assert max(i for i, k in enumerate(sequence) if k == "STATE") < sequence.index("ERROR")
    statuses = [
        m["trace"]["stream_status"]["status"]
        for m in first.of_type("TRACE")
        if m["trace"]["type"] == "STREAM_STATUS"
    ]
    assert statuses == ["STARTED", "RUNNING", "INCOMPLETE"]
    assert_key_hidden(first, sandbox)

    sandbox.set_faults(Faults())
    sandbox.clear_requests()
    second = sync(sandbox, tmp_path, state=last_state_message(first))

    assert second.returncode == 0, second.errors
    assert [r.ticker for r in sandbox.data_requests()] == ["MSFT"]
    assert second.records == expected(sandbox, ["MSFT"], START, END)
    assert second.states[-1] == saved_state(AAPL=friday, MSFT=friday, NVDA=friday)
    assert_key_hidden(second, sandbox)

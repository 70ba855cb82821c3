"""The connector as a subprocess against the sandbox on loopback: what a user's sync does.

Every assertion compares against what the sandbox itself says it serves (`expected_bars`) and
what its request log saw, so a lost, doubled or wrongly converted bar fails a test.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    catalog,
    last_state_message,
    run_connector,
)
from integration_tests.helpers import (
    SANDBOX_KEY,
    SATURDAY,
    assert_key_hidden,
    by_key,
    expected,
    pages_by_ticker,
    sandbox_config,
    saved_state,
    sync_again,
)
from polygon_sandbox import Sandbox
from unit_tests.helpers import STREAM_NAMES

# Wednesday 2024-03-06, 12:00 in New York: that day's bars are still forming.
WEDNESDAY_NOON = datetime(2024, 3, 6, 17, 0, tzinfo=timezone.utc)
MONTH_END_SATURDAY = datetime(2024, 3, 30, 17, 0, tzinfo=timezone.utc)


pytestmark = pytest.mark.sandbox_now(WEDNESDAY_NOON)


def make_config(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    fields = {"tickers": ["AAPL", "MSFT", "NVDA"], "start_date": "2024-01-02", **overrides}
    return sandbox_config(sandbox, **fields)


def test_spec_through_main_and_the_console_script(tmp_path: Path) -> None:
    for console_script in (False, True):
        run = run_connector("spec", tmp_path, console_script=console_script)
        assert run.returncode == 0
        (spec,) = run.of_type("SPEC")
        properties = spec["spec"]["connectionSpecification"]["properties"]
        assert properties["api_key"]["airbyte_secret"] is True
        assert {"tickers", "stock_ticker", "start_date", "end_date", "timespan"} <= set(properties)


def test_given_a_good_key_when_check_then_succeeded_with_one_request(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    run = run_connector(
        "check", tmp_path, config=make_config(sandbox), now=WEDNESDAY_NOON, as_process=True
    )
    assert run.returncode == 0
    assert run.connection_status == {"status": "SUCCEEDED"}
    (request,) = sandbox.data_requests()
    assert request.path == "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-03-06"
    assert "limit=1" in request.query
    assert_key_hidden(run, sandbox)


def test_given_an_unknown_key_when_check_then_failed_quoting_the_api(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    bad_key = "not-a-real-key-0123456789"
    run = run_connector(
        "check", tmp_path, config=make_config(sandbox, api_key=bad_key), now=WEDNESDAY_NOON
    )
    assert run.returncode == 0
    assert run.connection_status == {
        "status": "FAILED",
        "message": "The API rejected the API key (Unknown API Key). Check api_key: copy it again "
        "from your Polygon.io / Massive.com dashboard.",
    }
    assert_key_hidden(run, sandbox, bad_key)


def test_given_a_daily_plan_when_check_minute_bars_then_failed_naming_the_plan(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = make_config(sandbox, api_key="sandbox-daily-key", timespan="minute")
    run = run_connector("check", tmp_path, config=config, now=WEDNESDAY_NOON)
    status = run.connection_status
    assert status["status"] == "FAILED"
    assert status["message"].startswith(
        "The API key works, but the plan does not cover AAPL minute bars from 2024-01-02 to "
        "2024-03-06: You are not entitled to this data."
    )
    assert_key_hidden(run, sandbox, "sandbox-daily-key")


def test_discover_lists_stock_prices(sandbox: Sandbox, tmp_path: Path) -> None:
    run = run_connector("discover", tmp_path, config=make_config(sandbox), now=WEDNESDAY_NOON)
    (message,) = run.of_type("CATALOG")
    streams = message["catalog"]["streams"]
    assert [s["name"] for s in streams] == STREAM_NAMES
    stream = streams[0]
    assert stream["supported_sync_modes"] == ["full_refresh", "incremental"]
    assert stream["source_defined_primary_key"] == [["stock_ticker"], ["timestamp"]]
    assert stream["default_cursor_field"] == ["timestamp"]
    assert sandbox.data_requests() == []
    assert_key_hidden(run, sandbox)


def test_full_refresh_of_minute_bars_across_pages_reads_every_bar_once(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_now(MONTH_END_SATURDAY)
    config = make_config(
        sandbox,
        tickers=["AAPL", "MSFT"],
        timespan="minute",
        end_date="2024-03-28",
        adjusted=False,
    )
    run = run_connector(
        "read", tmp_path, config=config, catalog=catalog("full_refresh"), now=MONTH_END_SATURDAY
    )
    assert run.returncode == 0, run.errors
    want = expected(sandbox, ["AAPL", "MSFT"], "2024-01-02", "2024-03-28", "minute", adjusted=False)
    assert run.records == want
    # 2024-01-02..03-28 holds 61 trading days of 960 minute bars: two pages of at most 50000
    # per ticker, the second from the 50001st bar, 2024-03-18 05:20 in New York.
    assert pages_by_ticker([r.path for r in sandbox.data_requests()]) == {
        ticker: [
            f"/v2/aggs/ticker/{ticker}/range/1/minute/2024-01-02/2024-03-28",
            f"/v2/aggs/ticker/{ticker}/range/1/minute/1710753600000/2024-03-28",
        ]
        for ticker in ("AAPL", "MSFT")
    }
    assert all("adjusted=false" in r.query for r in sandbox.data_requests())
    assert_key_hidden(run, sandbox)


@pytest.mark.parametrize("unbuffered", ["1", ""], ids=["PYTHONUNBUFFERED", "buffered"])
def test_each_page_leaves_as_its_records_then_its_log_line_then_its_state(
    sandbox: Sandbox, tmp_path: Path, unbuffered: str
) -> None:
    """Records are written on a faster path than logs and states; the order must not change."""
    sandbox.set_now(MONTH_END_SATURDAY)
    config = make_config(
        sandbox, tickers=["AAPL", "MSFT"], timespan="minute", end_date="2024-03-28"
    )
    run = run_connector(
        "read",
        tmp_path,
        config=config,
        catalog=catalog("incremental"),
        now=MONTH_END_SATURDAY,
        extra_env={"PYTHONUNBUFFERED": unbuffered},
        as_process=True,  # what is checked is the process's stdout, buffered or not
    )
    assert run.returncode == 0, run.errors
    page_lines: list[str] = []
    records: list[dict[str, Any]] = []
    log_line: str | None = None
    for message in run.messages:
        if message["type"] == "RECORD":
            assert log_line is None, "a record came between a page's log line and its state"
            records.append(message["record"]["data"])
        elif message["type"] == "LOG" and " bars from " in message["log"]["message"]:
            log_line = message["log"]["message"]
            ticker, count = log_line.split(" ")[0], int(log_line.split(": ")[1].split(" ")[0])
            assert len(records) == count and {r["stock_ticker"] for r in records} == {ticker}
        elif message["type"] == "STATE":
            assert log_line is not None, "a state came before its page's log line"
            ticker = log_line.split(" ")[0]
            state = message["state"]["stream"]["stream_state"]
            assert state[ticker] == {"timestamp": records[-1]["timestamp"]}
            page_lines.append(log_line)
            records, log_line = [], None
    assert records == [] and log_line is None
    assert page_lines == [
        "AAPL page 1: 50000 bars from 2024-01-02T09:00:00Z to 2024-03-18T09:19:00Z; more follow.",
        "AAPL page 2: 8560 bars from 2024-03-18T09:20:00Z to 2024-03-28T23:59:00Z; done, "
        "58560 bars in 2 requests.",
        "MSFT page 1: 50000 bars from 2024-01-02T09:00:00Z to 2024-03-18T09:19:00Z; more follow.",
        "MSFT page 2: 8560 bars from 2024-03-18T09:20:00Z to 2024-03-28T23:59:00Z; done, "
        "58560 bars in 2 requests.",
    ]


def test_given_a_day_passes_when_incremental_then_only_new_bars_and_the_reread_one(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    tickers = ["AAPL", "MSFT", "NVDA"]
    first = run_connector(
        "read", tmp_path, config=make_config(sandbox), catalog=catalog(), now=WEDNESDAY_NOON
    )
    assert first.returncode == 0, first.errors
    assert first.records == expected(sandbox, tickers, "2024-01-02", "2024-03-06")
    # Wednesday's bar is still forming: emitted, but the cursor stays on Tuesday.
    tuesday = "2024-03-05T05:00:00Z"
    assert first.states[-1] == saved_state(AAPL=tuesday, MSFT=tuesday, NVDA=tuesday)
    assert_key_hidden(first, sandbox)

    sandbox.advance(days=1)
    sandbox.clear_requests()
    thursday_noon = datetime(2024, 3, 7, 17, 0, tzinfo=timezone.utc)
    second = run_connector(
        "read",
        tmp_path,
        config=make_config(sandbox),
        catalog=catalog(),
        state=last_state_message(first),
        now=thursday_noon,
    )
    assert second.returncode == 0, second.errors
    # Wednesday, final now, for all three tickers in one grouped request; Thursday is still
    # forming: the first sync after its session reads it (planner.py).
    assert second.records == expected(sandbox, tickers, "2024-03-06", "2024-03-06")
    assert [r.path for r in sandbox.data_requests()] == [
        "/v2/aggs/grouped/locale/us/market/stocks/2024-03-06"
    ]
    wednesday = "2024-03-06T05:00:00Z"
    assert second.states[-1] == saved_state(AAPL=wednesday, MSFT=wednesday, NVDA=wednesday)
    assert_key_hidden(second, sandbox)
    # After primary-key dedupe the destination holds every bar exactly once, in its final form.
    merged = by_key(first.records + second.records)
    assert merged == by_key(expected(sandbox, tickers, "2024-01-02", "2024-03-06"))


def test_given_nothing_new_when_incremental_then_no_records_and_no_request(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_now(SATURDAY)
    config = make_config(sandbox, tickers=["AAPL", "MSFT"])
    first = run_connector("read", tmp_path, config=config, catalog=catalog(), now=SATURDAY)
    friday = "2024-03-08T05:00:00Z"
    assert first.states[-1] == saved_state(AAPL=friday, MSFT=friday)
    assert_key_hidden(first, sandbox)
    again = sync_again(sandbox, tmp_path, config, first, SATURDAY)
    assert again.returncode == 0
    assert again.records == []
    # Friday's bars are the cursors and it is Saturday: the market has not been open since.
    assert sandbox.data_requests() == []
    assert again.states[-1] == first.states[-1]
    assert_key_hidden(again, sandbox)


def test_the_tutorial_config_and_state_keep_working(sandbox: Sandbox, tmp_path: Path) -> None:
    """The tutorial's config had only a key and one ticker; its state was one date."""
    config = {"api_key": SANDBOX_KEY, "stock_ticker": "AAPL", "api_url": sandbox.url}
    legacy_state = {"stock_prices": {"date": "2024-03-01"}}
    run = run_connector(
        "read", tmp_path, config=config, catalog=catalog(), state=legacy_state, now=WEDNESDAY_NOON
    )
    assert run.returncode == 0, run.errors
    assert run.records == expected(sandbox, ["AAPL"], "2024-03-04", "2024-03-06")
    assert [r.path for r in sandbox.data_requests()] == [
        "/v2/aggs/ticker/AAPL/range/1/day/2024-03-02/2024-03-06"
    ]
    assert_key_hidden(run, sandbox)


def test_given_the_free_plan_pace_when_read_then_every_record_arrives(tmp_path: Path) -> None:
    """5 requests per window, with the minute scaled down to 3 seconds on both sides."""
    tickers = ["AAPL", "MSFT", "NVDA", "TSLA", "GOOGL"]
    with Sandbox(now=SATURDAY, seed=1, rate_window_seconds=3) as sandbox:
        config = make_config(
            sandbox,
            api_key="sandbox-free-key",
            tickers=tickers,
            timespan="hour",
            start_date="2023-12-01",
            end_date="2024-03-08",
            requests_per_minute=100,
        )
        run = run_connector(
            "read", tmp_path, config=config, catalog=catalog("full_refresh"), now=SATURDAY
        )
        assert run.returncode == 0, run.errors
        assert run.records == expected(sandbox, tickers, "2023-12-01", "2024-03-08", "hour")
        served = [r for r in sandbox.data_requests() if r.status == 200]
        assert len(served) == 10  # two pages per ticker (64,320 minutes), each served once
        assert_key_hidden(run, sandbox, "sandbox-free-key")

"""Tickers the API does not know, end to end against the sandbox (in process, clocks injected):
the sync that first finds nothing warns once and gives them a cursor, so the next incremental
sync reads only what is new, on the grouped path and the per-ticker path alike
(prices/empty.py)."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import ConnectorRun, catalog, run_connector
from integration_tests.helpers import SATURDAY, expected, sandbox_config, saved_state, sync_again
from polygon_sandbox import TICKERS, Sandbox

pytestmark = pytest.mark.sandbox_now(SATURDAY)

GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"
KNOWN = list(TICKERS[:5])
UNKNOWN = [f"ZZZ{letter}" for letter in "ABCDEFGHIJ"]
# Friday 2024-03-08, 01:00 in New York: Thursday's bar is complete, Friday's not begun.
THURSDAY_NIGHT = datetime(2024, 3, 8, 6, 0, tzinfo=timezone.utc)
THU = "2024-03-07T05:00:00Z"
FRI = "2024-03-08T05:00:00Z"
# Sunday 2024-03-10 and Monday 2024-03-11 (11:00 in New York, in session).
SUNDAY = datetime(2024, 3, 10, 17, 0, tzinfo=timezone.utc)
MONDAY_MORNING = datetime(2024, 3, 11, 15, 0, tzinfo=timezone.utc)


def warnings(run: ConnectorRun) -> list[str]:
    return [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]


def paths(sandbox: Sandbox) -> list[str]:
    return sorted(request.path for request in sandbox.data_requests())


def no_bars(ticker: str, first: str, last: str) -> str:
    return (
        f"{ticker}: the API returned no bars from {first} to {last}, a range with trading days. "
        "Check the symbol."
    )


def all_at(timestamp: str) -> dict[str, Any]:
    """The daily state with every configured ticker's cursor on `timestamp`."""
    return {**saved_state(), **{t: {"timestamp": timestamp} for t in KNOWN + UNKNOWN}}


def by_date(record: dict[str, Any]) -> tuple[str, str]:
    """Grouped days come in date order, each in configuration order."""
    return record["date"], str(KNOWN.index(record["stock_ticker"]))


def first_daily_sync(sandbox: Sandbox, tmp_path: Path) -> tuple[dict[str, Any], ConnectorRun]:
    sandbox.set_now(THURSDAY_NIGHT)
    config = sandbox_config(sandbox, tickers=KNOWN + UNKNOWN, start_date="2024-03-04")
    run = run_connector("read", tmp_path, config=config, catalog=catalog(), now=THURSDAY_NIGHT)
    assert run.returncode == 0, run.errors
    return config, run


def test_unknown_daily_tickers_are_warned_once_and_saved_on_the_last_grouped_day(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    _, run = first_daily_sync(sandbox, tmp_path)

    assert paths(sandbox) == [f"{GROUPED}2024-03-0{day}" for day in (4, 5, 6, 7)]
    want = expected(sandbox, KNOWN, "2024-03-04", "2024-03-07")
    assert sorted(run.records, key=by_date) == sorted(want, key=by_date)
    # Every ticker absent from Thursday's answered grouped day has no bar through Thursday.
    assert run.states[-1] == all_at(THU)
    assert warnings(run) == [no_bars(t, "2024-03-04", "2024-03-07") for t in UNKNOWN]


def test_one_trading_day_later_unknown_daily_tickers_cost_one_grouped_day_and_no_warning(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config, first = first_daily_sync(sandbox, tmp_path)

    second = sync_again(sandbox, tmp_path, config, first, SATURDAY)

    assert second.returncode == 0, second.errors
    assert warnings(second) == []
    assert paths(sandbox) == [f"{GROUPED}2024-03-08"]
    assert second.records == expected(sandbox, KNOWN, "2024-03-08", "2024-03-08")
    assert second.states[-1] == all_at(FRI)
    assert [line for line in second.logs if line.startswith("Plan: 1 grouped")] == [
        "Plan: 1 grouped-daily request (2024-03-08) for 15 tickers, 0 per-ticker requests: "
        "1 request in all."
    ]


def test_an_unknown_minute_ticker_resumes_where_the_answered_range_ended(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Its cursor follows the known ticker's rule: the last complete minute the market's hours
    allow (Friday 19:59 New York on Saturday; at 11:00 Monday, 10:59, as AAPL's)."""
    config = sandbox_config(
        sandbox, tickers=["ZZZZ", "AAPL"], timespan="minute", start_date="2024-03-04"
    )
    first = run_connector("read", tmp_path, config=config, catalog=catalog(), now=SATURDAY)
    assert first.returncode == 0, first.errors
    assert paths(sandbox) == [
        "/v2/aggs/ticker/AAPL/range/1/minute/2024-03-04/2024-03-09",
        "/v2/aggs/ticker/ZZZZ/range/1/minute/2024-03-04/2024-03-09",
    ]
    friday_close = "2024-03-09T00:59:00Z"  # Friday 19:59 New York: the session's last minute
    assert first.states[-1] == saved_state(timespan="minute", ZZZZ=friday_close, AAPL=friday_close)
    assert warnings(first) == [no_bars("ZZZZ", "2024-03-04", "2024-03-09")]

    # Sunday: the market has not been open since either cursor: no request at all.
    sunday = sync_again(sandbox, tmp_path, config, first, SUNDAY)
    assert sunday.returncode == 0, sunday.errors
    assert paths(sandbox) == []
    assert sunday.states[-1] == first.states[-1]
    assert warnings(sunday) == []

    # Monday in session: one request each, from the end of Friday's last minute; the cursor
    # stops before the minute still forming.
    monday = sync_again(sandbox, tmp_path, config, sunday, MONDAY_MORNING)
    assert monday.returncode == 0, monday.errors
    after_friday = "1709946000000"  # 2024-03-09T01:00:00Z, Friday 20:00 New York
    assert paths(sandbox) == [
        f"/v2/aggs/ticker/{ticker}/range/1/minute/{after_friday}/2024-03-11"
        for ticker in ("AAPL", "ZZZZ")
    ]
    assert monday.states[-1] == saved_state(
        timespan="minute", ZZZZ="2024-03-11T14:59:00Z", AAPL="2024-03-11T14:59:00Z"
    )
    assert warnings(monday) == []


def test_an_unknown_daily_ticker_read_per_ticker_resumes_after_its_last_complete_day(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Few tickers, far behind: read per ticker; the unknown one's cursor is the last complete
    trading day of the answered range, as the known one's."""
    config = sandbox_config(sandbox, tickers=["ZZZZ", "AAPL"], start_date="2024-03-04")
    first = run_connector("read", tmp_path, config=config, catalog=catalog(), now=SATURDAY)
    assert first.returncode == 0, first.errors
    assert paths(sandbox) == [
        "/v2/aggs/ticker/AAPL/range/1/day/2024-03-04/2024-03-09",
        "/v2/aggs/ticker/ZZZZ/range/1/day/2024-03-04/2024-03-09",
    ]
    assert first.states[-1] == saved_state(ZZZZ=FRI, AAPL=FRI)
    assert warnings(first) == [no_bars("ZZZZ", "2024-03-04", "2024-03-09")]

    sunday = sync_again(sandbox, tmp_path, config, first, SUNDAY)
    assert sunday.returncode == 0, sunday.errors
    assert paths(sandbox) == []
    assert sunday.states[-1] == first.states[-1]
    assert warnings(sunday) == []

    # Monday in session: one day pending for both, which the planner reads grouped, and only
    # once its session has ended (grouped_plan.py): no request yet, cursors unchanged.
    monday = sync_again(sandbox, tmp_path, config, sunday, MONDAY_MORNING)
    assert monday.returncode == 0, monday.errors
    assert paths(sandbox) == []
    assert monday.states[-1] == first.states[-1]
    assert warnings(monday) == []

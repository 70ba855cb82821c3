"""Bars whose size does not divide a day, and pages of second bars, against the sandbox.

The sandbox buckets intraday bars from 00:00 New York each day and cuts the last one at the next
midnight, as the API does. A sync that misplaces a bar's end resumes inside that bar, and the
destination keeps the partial bar the API then serves under the same key.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest

from integration_tests.connector_process import catalog, run_connector
from integration_tests.helpers import record_of, sandbox_config, saved_state, sync_again
from polygon_sandbox import Sandbox
from source_stock_ticker_api.bars import MAX_BARS_PER_PAGE, bar_end_ms

# Thursday 2024-03-07, 12:00 in New York: that day's first 17-hour bar is forming.
THURSDAY_NOON = datetime(2024, 3, 7, 17, 0, tzinfo=timezone.utc)
# Thursday 2024-03-07, 21:00 in New York: the session is over, the 17:00 bar runs to midnight.
THURSDAY_EVENING = datetime(2024, 3, 8, 2, 0, tzinfo=timezone.utc)
# Friday 2024-03-08, 12:00 in New York.
FRIDAY_NOON = datetime(2024, 3, 8, 17, 0, tzinfo=timezone.utc)


pytestmark = pytest.mark.sandbox_now(THURSDAY_NOON)


def config(sandbox: Sandbox, timespan: str, multiplier: int, start: str) -> dict[str, Any]:
    return sandbox_config(sandbox, start_date=start, timespan=timespan, multiplier=multiplier)


def records(sandbox: Sandbox, multiplier: int, timespan: str, start: str, end: str) -> list[Any]:
    bars = sandbox.expected_bars("AAPL", multiplier, timespan, start, end)
    return [record_of("AAPL", bar) for bar in bars]


def test_given_17_hour_bars_when_syncs_follow_a_day_then_no_partial_bar_is_left_behind(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    settings = config(sandbox, "hour", 17, "2024-03-04")

    # Thursday noon: Monday to Wednesday are complete (00:00-17:00 and 17:00-24:00 each day),
    # Thursday's 00:00 bar is forming. The state stays on Wednesday's 17:00 bar.
    first = run_connector("read", tmp_path, config=settings, catalog=catalog(), now=THURSDAY_NOON)
    assert first.returncode == 0, first.stderr
    assert first.records == records(sandbox, 17, "hour", "2024-03-04", "2024-03-07")
    assert [r["timestamp"] for r in first.records] == [
        "2024-03-04T05:00:00Z",
        "2024-03-04T22:00:00Z",
        "2024-03-05T05:00:00Z",
        "2024-03-05T22:00:00Z",
        "2024-03-06T05:00:00Z",
        "2024-03-06T22:00:00Z",
        "2024-03-07T05:00:00Z",
    ]
    assert first.states[-1] == saved_state("hour", 17, AAPL="2024-03-06T22:00:00Z")

    # Thursday evening: the next sync starts at Thursday's midnight, where the forming bar
    # starts, and reads it whole. The 17:00 bar runs until midnight: still forming.
    second = sync_again(sandbox, tmp_path, settings, first, THURSDAY_EVENING)
    assert second.returncode == 0, second.stderr
    (request,) = sandbox.data_requests()
    assert request.path == "/v2/aggs/ticker/AAPL/range/17/hour/2024-03-07/2024-03-07"
    assert second.records == records(sandbox, 17, "hour", "2024-03-07", "2024-03-07")
    assert [r["timestamp"] for r in second.records] == [
        "2024-03-07T05:00:00Z",
        "2024-03-07T22:00:00Z",
    ]
    assert second.states[-1] == saved_state("hour", 17, AAPL="2024-03-07T05:00:00Z")

    # Friday noon: Thursday's 17:00 bar is re-read in its final form.
    third = sync_again(sandbox, tmp_path, settings, second, FRIDAY_NOON)
    assert third.returncode == 0, third.stderr
    (request,) = sandbox.data_requests()
    assert request.path == "/v2/aggs/ticker/AAPL/range/17/hour/1709848800000/2024-03-08"
    assert [r["timestamp"] for r in third.records] == [
        "2024-03-07T22:00:00Z",
        "2024-03-08T05:00:00Z",
    ]
    assert third.states[-1] == saved_state("hour", 17, AAPL="2024-03-07T22:00:00Z")

    # What an Append + Deduped destination holds: every bar as one uninterrupted read gives it.
    kept = {r["timestamp"]: r for run in (first, second, third) for r in run.records}
    assert list(kept.values()) == records(sandbox, 17, "hour", "2024-03-04", "2024-03-08")


@pytest.mark.parametrize(
    ("multiplier", "timespan", "start", "end"),
    [
        (17, "hour", "2024-03-04", "2024-03-15"),
        (1000, "minute", "2024-03-04", "2024-03-15"),
        (5, "hour", "2024-03-04", "2024-03-15"),
        (7, "minute", "2024-03-07", "2024-03-12"),
        (3, "day", "2024-01-03", "2024-04-30"),
        (1, "week", "2024-01-03", "2024-06-28"),
        (2, "week", "2024-01-03", "2024-06-28"),
        (2, "month", "2023-11-15", "2024-06-28"),
        (1, "quarter", "2023-02-15", "2024-06-28"),
    ],
)
def test_given_a_bar_when_a_read_resumes_at_its_end_then_the_next_bar_is_whole(
    sandbox: Sandbox, multiplier: int, timespan: str, start: str, end: str
) -> None:
    """Where the connector says each bar ends agrees with how the sandbox buckets bars: a
    request starting there serves the following bar exactly as an uninterrupted read does."""
    sandbox.set_now(datetime(2024, 7, 1, tzinfo=timezone.utc))
    whole = sandbox.expected_bars("AAPL", multiplier, timespan, start, end)
    assert len(whole) > 3
    for bar, following in zip(whole, whole[1:], strict=False):
        resumed_at = bar_end_ms(bar["t"], timespan, multiplier)
        resumed = sandbox.expected_bars("AAPL", multiplier, timespan, resumed_at, end)
        assert resumed[0] == following, f"resumed at {resumed_at} after the bar at {bar['t']}"


def test_given_second_bars_when_read_then_each_page_holds_at_most_50000_bars(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """`limit` counts minutes for second bars: 833 minutes hold at most 49,980 one-second bars.

    Tuesday's 960 minutes with trades take two pages, where limit=50000 took one page of every
    second bar of the window (a memory held at once that grows with the window).
    """
    sandbox.set_now(THURSDAY_NOON)
    run = run_connector(
        "read",
        tmp_path,
        config={**config(sandbox, "second", 1, "2024-03-05"), "end_date": "2024-03-05"},
        catalog=catalog("full_refresh"),
        now=THURSDAY_NOON,
    )
    assert run.returncode == 0, run.stderr
    assert run.records == records(sandbox, 1, "second", "2024-03-05", "2024-03-05")
    requests = sandbox.data_requests()
    assert [parse_qs(r.query)["limit"] for r in requests] == [["833"], ["833"]]
    minutes = {record["timestamp"][:16] for record in run.records}
    assert len(requests) == math.ceil(len(minutes) / 833) == 2
    assert [r.results_count for r in requests] == [
        sum(1 for record in run.records if record["timestamp"][:16] in first_minutes)
        for first_minutes in (sorted(minutes)[:833], sorted(minutes)[833:])
    ]
    assert max(r.results_count for r in requests) <= MAX_BARS_PER_PAGE

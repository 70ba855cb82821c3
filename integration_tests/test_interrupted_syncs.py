"""Interrupted syncs: the connector SIGKILLed at seeded random points of a long sync, restarted
each time from the last STATE it emitted, as the platform does after a crash.

The union of the records read must be the full set, and each kill may cost at most the records
of the page in progress: those read after the last STATE before the kill, read again on the
restart. Only lines read from the pipe before the kill count, as for the platform.
"""

from __future__ import annotations

import random
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    ConnectorRun,
    StreamedRun,
    assert_secret_nowhere,
    catalog,
    stream_connector,
)
from integration_tests.helpers import SATURDAY, expected, sandbox_config
from polygon_sandbox import Plan, Sandbox

SECRET_KEY = "sk_interrupted_3Vb8Nc1Ht6"
TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA"]
START, END = "2023-12-01", "2024-03-08"  # hour bars: two pages per ticker, eight in all
PAGE_MINUTES = 50_000  # what `limit` counts for hour bars: a page holds at most 833 of them
KILLS = 4
SEED = 20261123


def hour_config(sandbox: Sandbox, **fields: Any) -> dict[str, Any]:
    # Ten requests in flight, the default: kills come with pages asked for and not written.
    return sandbox_config(
        sandbox, api_key=SECRET_KEY, timespan="hour", max_concurrent_requests=10, **fields
    )


def as_connector_run(run: StreamedRun) -> ConnectorRun:
    return ConnectorRun(run.returncode, "\n".join(run.lines), run.stderr, run.messages)


def records_after_last_state(run: StreamedRun) -> int:
    tail = 0
    for message in run.messages:
        if message.get("type") == "STATE":
            tail = 0
        elif message.get("type") == "RECORD":
            tail += 1
    return tail


def test_given_kills_at_random_points_when_resumed_from_the_last_state_then_nothing_is_lost(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    with Sandbox(now=SATURDAY, seed=3, keys={SECRET_KEY: Plan()}) as sandbox:
        config = hour_config(sandbox, tickers=TICKERS, start_date=START, end_date=END)
        want = expected(sandbox, TICKERS, START, END, "hour")
        # A page holds whole hour bars while their minutes fit in `limit`: 16 full hours a day.
        largest_page = PAGE_MINUTES // 60

        union: list[dict[str, Any]] = []
        state: Any = None
        tails: list[int] = []
        kill_points: list[int] = []
        asked_ahead: list[set[str]] = []  # per kill: tickers asked for, none of it written
        for attempt in range(KILLS + 1):
            sandbox.clear_requests()
            kill_after = None
            if attempt < KILLS:
                remaining = len(want) - len(union) + sum(tails)
                kill_after = rng.randint(1, max(1, remaining // 2))
                kill_points.append(kill_after)
            run = stream_connector(
                "read",
                tmp_path,
                config=config,
                catalog=catalog("incremental"),
                state=state,
                now=SATURDAY,
                kill_after_records=kill_after,
                timeout=120,
            )
            assert_secret_nowhere(as_connector_run(run), sandbox, SECRET_KEY)
            union += run.records
            if kill_after is None:
                assert run.returncode == 0, run.stderr[-2000:]
                assert not run.killed
            else:
                assert run.killed and run.returncode != 0
                tail = records_after_last_state(run)
                assert tail <= largest_page
                tails.append(tail)
                asked = {r.path.split("/")[4] for r in sandbox.data_requests()}
                asked_ahead.append(asked - {r["stock_ticker"] for r in run.records})
            state_messages = run.state_messages()
            if state_messages:
                state = [state_messages[-1]]

        counts: dict[tuple[str, str], int] = {}
        for record in union:
            key = (record["stock_ticker"], record["timestamp"])
            counts[key] = counts.get(key, 0) + 1
        wanted = {(r["stock_ticker"], r["timestamp"]): r for r in want}
        assert set(counts) == set(wanted), "a bar was lost across the kills"
        assert {(r["stock_ticker"], r["timestamp"]): r for r in union} == wanted
        duplicates = len(union) - len(counts)
        with capsys.disabled():  # shown with or without -s
            print(
                f"\nInterrupted syncs: {KILLS} kills after {kill_points} records, "
                f"{KILLS + 1} syncs, {len(union)} records read for {len(wanted)} bars, "
                f"{duplicates} read twice (records after the last STATE per kill: {tails}), "
                f"{len(set(wanted) - set(counts))} lost; largest page {largest_page}",
                flush=True,
            )
        # Kills came with requests in flight or pages waiting, of tickers not written yet.
        assert any(asked_ahead), asked_ahead
        # A restart reads again exactly what followed the last STATE before the kill.
        assert duplicates == sum(tails), (kill_points, tails)
        assert duplicates <= KILLS * largest_page


def test_given_a_complete_intraday_sync_when_rerun_then_no_false_warning(tmp_path: Path) -> None:
    with Sandbox(now=SATURDAY, seed=3, keys={SECRET_KEY: Plan()}) as sandbox:
        config = hour_config(sandbox, start_date="2024-03-04", end_date="2024-03-08")
        first = stream_connector(
            "read", tmp_path, config=config, catalog=catalog("incremental"), now=SATURDAY
        )
        assert first.returncode == 0
        again = stream_connector(
            "read",
            tmp_path,
            config=config,
            catalog=catalog("incremental"),
            state=first.state_messages()[-1:],
            now=SATURDAY,
        )
        assert again.returncode == 0 and again.records == []
        warnings = [
            m["log"]["message"]
            for m in again.messages
            if m.get("type") == "LOG" and m["log"]["level"] in ("WARN", "WARNING")
        ]
        assert warnings == []

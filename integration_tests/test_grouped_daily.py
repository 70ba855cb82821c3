"""Daily bars read with the grouped daily endpoint, end to end: the connector as a subprocess
against the sandbox, counting the requests the sandbox saw (planner.py, grouped.py)."""

from __future__ import annotations

import re
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    ConnectorRun,
    catalog,
    last_state_message,
    run_connector,
    stream_connector,
)
from integration_tests.helpers import (
    SATURDAY,
    assert_key_hidden,
    expected,
    sandbox_config,
    saved_state,
    sync_again,
)
from polygon_sandbox import TICKERS, Sandbox

pytestmark = pytest.mark.sandbox_now(SATURDAY)

GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"
THU = "2024-03-07T05:00:00Z"
FRI = "2024-03-08T05:00:00Z"
TWENTY = list(TICKERS[:20])
# Friday 2024-03-08, 11:00 and 21:00 in New York.
FRIDAY_MORNING = datetime(2024, 3, 8, 16, 0, tzinfo=timezone.utc)
FRIDAY_EVENING = datetime(2024, 3, 9, 2, 0, tzinfo=timezone.utc)
# OTC (TCEHY), a split after these days (NVDA), bars without vw/n (MSFT on 03-06, MNF and TYP
# on 03-07).
MIXED = ["AAPL", "MSFT", "NVDA", "TSLA", "TCEHY", "MNF", "TYP", "SPY"]
EMITTED_AT = re.compile(r',"emitted_at":\d+')


def read(
    sandbox: Sandbox, workdir: Path, config: dict[str, Any], state: Any = None, now: Any = None
) -> ConnectorRun:
    sandbox.clear_requests()
    return run_connector(
        "read", workdir, config=config, catalog=catalog(), state=state, now=now or SATURDAY
    )


def same_cursor(tickers: list[str], timestamp: str, adjusted: bool = True) -> dict[str, Any]:
    """The stream state with the same cursor for every ticker."""
    settings = {"timespan": "day", "multiplier": 1, "adjusted": adjusted}
    return {"bar_settings": settings, **{t: {"timestamp": timestamp} for t in tickers}}


def cursors(tickers: list[str], timestamp: str, adjusted: bool = True) -> list[dict[str, Any]]:
    """A state file holding the same cursor for every ticker."""
    state = same_cursor(tickers, timestamp, adjusted)
    descriptor = {"stream_descriptor": {"name": "stock_prices"}, "stream_state": state}
    return [{"type": "STREAM", "stream": descriptor}]


def paths(sandbox: Sandbox) -> list[str]:
    """The paths asked, sorted: requests in flight reach the sandbox in any order."""
    return sorted(request.path for request in sandbox.data_requests())


def plan_lines(run: ConnectorRun) -> list[str]:
    return [line for line in run.logs if line.startswith("Plan: ")]


def record_lines(run: ConnectorRun) -> set[str]:
    """The RECORD lines as the platform receives them, without their emission time."""
    return {
        EMITTED_AT.sub("", line)
        for line in run.stdout.splitlines()
        if line.startswith('{"type":"RECORD"')
    }


def test_twenty_tickers_one_day_behind_take_one_request(sandbox: Sandbox, tmp_path: Path) -> None:
    config = sandbox_config(sandbox, tickers=TWENTY, start_date="2024-01-02")

    run = read(sandbox, tmp_path, config, cursors(TWENTY, THU))

    assert run.returncode == 0, run.stderr
    assert paths(sandbox) == [f"{GROUPED}2024-03-08"]
    assert run.records == expected(sandbox, TWENTY, "2024-03-08", "2024-03-08")
    assert run.states[-1] == same_cursor(TWENTY, FRI)
    assert plan_lines(run) == [
        "Plan: 1 grouped-daily request (2024-03-08) for 20 tickers, 0 per-ticker requests: "
        "1 request in all.",
        "Plan: 20 tickers to read, about 20 bars in about 1 request.",
    ]
    assert_key_hidden(run, sandbox)


def test_a_two_year_backfill_of_three_tickers_takes_three_requests(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    tickers = ["AAPL", "MSFT", "TCEHY"]
    config = sandbox_config(sandbox, tickers=tickers, start_date="2022-03-09")

    run = read(sandbox, tmp_path, config)

    assert run.returncode == 0, run.stderr
    assert paths(sandbox) == sorted(
        f"/v2/aggs/ticker/{ticker}/range/1/day/2022-03-09/2024-03-09" for ticker in tickers
    )
    assert run.records == expected(sandbox, tickers, "2022-03-09", "2024-03-09")
    assert len(run.records) == 3 * 503


def test_seventeen_tickers_behind_and_three_new_take_one_grouped_and_three_requests(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    behind, new = TWENTY[:17], TWENTY[17:]
    config = sandbox_config(sandbox, tickers=TWENTY, start_date="2022-03-09")

    run = read(sandbox, tmp_path, config, cursors(behind, THU))

    assert run.returncode == 0, run.stderr
    assert paths(sandbox) == sorted(
        [f"{GROUPED}2024-03-08"]
        + [f"/v2/aggs/ticker/{ticker}/range/1/day/2022-03-09/2024-03-09" for ticker in new]
    )
    want = expected(sandbox, behind, "2024-03-08", "2024-03-08") + expected(
        sandbox, new, "2022-03-09", "2024-03-09"
    )
    assert run.records == want
    assert run.states[-1] == same_cursor(TWENTY, FRI)
    assert plan_lines(run) == [
        f"Plan: 1 grouped-daily request (2024-03-08) for 17 tickers, 3 per-ticker requests "
        f"({', '.join(new)}): 4 requests in all.",
        "Plan: 20 tickers to read, about 1526 bars in about 4 requests.",
    ]


@pytest.mark.parametrize(
    ("adjusted", "now"),
    [(True, SATURDAY), (False, FRIDAY_EVENING)],
    ids=["adjusted-saturday", "unadjusted-friday-evening"],
)
def test_grouped_and_per_ticker_reads_give_the_same_records_and_state(
    sandbox: Sandbox, tmp_path: Path, adjusted: bool, now: datetime
) -> None:
    """Five days of eight tickers cost 5 grouped requests; half of them alone cost 4 per-ticker
    requests, fewer than 5 grouped ones: two such syncs read the same days per ticker. On
    Friday evening, Friday's bar is final but not complete: read, and not saved, by both."""
    sandbox.set_now(now)

    def sync(tickers: list[str]) -> ConnectorRun:
        config = sandbox_config(
            sandbox, tickers=tickers, start_date="2024-01-02", adjusted=adjusted
        )
        state = cursors(tickers, "2024-03-01T05:00:00Z", adjusted)
        run = read(sandbox, tmp_path, config, state, now)
        assert run.returncode == 0, run.stderr
        return run

    grouped = sync(MIXED)
    assert paths(sandbox) == [f"{GROUPED}2024-03-0{day}" for day in (4, 5, 6, 7, 8)]
    first, second = sync(MIXED[:4]), sync(MIXED[4:])
    assert not any(GROUPED in path for path in paths(sandbox))

    per_ticker = record_lines(first) | record_lines(second)
    assert record_lines(grouped) == per_ticker
    assert len(per_ticker) == 8 * 5
    merged = {**first.states[-1], **second.states[-1]}
    assert grouped.states[-1] == merged
    last_complete = FRI if now == SATURDAY else THU
    assert merged == same_cursor(MIXED, last_complete, adjusted)


def test_an_unknown_symbol_and_a_day_in_session_then_the_next_syncs(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    tickers = ["AAPL", "MSFT", "TCEHY", "ZZZZ"]
    config = sandbox_config(sandbox, tickers=tickers, start_date="2024-01-02")
    sandbox.set_now(FRIDAY_MORNING)

    run = read(sandbox, tmp_path, config, cursors(tickers, "2024-03-06T05:00:00Z"), FRIDAY_MORNING)

    # Friday is still in session: only Thursday is read, and ZZZZ is in neither day.
    assert paths(sandbox) == [f"{GROUPED}2024-03-07"]
    assert run.records == expected(sandbox, tickers[:3], "2024-03-07", "2024-03-07")
    assert [r["otc"] for r in run.records] == [False, False, True]
    # ZZZZ, absent from Thursday's grouped day, has no bar that day: its cursor moves there too.
    assert run.states[-1] == saved_state(AAPL=THU, MSFT=THU, TCEHY=THU, ZZZZ=THU)
    # It had a cursor: the sync that first found nothing for it warned (test_unknown_tickers.py).
    warnings = [m["log"]["message"] for m in run.of_type("LOG") if m["log"]["level"] == "WARN"]
    assert warnings == []
    assert plan_lines(run) == [
        "Plan: 1 grouped-daily request (2024-03-07) for 4 tickers, 0 per-ticker requests: "
        "1 request in all. 2024-03-08 has not closed yet: the first sync after 20:00 New York "
        "time reads it for the tickers read grouped.",
        "Plan: 4 tickers to read, about 4 bars in about 1 request.",
    ]

    # After the session: Friday's final bars, but the cursors wait for the day to end.
    evening = sync_again(sandbox, tmp_path, config, run, FRIDAY_EVENING)
    assert paths(sandbox) == [f"{GROUPED}2024-03-08"]
    assert evening.records == expected(sandbox, tickers[:3], "2024-03-08", "2024-03-08")
    assert evening.states[-1] == run.states[-1]

    saturday = sync_again(sandbox, tmp_path, config, evening, SATURDAY)
    assert paths(sandbox) == [f"{GROUPED}2024-03-08"]
    assert saturday.records == evening.records
    assert saturday.states[-1] == saved_state(AAPL=FRI, MSFT=FRI, TCEHY=FRI, ZZZZ=FRI)


def test_a_sync_killed_between_grouped_days_resumes_without_a_gap(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = sandbox_config(sandbox, tickers=TWENTY, start_date="2024-01-02")
    state = cursors(TWENTY, "2024-02-29T05:00:00Z")  # six trading days behind
    want = expected(sandbox, TWENTY, "2024-03-01", "2024-03-08")

    killed = stream_connector(
        "read",
        tmp_path,
        config=config,
        catalog=catalog(),
        state=state,
        now=SATURDAY,
        kill_after_records=20 * 3 + 5,
    )
    assert killed.killed
    saved = killed.state_messages()
    assert len(saved) == 3  # one after each grouped day read in full
    sandbox.clear_requests()
    resumed = run_connector(
        "read", tmp_path, config=config, catalog=catalog(), state=saved[-1:], now=SATURDAY
    )

    assert resumed.returncode == 0, resumed.stderr
    assert paths(sandbox) == [f"{GROUPED}2024-03-0{day}" for day in (6, 7, 8)]
    assert {r["date"] for r in resumed.records} == {"2024-03-06", "2024-03-07", "2024-03-08"}
    union = {(r["stock_ticker"], r["timestamp"]): r for r in killed.records + resumed.records}
    assert sorted(union.values(), key=order) == sorted(want, key=order)
    assert resumed.states[-1] == same_cursor(TWENTY, FRI)
    assert last_state_message(resumed)[0]["stream"]["stream_state"] == resumed.states[-1]


def order(record: dict[str, Any]) -> tuple[str, str]:
    return record["date"], record["stock_ticker"]

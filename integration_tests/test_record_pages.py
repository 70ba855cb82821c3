"""Records a page at a time (cdk.RecordPage) against records one by one, end to end.

The connector writes each page of records as one message through the CDK; the
same sync with `StockTickerEntrypoint.record_pages` off takes the CDK's per-record path. Both
must write the same RECORD lines byte for byte (apart from `emitted_at`), the same STATE
messages with the same `sourceStats`, and tell the true number of records read.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import (
    REPO_ROOT,
    ConnectorRun,
    catalog,
    clock_env,
    command_line,
    connector_run,
    run_connector,
)
from integration_tests.helpers import SATURDAY, sandbox_config
from integration_tests.in_process import run_in_process
from polygon_sandbox import TICKERS, Sandbox
from source_stock_ticker_api.cdk.entrypoint import StockTickerEntrypoint

pytestmark = pytest.mark.sandbox_now(SATURDAY)

# Saturday 2024-03-30, 12:00 in New York: every minute bar of the quarter is final.
MONTH_END_SATURDAY = datetime(2024, 3, 30, 17, 0, tzinfo=timezone.utc)
EMITTED_AT = re.compile(rb',"emitted_at":\d+\}\}$')
GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"
PRICE_STREAMS = ["stock_prices", "crypto_prices", "forex_prices", "index_prices"]


def streams_catalog(names: list[str]) -> dict[str, Any]:
    """integration_tests/configured_catalog.json, limited to the streams `names`."""
    configured = json.loads(
        (REPO_ROOT / "integration_tests" / "configured_catalog.json").read_text()
    )
    return {"streams": [s for s in configured["streams"] if s["stream"]["name"] in names]}


def sync(
    workdir: Path, now: datetime, per_record: bool, **files: Mapping[str, Any] | Any
) -> tuple[list[bytes], ConnectorRun]:
    """`read`, a page at a time or one record at a time (`record_pages` off): the stdout lines
    as bytes, exactly as written to file descriptor 1, and the parsed run."""
    workdir = workdir / ("per-record" if per_record else "pages")
    workdir.mkdir()
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(StockTickerEntrypoint, "record_pages", not per_record)
        args = command_line([], "read", workdir, files)
        ran = run_in_process(args, env=clock_env(now), cwd=REPO_ROOT)
    run = connector_run(ran.exit_code, ran.stdout, ran.stderr)
    assert run.returncode == 0, (run.errors, run.stderr[-2000:])
    return ran.stdout.encode("utf-8").splitlines(), run


def record_lines(lines: list[bytes]) -> list[bytes]:
    """The RECORD lines, `emitted_at` cut out (a page has one, each record its own)."""
    return [EMITTED_AT.sub(b"}}", line) for line in lines if line.startswith(b'{"type":"RECORD"')]


def states(run: ConnectorRun) -> list[dict[str, Any]]:
    return [m["state"] for m in run.of_type("STATE")]


def read_lines(run: ConnectorRun) -> list[str]:
    return [line for line in run.logs if re.fullmatch(r"Read \d+ records from \w+ stream", line)]


def records_per_stream(run: ConnectorRun) -> dict[str, int]:
    counts: dict[str, int] = {}
    for message in run.of_type("RECORD"):
        name = message["record"]["stream"]
        counts[name] = counts.get(name, 0) + 1
    return counts


def assert_same_sync(
    pages: tuple[list[bytes], ConnectorRun], one_by_one: tuple[list[bytes], ConnectorRun]
) -> None:
    (page_lines, page_run), (single_lines, single_run) = pages, one_by_one
    assert record_lines(page_lines) == record_lines(single_lines)
    assert states(page_run) == states(single_run)
    assert read_lines(page_run) == read_lines(single_run)


def assert_state_counts_records_since_the_last_state(run: ConnectorRun) -> None:
    """Each STATE's `sourceStats.recordCount` is the records of its stream since the last one."""
    pending: dict[str, int] = {}
    counted = 0
    for message in run.messages:
        if message["type"] == "RECORD":
            name = message["record"]["stream"]
            pending[name] = pending.get(name, 0) + 1
        elif message["type"] == "STATE":
            name = message["state"]["stream"]["stream_descriptor"]["name"]
            assert message["state"]["sourceStats"] == {"recordCount": float(pending.pop(name, 0))}
            counted += 1
    assert counted and not pending


def assert_running_before_the_first_record(run: ConnectorRun, streams: list[str]) -> None:
    """The CDK's RUNNING status of each stream, once, just before its first record."""
    for name in streams:
        kinds = []
        for message in run.messages:
            if message["type"] == "RECORD" and message["record"]["stream"] == name:
                kinds.append("RECORD")
            elif (
                message["type"] == "TRACE"
                and message["trace"]["type"] == "STREAM_STATUS"
                and message["trace"]["stream_status"]["stream_descriptor"]["name"] == name
            ):
                kinds.append(message["trace"]["stream_status"]["status"])
        first = kinds.index("RECORD")
        assert kinds[:first] == ["STARTED", "RUNNING"] and "RUNNING" not in kinds[first:], name


def test_prices_of_four_markets_and_a_reference_stream_leave_as_they_did_one_by_one(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    sandbox.set_now(MONTH_END_SATURDAY)
    config = sandbox_config(
        sandbox,
        tickers=["AAPL", "X:BTCUSD", "C:EURUSD", "I:SPX"],
        timespan="minute",
        start_date="2024-01-02",
        end_date="2024-03-28",
    )
    files = {"config": config, "catalog": streams_catalog([*PRICE_STREAMS, "tickers"])}

    pages = sync(tmp_path, MONTH_END_SATURDAY, per_record=False, **files)
    one_by_one = sync(tmp_path, MONTH_END_SATURDAY, per_record=True, **files)

    assert_same_sync(pages, one_by_one)
    run = pages[1]
    counts = records_per_stream(run)
    assert counts["stock_prices"] == 58560  # two pages (50,000 and 8,560 bars)
    assert set(counts) == {*PRICE_STREAMS, "tickers"}
    assert read_lines(run) == [f"Read {counts[name]} records from {name} stream" for name in counts]
    assert_state_counts_records_since_the_last_state(run)
    assert_running_before_the_first_record(run, [*PRICE_STREAMS, "tickers"])


def test_grouped_daily_reads_leave_as_they_did_one_by_one(sandbox: Sandbox, tmp_path: Path) -> None:
    twenty = list(TICKERS[:20])
    config = sandbox_config(sandbox, tickers=twenty, start_date="2024-01-02")
    settings = {"timespan": "day", "multiplier": 1, "adjusted": True}
    behind = {
        "bar_settings": settings,
        **{t: {"timestamp": "2024-03-06T05:00:00Z"} for t in twenty},
    }
    state = [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "stock_prices"}, "stream_state": behind},
        }
    ]
    files = {"config": config, "catalog": catalog(), "state": state}

    sandbox.clear_requests()
    pages = sync(tmp_path, SATURDAY, per_record=False, **files)
    grouped = sorted(request.path for request in sandbox.data_requests())  # in flight: any order
    one_by_one = sync(tmp_path, SATURDAY, per_record=True, **files)

    assert grouped == [f"{GROUPED}2024-03-07", f"{GROUPED}2024-03-08"]
    assert_same_sync(pages, one_by_one)
    run = pages[1]
    assert len(run.records) == 40  # Thursday and Friday of twenty tickers
    assert read_lines(run) == ["Read 40 records from stock_prices stream"]
    assert [s["sourceStats"]["recordCount"] for s in states(run)] == [20.0, 20.0]


def test_given_the_cdk_record_limit_when_read_then_records_go_one_by_one_as_the_cdk_counts_them(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The CDK stops a slice at `_limit` RECORD messages: a page would count as one."""
    sandbox.set_now(MONTH_END_SATURDAY)
    config = sandbox_config(
        sandbox, tickers=["AAPL"], timespan="minute", start_date="2024-01-02", end_date="2024-03-28"
    )
    run = run_connector(
        "read",
        tmp_path,
        config={**config, "_limit": 3},
        catalog=catalog(),
        now=MONTH_END_SATURDAY,
    )

    assert run.returncode == 0, run.errors
    # Three records of the first page; the CDK reads on and stops the second after its first.
    assert [r["timestamp"] for r in run.records] == [
        "2024-01-02T09:00:00Z",
        "2024-01-02T09:01:00Z",
        "2024-01-02T09:02:00Z",
        "2024-03-18T09:20:00Z",
    ]
    assert read_lines(run) == ["Read 4 records from stock_prices stream"]

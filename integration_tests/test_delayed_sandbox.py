"""A sync against a sandbox that holds each response (network latency, drawn at random so answers
may come back in another order than asked) with `max_concurrent_requests` set: the same records,
ticker by ticker, and the same final state as a sync against a sandbox that answers at once."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from integration_tests.connector_process import ConnectorRun, catalog, run_connector
from integration_tests.helpers import SATURDAY, expected, sandbox_config
from polygon_sandbox import Sandbox

TICKERS = ["AAPL", "MSFT", "TSLA", "NVDA", "AMZN"]
RANGE = {"start_date": "2022-03-09", "end_date": "2024-03-08"}


def per_ticker(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each ticker's records in the order written (tickers may interleave)."""
    grouped: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        grouped[record["stock_ticker"]].append(record)
    return dict(grouped)


def sync(sandbox: Sandbox, workdir: Path) -> ConnectorRun:
    config = sandbox_config(sandbox, tickers=TICKERS, max_concurrent_requests=4, **RANGE)
    run = run_connector("read", workdir, config=config, catalog=catalog(), now=SATURDAY)
    assert run.returncode == 0, run.errors
    return run


def test_given_a_delayed_sandbox_when_a_sync_runs_with_requests_in_flight_then_nothing_changes(
    tmp_path: Path,
) -> None:
    with Sandbox(now=SATURDAY) as sandbox:
        prompt = sync(sandbox, tmp_path)
        prompt_requests = sorted(r.url for r in sandbox.data_requests())
        want = per_ticker(expected(sandbox, TICKERS, RANGE["start_date"], RANGE["end_date"]))
    with Sandbox(now=SATURDAY, delay=(0.01, 0.05)) as sandbox:
        delayed = sync(sandbox, tmp_path)
        held = [r.delay for r in sandbox.data_requests()]
        delayed_requests = sorted(r.url for r in sandbox.data_requests())

    assert per_ticker(delayed.records) == per_ticker(prompt.records) == want
    assert delayed.states[-1] == prompt.states[-1]
    assert delayed_requests == prompt_requests
    assert len(held) == len(TICKERS)
    assert all(0.01 <= seconds <= 0.05 for seconds in held)

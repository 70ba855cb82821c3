"""What integration tests expect of a sync against the sandbox, and the configs they give it.

The expected records are derived from the bars the sandbox says it serves, independently of the
connector's code, so a lost, doubled or wrongly converted bar fails a test.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integration_tests.connector_process import (
    ConnectorRun,
    assert_secret_nowhere,
    catalog,
    last_state_message,
    run_connector,
)
from polygon_sandbox import Sandbox
from source_stock_ticker_api.polygon import congestion, pacing

# The sandbox's key without limits: what a test uses unless it is about plans or secrets.
SANDBOX_KEY = "sandbox-unlimited-key"
NEW_YORK = ZoneInfo("America/New_York")
# Saturday 2024-03-09, 12:00 in New York: every bar of the week before is final.
SATURDAY = datetime(2024, 3, 9, 17, 0, tzinfo=timezone.utc)


def saved_state(
    timespan: str = "day", multiplier: int = 1, adjusted: bool = True, **cursors: str
) -> dict[str, Any]:
    """A stream state as the connector writes it: its bar settings, then one cursor per ticker."""
    settings = {"timespan": timespan, "multiplier": multiplier, "adjusted": adjusted}
    return {"bar_settings": settings, **{t: {"timestamp": ts} for t, ts in cursors.items()}}


def sandbox_config(sandbox: Sandbox, **fields: Any) -> dict[str, Any]:
    """A config pointed at `sandbox`: the unlimited key, AAPL, no client-side pacing to wait
    for (6,000 requests a minute), one request at a time (so the tickers' pages come in the
    order given; tests of requests in flight ask for more), and the connector's defaults for
    everything `fields` leaves out."""
    return {
        "api_key": SANDBOX_KEY,
        "tickers": ["AAPL"],
        "api_url": sandbox.url,
        "requests_per_minute": 6000,
        "max_concurrent_requests": 1,
        **fields,
    }


def by_ticker(records: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Each ticker's records in the order written. With requests in flight, the pages of
    different tickers are written as they arrive; each ticker's stay in time order."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        grouped.setdefault(record.get("stock_ticker") or record["ticker"], []).append(record)
    return grouped


def record_of(ticker: str, bar: dict[str, Any]) -> dict[str, Any]:
    """What the connector must emit for one API bar, derived independently of its code."""
    start = datetime.fromtimestamp(bar["t"] / 1000, timezone.utc)
    record = {
        "stock_ticker": ticker,
        "date": start.astimezone(NEW_YORK).date().isoformat(),
        "timestamp": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "price": bar["c"],
        "open": bar["o"],
        "high": bar["h"],
        "low": bar["l"],
        "close": bar["c"],
        "volume": bar["v"],
        "otc": bar.get("otc", False),
    }
    # The CDK leaves fields whose value is null out of the serialized record.
    if "vw" in bar:
        record["vwap"] = bar["vw"]
    if "n" in bar:
        record["transactions"] = bar["n"]
    return record


def expected(
    sandbox: Sandbox,
    tickers: list[str],
    start: str,
    end: str,
    timespan: str = "day",
    adjusted: bool = True,
) -> list[dict[str, Any]]:
    return [
        record_of(ticker, bar)
        for ticker in tickers
        for bar in sandbox.expected_bars(ticker, 1, timespan, start, end, adjusted=adjusted)
    ]


def by_key(records: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """Records as a destination's primary-key dedupe keeps them: the last one wins."""
    return {(r["stock_ticker"], r["timestamp"]): r for r in records}


def assert_key_hidden(run: ConnectorRun, sandbox: Sandbox, key: str = SANDBOX_KEY) -> None:
    """The key is in no output, and every data request carried it in its header only."""
    assert key not in run.stdout
    assert key not in run.stderr
    for request in sandbox.data_requests():
        assert key not in request.url
        assert request.auth == "header"
    # Also: no record, no state, no URL of any request (control calls included).
    assert_secret_nowhere(run, sandbox, key)


def sync_again(
    sandbox: Sandbox, workdir: Path, config: dict[str, Any], previous: ConnectorRun, now: datetime
) -> ConnectorRun:
    """The next incremental sync, at `now` on both sides, from the last state `previous` left.

    The sandbox's request log starts empty, so it holds this sync's requests only.
    """
    sandbox.set_now(now)
    sandbox.clear_requests()
    state = last_state_message(previous)
    return run_connector("read", workdir, config=config, catalog=catalog(), state=state, now=now)


def pages_by_ticker(paths: list[str]) -> dict[str, list[str]]:
    """Each ticker's custom-bars requests, in the order made.

    A ticker's pages are asked one after the other (each names the next), while the requests
    in flight for different tickers reach the sandbox in any order.
    """
    asked: dict[str, list[str]] = {}
    for path in paths:
        asked.setdefault(path.split("/")[4], []).append(path)
    return asked


def scale_the_minute(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The connector's pace on a minute of `seconds` (its margin scaled alike), as a sandbox
    with `rate_window_seconds=seconds` counts: a pace test of an in-process run then waits
    `seconds`, not a real minute, and checks the same spans."""
    scale = seconds / pacing.API_WINDOW.total_seconds()
    monkeypatch.setattr(pacing, "API_WINDOW", timedelta(seconds=seconds))
    monkeypatch.setattr(pacing, "WINDOW_MARGIN", pacing.WINDOW_MARGIN * scale)


def scale_the_rate_limit_waits(monkeypatch: pytest.MonkeyPatch, seconds: float) -> None:
    """The connector's waits after a 429 (its first and longest wait, its give-up) on a minute
    of `seconds`, as scale_the_minute does for the pace: a 429 storm then takes seconds."""
    scale = seconds / 60.0
    for name in ("FIRST_WAIT_SECONDS", "LONGEST_WAIT_SECONDS", "GIVE_UP_SECONDS"):
        monkeypatch.setattr(congestion, name, getattr(congestion, name) * scale)

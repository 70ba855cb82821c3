"""The free plan's minute: `check` then `read` of six tickers never meets a 429.

The minute is scaled to 6 s on both sides (the sandbox's rate window, the connector's pace and
its margin), so the test waits one such window, not a real minute; the connector runs at its
default pace, and the sandbox's request log (arrival times on the clock its rate windows use)
shows what the API saw.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from pathlib import Path

import pytest

from integration_tests.connector_process import catalog, run_connector
from integration_tests.helpers import SATURDAY, scale_the_minute
from polygon_sandbox import Sandbox

FREE_KEY = "sandbox-free-key"
FREE_PLAN_LIMIT = 5  # requests per 60 s for the sandbox's free key, as for the vendor's
WINDOW_SECONDS = 6.0  # the vendor's 60 s, scaled
TICKERS = ["AAPL", "MSFT", "NVDA", "TSLA", "GOOGL", "AMZN"]
UTC_SECOND = "%Y-%m-%dT%H:%M:%SZ"
WAIT_LINE = re.compile(r"Waiting (\d+) s for the API's rate limit \(5 requests a minute\)\.")
# The connector's window: the minute and its 2 s margin, scaled alike.
PACED_WINDOW_SECONDS = WINDOW_SECONDS * 62 / 60


def test_given_the_free_plan_and_default_pace_when_check_then_read_then_no_429(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scale_the_minute(monkeypatch, WINDOW_SECONDS)
    with Sandbox(now=SATURDAY, seed=1, rate_window_seconds=WINDOW_SECONDS) as sandbox:
        config = {  # requests_per_minute left at its default, as a new user would
            "api_key": FREE_KEY,
            "tickers": TICKERS,
            "start_date": "2024-03-04",
            "end_date": "2024-03-08",
            "api_url": sandbox.url,
        }
        checked = run_connector("check", tmp_path, config=config, now=SATURDAY)
        read = run_connector(
            "read", tmp_path, config=config, catalog=catalog("full_refresh"), now=SATURDAY
        )

        requests = sandbox.data_requests()
        expected = [
            (ticker, datetime.fromtimestamp(bar["t"] / 1000, timezone.utc).strftime(UTC_SECOND))
            for ticker in TICKERS
            for bar in sandbox.expected_bars(ticker, 1, "day", "2024-03-04", "2024-03-08")
        ]

    assert checked.connection_status == {"status": "SUCCEEDED"}
    assert read.returncode == 0, read.errors
    assert read.errors == []
    # Five days of six tickers: one grouped request per day (planner.py), day after day.
    assert sorted((r["stock_ticker"], r["timestamp"]) for r in read.records) == sorted(expected)
    # One request for check, one per trading day for read, and the API refused none of them.
    assert [r.status for r in requests] == [200] * (1 + 5)
    arrivals = sorted(r.received_at for r in requests)
    # No window (the vendor's 60 s, scaled) holds more than 5 requests: each request is at
    # least a window after the one five places before it.
    spans = [
        later - earlier
        for earlier, later in zip(arrivals, arrivals[FREE_PLAN_LIMIT:], strict=False)
    ]
    assert min(spans) >= WINDOW_SECONDS, spans
    # The wait is said once, with its length, where the platform shows logs.
    waits = [int(m.group(1)) for line in read.logs if (m := WAIT_LINE.fullmatch(line))]
    assert len(waits) == 1, read.logs
    assert 0 < waits[0] <= math.ceil(PACED_WINDOW_SECONDS)

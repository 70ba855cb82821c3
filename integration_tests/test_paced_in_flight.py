"""A plan's pace holds with requests in flight: 32 tickers at 31 requests a minute.

The minute is scaled to 6 s on both sides (the sandbox's rate window, the connector's pace and
its margin; helpers.scale_the_minute), so the test waits one such window: 31 a minute keep two
requests in flight (inflight.requests_in_flight), the check's slot leaves 30 for
the first window, and the last two requests wait for the next one. The sandbox's request log
(arrival times on the clock its rate windows use) shows what the API saw.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from integration_tests.connector_process import catalog, run_connector
from integration_tests.helpers import SATURDAY, by_ticker, expected, scale_the_minute
from polygon_sandbox import TICKERS as SANDBOX_TICKERS
from polygon_sandbox import Plan, Sandbox

KEY = "sandbox-paced-31-key"
PACE = 31  # requests a minute: the plan's, and the connector's requests_per_minute
WINDOW_SECONDS = 6.0  # the vendor's 60 s, scaled
TICKERS = list(SANDBOX_TICKERS[:32])
DAY = "2024-03-08"  # minute bars of one day: one request a ticker, no grouped endpoint


def test_given_requests_in_flight_when_paced_then_no_minute_holds_more_than_the_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scale_the_minute(monkeypatch, WINDOW_SECONDS)
    plans = {KEY: Plan(requests_per_window=PACE)}
    with Sandbox(now=SATURDAY, seed=1, keys=plans, rate_window_seconds=WINDOW_SECONDS) as sandbox:
        config = {
            "api_key": KEY,
            "tickers": TICKERS,
            "start_date": DAY,
            "end_date": DAY,
            "timespan": "minute",
            "requests_per_minute": PACE,
            "max_concurrent_requests": 8,
            "api_url": sandbox.url,
        }
        read = run_connector(
            "read", tmp_path, config=config, catalog=catalog("full_refresh"), now=SATURDAY
        )
        requests = sandbox.data_requests()
        want = expected(sandbox, TICKERS, DAY, DAY, "minute")

    assert read.returncode == 0, read.errors
    assert read.errors == []
    assert by_ticker(read.records) == by_ticker(want)
    # One request a ticker, and the API refused none of them (no 429).
    assert sorted(r.path.split("/")[4] for r in requests) == sorted(TICKERS)
    assert [r.status for r in requests] == [200] * len(TICKERS)
    # No (scaled) 60 s span holds more than the plan's 31 requests.
    arrivals = sorted(r.received_at for r in requests)
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[PACE:], strict=False)]
    assert min(spans) >= WINDOW_SECONDS, spans
    # Two in flight: what 31 a minute keep busy, though 8 were allowed.
    (totals,) = [line for line in read.logs if line.startswith("Totals: ")]
    assert totals.startswith(f"Totals: {len(want)} bars in 32 requests, up to 2 at once ")

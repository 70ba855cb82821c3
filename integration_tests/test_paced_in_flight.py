"""A plan's pace holds with requests in flight: 32 tickers at 31 requests a minute.

The second test that spends real time (a bit over a minute), as the pace is a minute: 31 a
minute keep two requests in flight (inflight.requests_in_flight), the check's slot leaves 30 for
the first window, and the last two requests wait for the next one. The sandbox's request log
(arrival times on the clock its rate windows use) shows what the API saw.
"""

from __future__ import annotations

from pathlib import Path

from integration_tests.connector_process import catalog, run_connector
from integration_tests.helpers import SATURDAY, by_ticker, expected
from polygon_sandbox import TICKERS as SANDBOX_TICKERS
from polygon_sandbox import Plan, Sandbox

KEY = "sandbox-paced-31-key"
PACE = 31  # requests a minute: the plan's, and the connector's requests_per_minute
WINDOW_SECONDS = 60.0
TICKERS = list(SANDBOX_TICKERS[:32])
DAY = "2024-03-08"  # minute bars of one day: one request a ticker, no grouped endpoint


def test_given_requests_in_flight_when_paced_then_no_minute_holds_more_than_the_plan(
    tmp_path: Path,
) -> None:
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
    # No 60 s span holds more than the plan's 31 requests.
    arrivals = sorted(r.received_at for r in requests)
    spans = [later - earlier for earlier, later in zip(arrivals, arrivals[PACE:], strict=False)]
    assert min(spans) >= WINDOW_SECONDS, spans
    # Two in flight: what 31 a minute keep busy, though 8 were allowed.
    (totals,) = [line for line in read.logs if line.startswith("Totals: ")]
    assert totals.startswith(f"Totals: {len(want)} bars in 32 requests, up to 2 at once ")

"""Fewest calls, end to end against the sandbox: the requests a sync makes are those the API
needs for the bars that exist, on dense and thin tickers alike, and none when nothing can be new.

The expected requests are derived from the sandbox's own bars (pages of at most 50000 minute
bars), independently of the connector's code.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from integration_tests.connector_process import (
    catalog,
    last_state_message,
    run_connector,
    stream_connector,
)
from integration_tests.helpers import SATURDAY, expected, sandbox_config, saved_state
from polygon_sandbox import Sandbox

LIMIT = 50_000


def ms(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def test_given_thin_tickers_when_a_year_of_minute_bars_is_read_then_one_request_each(
    tmp_path: Path,
) -> None:
    """THIN trades in about 40 minutes a day, HUSH in 4: a year fits one page each."""
    tickers = ["THIN", "HUSH"]
    with Sandbox(now=SATURDAY, seed=3) as sandbox:
        config = sandbox_config(
            sandbox,
            tickers=tickers,
            timespan="minute",
            start_date="2023-03-09",
            end_date="2024-03-08",
        )
        run = run_connector("read", tmp_path, config=config, catalog=catalog(), now=SATURDAY)

        assert run.returncode == 0, run.errors
        want = expected(sandbox, tickers, "2023-03-09", "2024-03-08", "minute")
        assert run.records == want
        assert len(want) < LIMIT
        assert [r.path for r in sandbox.data_requests()] == [
            f"/v2/aggs/ticker/{ticker}/range/1/minute/2023-03-09/2024-03-08" for ticker in tickers
        ]


def test_given_a_saturday_when_an_incremental_minute_sync_runs_then_no_request(
    tmp_path: Path,
) -> None:
    config_fields = {"timespan": "minute", "start_date": "2024-03-04", "end_date": "2024-03-08"}
    with Sandbox(now=SATURDAY, seed=3) as sandbox:
        config = sandbox_config(sandbox, tickers=["AAPL", "THIN"], **config_fields)
        first = run_connector("read", tmp_path, config=config, catalog=catalog(), now=SATURDAY)
        assert first.returncode == 0, first.errors
        sandbox.clear_requests()

        again = run_connector(
            "read",
            tmp_path,
            config=config,
            catalog=catalog(),
            state=last_state_message(first),
            now=SATURDAY,
        )

        assert again.returncode == 0, again.errors
        assert again.records == []
        assert sandbox.data_requests() == []
        assert again.states == first.states[-1:]


def test_given_a_kill_mid_ticker_when_resumed_then_only_the_page_in_progress_is_read_again(
    tmp_path: Path,
) -> None:
    """AAPL's minute bars from 2023-12-01 to 2024-03-08 take two pages (64,320 bars). Killed
    on its second page, the sync resumes at that page: page one is neither lost nor asked again.
    """
    start, end = "2023-12-01", "2024-03-08"
    with Sandbox(now=SATURDAY, seed=3) as sandbox:
        config = sandbox_config(
            sandbox, timespan="minute", start_date=start, end_date=end, tickers=["AAPL"]
        )
        want = expected(sandbox, ["AAPL"], start, end, "minute")
        assert len(want) == 64_320
        killed = stream_connector(
            "read",
            tmp_path,
            config=config,
            catalog=catalog(),
            now=SATURDAY,
            kill_after_records=LIMIT + 2_000,
        )
        assert killed.killed and killed.returncode != 0
        # The last STATE sits on page one's last bar.
        last_state = killed.state_messages()[-1]
        page_one_end = want[LIMIT - 1]["timestamp"]
        assert last_state["stream"]["stream_state"] == saved_state("minute", AAPL=page_one_end)
        sandbox.clear_requests()

        resumed = run_connector(
            "read", tmp_path, config=config, catalog=catalog(), state=[last_state], now=SATURDAY
        )

        assert resumed.returncode == 0, resumed.errors
        assert resumed.records == want[LIMIT:]
        page_two_start = ms(want[LIMIT]["timestamp"])
        assert [r.path for r in sandbox.data_requests()] == [
            f"/v2/aggs/ticker/AAPL/range/1/minute/{page_two_start}/{end}"
        ]
        union = {(r["stock_ticker"], r["timestamp"]) for r in killed.records + resumed.records}
        assert union == {(r["stock_ticker"], r["timestamp"]) for r in want}
        # Read twice: only what page two had delivered before the kill.
        assert len(killed.records) + len(resumed.records) - len(want) == len(killed.records) - LIMIT

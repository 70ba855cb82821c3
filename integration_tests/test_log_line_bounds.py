"""No LOG line of a sync is longer than 4 kB: a huge state, a config of many tickers and debug
logging all stay bounded, end to end against the sandbox, in process.

Before cdk/log_lines.py, a state of 200,000 tickers came back as one 10 MB INFO line ("Setting
state of SourceStockTickerApi stream to {...}"), and the CDK's runtimes block came after every
stream.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

import pytest

from integration_tests.connector_process import ConnectorRun, catalog, run_connector
from integration_tests.helpers import SATURDAY, sandbox_config, saved_state
from polygon_sandbox import Sandbox

pytestmark = pytest.mark.sandbox_now(SATURDAY)

LIMIT = 4096
FRIDAY = "2024-03-08"
DEBUG_ENV = {"LOG_LEVEL": "debug"}  # the platform's debug switch: debug lines become LOG lines


@functools.cache
def made_up_tickers(count: int) -> tuple[str, ...]:
    """`count` distinct ticker symbols, none of them the sandbox's AAPL (made once per size)."""
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    tickers = []
    for number in range(count):
        symbol = ""
        while True:
            number, digit = divmod(number, 26)
            symbol += letters[digit]
            if number == 0:
                break
        tickers.append("Z" + symbol)
    return tuple(tickers)


def log_messages(run: ConnectorRun) -> list[str]:
    """Every log line's message: LOG lines, and `--debug`'s DEBUG lines whole."""
    messages = []
    for line in run.stdout.splitlines():
        if not line.startswith("{"):
            continue
        message = json.loads(line)
        if message["type"] == "LOG":
            messages.append(message["log"]["message"])
        elif message["type"] == "DEBUG":
            messages.append(line)
    return messages


def assert_bounded(run: ConnectorRun) -> None:
    sizes = sorted(len(text.encode()) for text in log_messages(run))
    assert sizes, "the run logged nothing"
    assert sizes[-1] <= LIMIT, f"log lines over {LIMIT} bytes: {[s for s in sizes if s > LIMIT]}"


# The streams of 0.4.0: the per-ticker streams added since (short data, news, events, related
# companies, options contracts) would add about 7,000 requests to a 1,000-ticker config; their
# lines come from the same declared-stream code as tickers' and dividends'.
STREAMS_OF_0_4 = (
    *("stock_prices", "crypto_prices", "forex_prices", "index_prices", "option_prices"),
    *("tickers", "ticker_details", "dividends", "splits", "market_holidays"),
)


def every_stream_catalog() -> dict[str, Any]:
    """The configured catalog of README's examples, limited to the streams of 0.4.0,
    incremental where they can be."""
    text = (Path(__file__).parent / "configured_catalog.json").read_text(encoding="utf-8")
    catalog = json.loads(text)
    return {"streams": [s for s in catalog["streams"] if s["stream"]["name"] in STREAMS_OF_0_4]}


def huge_state(tickers: int) -> list[dict[str, Any]]:
    cursors = {t: "2024-03-07T05:00:00Z" for t in made_up_tickers(tickers)}
    state = {
        **saved_state(AAPL="2024-03-07T05:00:00Z"),
        **{t: {"timestamp": c} for t, c in cursors.items()},
    }
    return [
        {
            "type": "STREAM",
            "stream": {"stream_descriptor": {"name": "stock_prices"}, "stream_state": state},
        }
    ]


@pytest.mark.parametrize("env", [{}, DEBUG_ENV], ids=["info", "debug"])
def test_a_state_of_200000_tickers_is_summarised_not_echoed(
    sandbox: Sandbox, tmp_path: Path, env: dict[str, str]
) -> None:
    config = sandbox_config(sandbox, start_date=FRIDAY, end_date=FRIDAY)

    run = run_connector(
        "read",
        tmp_path,
        config=config,
        catalog=catalog(),
        state=huge_state(200_000),
        now=SATURDAY,
        extra_env=env,
    )

    assert run.returncode == 0, run.errors
    assert [r["date"] for r in run.records] == [FRIDAY]
    assert len(run.states[-1]) == 200_002  # bar_settings, AAPL and the 200,000 kept
    assert_bounded(run)
    echoes = [m for m in run.logs if m.startswith("Setting state of")]
    size = len(str(huge_state(200_000)[0]["stream"]["stream_state"]))
    assert echoes == [
        f"Setting state of stock_prices stream: 200,001 tickers ({size / 1e6:.1f} MB)"
    ]


def test_a_config_of_many_tickers_and_every_stream_logs_bounded_lines_in_debug(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """At INFO no line carries the config; the CDK's debug lines (requests, slices) did, up to
    40 kB each with 3,000 tickers. 1,000 tickers (7.3 kB of ticker list in each such line, and
    a ticker_details request each, not 3,000) are enough to need the cut, as the last assertion
    shows."""
    tickers = ["AAPL", *made_up_tickers(1_000)]
    config = sandbox_config(sandbox, tickers=tickers, start_date=FRIDAY, end_date=FRIDAY)
    run = run_connector(
        "read",
        tmp_path,
        config=config,
        catalog=every_stream_catalog(),
        now=SATURDAY,
        extra_env=DEBUG_ENV,
    )

    assert [r["date"] for r in run.records if r.get("stock_ticker") == "AAPL"] == [FRIDAY]
    assert_bounded(run)
    assert any(m.endswith("are not shown)") for m in log_messages(run)), "nothing was cut"


def test_the_runtimes_block_comes_once_after_the_last_stream(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "X:BTCUSD"])
    two_streams = every_stream_catalog()
    names = {"stock_prices", "crypto_prices"}
    two_streams["streams"] = [s for s in two_streams["streams"] if s["stream"]["name"] in names]

    run = run_connector("read", tmp_path, config=config, catalog=two_streams, now=SATURDAY)

    assert run.returncode == 0, run.errors
    runtimes = [i for i, m in enumerate(run.logs) if "runtimes:" in m]
    assert len(runtimes) == 1, [run.logs[i] for i in runtimes]
    (last,) = runtimes
    report = run.logs[last].splitlines()
    assert report[0] == "SourceStockTickerApi runtimes:"
    assert [line.split(" ")[2] for line in report[1:]] == ["crypto_prices", "stock_prices"]
    assert run.logs[last - 1 :] == ["Finished syncing SourceStockTickerApi", run.logs[last]]

"""A failed read says it once: the connector against the sandbox, in process (one subprocess for
the exit code), one failure per test.

Each failure gives exactly one TRACE error, of the right failure type and in the user's words
(messages.py), naming its stream; no LOG line holds a traceback, a request or its response
headers; the key is nowhere; the exact requests are counted in the sandbox's log. After the API
rejected the key, no further request leaves, in flight or not, in this stream or a later one.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from integration_tests.behaviour_corpus.runner import catalog as streams_catalog
from integration_tests.behaviour_corpus.scenarios import TWELVE
from integration_tests.connector_process import ConnectorRun, run_connector
from integration_tests.helpers import SATURDAY, assert_key_hidden, sandbox_config
from polygon_sandbox import Faults, Plan, Sandbox

pytestmark = [pytest.mark.sandbox_now(SATURDAY), pytest.mark.usefixtures("loopback_only")]

WRONG_KEY = "wrong-key-0123456789abcdef"
UNKNOWN_KEY = (
    "The API rejected the API key (Unknown API Key). "
    "Check api_key: copy it again from your Polygon.io / Massive.com dashboard."
)
INCREMENTAL = "incremental"
FRIDAY_BEFORE = "2024-02-23T05:00:00Z"  # two weeks of trading days before SATURDAY


def price_state(tickers: list[str], cursor: str) -> list[dict[str, Any]]:
    """A saved stock_prices state with every ticker's cursor at `cursor`."""
    settings = {"timespan": "day", "multiplier": 1, "adjusted": True}
    stream_state = {"bar_settings": settings, **{t: {"timestamp": cursor} for t in tickers}}
    return [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "stock_prices"},
                "stream_state": stream_state,
            },
        }
    ]


def sync(
    sandbox: Sandbox,
    tmp_path: Path,
    streams: dict[str, str],
    as_process: bool = False,
    state: Any = None,
    **fields: Any,
) -> ConnectorRun:
    return run_connector(
        "read",
        tmp_path,
        config=sandbox_config(sandbox, **fields),
        catalog=streams_catalog(streams),
        state=state,
        now=SATURDAY,
        as_process=as_process,
    )


def traces(run: ConnectorRun) -> list[tuple[str, str, str | None]]:
    """Each TRACE error: its failure type, message and stream."""
    return [
        (e["failure_type"], e["message"], (e.get("stream_descriptor") or {}).get("name"))
        for e in run.errors
    ]


def assert_said_once(run: ConnectorRun, key: str) -> None:
    """No traceback, request or header in a log line; no raw HTTP in an error; no key."""
    for line in run.logs:
        assert "Traceback" not in line, line
        assert "headers" not in line, line
        assert "' request to '" not in line, line
    for error in run.errors:
        for field in ("message", "internal_message"):
            assert "headers" not in error.get(field, ""), error
            assert "' request to '" not in error.get(field, ""), error
    assert run.stderr == ""
    assert key not in run.stdout


def test_given_a_rejected_key_and_requests_in_flight_when_read_then_one_config_error_and_no_request_after_the_401(  # noqa: E501
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """Twelve tickers two weeks behind: ten grouped days, up to four in flight. The first
    request goes alone, and its 401 ends the sync: no other day is asked for, nor
    crypto_prices' range (before, the four days in flight and crypto_prices' range were
    asked for, each answered 401, and each stream said so in a TRACE of its own)."""
    run = sync(
        sandbox,
        tmp_path,
        {"stock_prices": INCREMENTAL, "crypto_prices": INCREMENTAL},
        state=price_state(TWELVE, FRIDAY_BEFORE),
        api_key=WRONG_KEY,
        tickers=[*TWELVE, "X:BTCUSD"],
        start_date="2024-01-02",
        max_concurrent_requests=4,
    )

    assert run.returncode == 1
    assert traces(run) == [("config_error", UNKNOWN_KEY, "stock_prices")]
    assert [(r.path, r.status) for r in sandbox.data_requests()] == [
        ("/v2/aggs/grouped/locale/us/market/stocks/2024-02-26", 401)
    ]
    assert run.records == [] and run.states == []
    assert "Marking stream crypto_prices as STARTED" not in run.logs
    assert (
        "No stream is read after stock_prices: its failure would stop every one of them."
        in run.logs
    )
    assert run.logs[-2] == (
        "During the sync, the following streams did not sync successfully: stock_prices."
    )
    assert run.logs[-1].startswith("SourceStockTickerApi runtimes:")  # once, at the end
    assert_said_once(run, WRONG_KEY)
    assert_key_hidden(run, sandbox, WRONG_KEY)


def test_given_a_rejected_key_when_read_as_a_process_then_exit_1_and_one_trace_error(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    run = sync(
        sandbox,
        tmp_path,
        {"stock_prices": INCREMENTAL},
        as_process=True,
        api_key=WRONG_KEY,
        tickers=["AAPL", "MSFT"],
        start_date="2024-03-04",
    )

    assert run.returncode == 1
    assert traces(run) == [("config_error", UNKNOWN_KEY, "stock_prices")]
    assert len(sandbox.data_requests()) == 1
    assert_said_once(run, WRONG_KEY)


def test_given_a_plan_without_crypto_when_read_then_the_stock_is_read_and_one_config_error(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    run = sync(
        sandbox,
        tmp_path,
        {"stock_prices": INCREMENTAL, "crypto_prices": INCREMENTAL},
        api_key="sandbox-stocks-only-key",
        tickers=["AAPL", "X:BTCUSD"],
        start_date="2024-03-04",
    )

    assert run.returncode == 1
    assert traces(run) == [
        (
            "config_error",
            "The API key works, but the plan does not cover X:BTCUSD day bars from 2024-03-04 "
            "to 2024-03-09: You are not entitled to this data. Please upgrade your plan at "
            "https://polygon.io/pricing. Choose a timespan and start_date your plan includes, "
            "or upgrade the plan.",
            "crypto_prices",
        )
    ]
    assert [(r.ticker, r.status) for r in sandbox.data_requests()] == [
        ("AAPL", 200),
        ("X:BTCUSD", 403),
    ]
    assert [r["stock_ticker"] for r in run.records] == ["AAPL"] * 5
    assert run.logs[-2] == (
        "During the sync, the following streams did not sync successfully: crypto_prices."
    )
    assert run.logs[-1].startswith("SourceStockTickerApi runtimes:")  # once, at the end
    assert_said_once(run, "sandbox-stocks-only-key")


def test_given_a_refused_ticker_when_read_then_the_others_are_read_and_one_config_error(
    sandbox: Sandbox, tmp_path: Path
) -> None:
    """The end-of-sync refusal: one TRACE, not a second one summing up the failed streams."""
    sandbox.set_faults(Faults(forbid_ticker="MSFT"))

    run = sync(sandbox, tmp_path, {"stock_prices": INCREMENTAL}, tickers=["AAPL", "MSFT", "NVDA"])

    assert run.returncode == 1
    ((failure_type, message, stream),) = traces(run)
    assert (failure_type, stream) == ("config_error", "stock_prices")
    assert message.startswith("The API refused MSFT (1 of 3 tickers); every other ticker was read")
    assert len(sandbox.data_requests()) == 3
    assert_said_once(run, "sandbox-unlimited-key")


def test_given_a_grouped_day_the_plan_does_not_cover_when_read_then_one_config_error(
    tmp_path: Path,
) -> None:
    """Thirty days of history: the grouped day 2024-01-09 is refused for all four tickers; the
    next days are not asked for, since all their tickers were refused."""
    keys = {"short-history-key-0123": Plan(history_days=30)}
    state = price_state(TWELVE[:4], "2024-01-08T05:00:00Z")
    with Sandbox(now=SATURDAY, seed=1, keys=keys) as sandbox:
        run = run_connector(
            "read",
            tmp_path,
            config=sandbox_config(
                sandbox,
                api_key="short-history-key-0123",
                tickers=TWELVE[:4],
                start_date="2024-01-02",
                end_date="2024-01-10",
            ),
            catalog=streams_catalog({"stock_prices": INCREMENTAL}),
            state=state,
            now=SATURDAY,
        )
        requests = [(r.path.rsplit("/", 1)[-1], r.status) for r in sandbox.data_requests()]

    assert run.returncode == 1
    ((failure_type, message, stream),) = traces(run)
    assert (failure_type, stream) == ("config_error", "stock_prices")
    assert message.startswith(
        "The API refused all 4 tickers (AAPL, MSFT, GOOGL, AMZN). The API key works, but the "
        "plan does not cover the grouped daily bars of 2024-01-09"
    )
    assert requests == [("2024-01-09", 403)]
    assert_said_once(run, "short-history-key-0123")


def test_given_dividends_older_than_the_plan_when_read_then_the_two_years_and_one_config_error(
    tmp_path: Path,
) -> None:
    """A reference stream's refusal: one TRACE, naming dividends."""
    keys = {"free-history-key-0123": Plan(history_days=730)}
    with Sandbox(now=SATURDAY, seed=1, keys=keys) as sandbox:
        run = run_connector(
            "read",
            tmp_path,
            config=sandbox_config(
                sandbox, api_key="free-history-key-0123", tickers=["AAPL"], start_date="2020-01-02"
            ),
            catalog=streams_catalog({"dividends": INCREMENTAL}),
            now=SATURDAY,
        )
        statuses = [r.status for r in sandbox.requests if "/dividends" in r.path]

    assert run.returncode == 1
    ((failure_type, message, stream),) = traces(run)
    assert (failure_type, stream) == ("config_error", "dividends")
    assert message.startswith(
        "The API key works, but the plan does not cover dividends of AAPL from 2020-01-02"
    )
    assert statuses == [403, 200]
    assert_said_once(run, "free-history-key-0123")


@pytest.mark.parametrize(
    ("faults", "message"),
    [
        pytest.param(
            Faults(error_schedule=list(range(1, 10))),
            "Exhausted available request attempts. Please see logs for more details. "
            "Exception: The API answered HTTP 502 (HTTP 502 Bad Gateway) for AAPL day bars "
            "from 2024-03-04 to 2024-03-09. Try again later.",
            id="5xx",
        ),
        pytest.param(
            Faults(drop_schedule=list(range(1, 10))),
            "Exhausted available request attempts. Please see logs for more details. "
            "Exception: Could not reach {url} (ConnectionError). Check api_url and the network "
            "path to the API.",
            id="dropped-connection",
        ),
    ],
)
def test_given_retries_exhausted_when_read_then_one_transient_error_after_nine_attempts(
    sandbox: Sandbox, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, faults: Faults, message: str
) -> None:
    """The backoff's sleeps are recorded, not slept: eight, doubling up to a minute."""
    waits: list[float] = []
    monkeypatch.setattr(time, "sleep", waits.append)
    sandbox.set_faults(faults)

    run = sync(sandbox, tmp_path, {"stock_prices": INCREMENTAL}, start_date="2024-03-04")

    assert run.returncode == 1
    assert traces(run) == [
        ("transient_error", message.format(url=sandbox.url), "stock_prices"),
    ]
    assert len(sandbox.data_requests()) == 9
    assert [wait for wait in waits if wait] == [2.0, 3.0, 5.0, 9.0, 17.0, 33.0, 61.0, 61.0]
    assert_said_once(run, "sandbox-unlimited-key")

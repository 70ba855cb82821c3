"""Fault campaign: the connector as a subprocess against the sandbox, one kind of fault per sync.

Every sync reads three tickers of hour bars over 2023-12-01..2024-03-08 (66 trading days,
63,360 minutes, asked in one range per ticker), and the sandbox is made to page every 20000
minutes, so each ticker needs four requests, three of them through `next_url`. Each sync must
end one of two ways:

- every bar exactly once, in order (compared with `Sandbox.expected_bars`), exit 0; or
- a TRACE error of the right failure type, a non-zero exit and a last STATE from which a rerun
  (faults off) completes the data with no bar missing.

Every run also proves the key stayed secret: in no output line, record, state or URL, and never
sent to the host `next_url` names (a trap server that records whatever reaches it).

The last test prints the campaign's figures (syncs, faults injected, records lost) to the
terminal whatever the capture mode, and asserts their totals.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from threading import Thread
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import pytest

from integration_tests.connector_process import (
    ConnectorRun,
    assert_secret_nowhere,
    catalog,
    last_state_message,
    run_connector,
)
from integration_tests.helpers import (
    SATURDAY,
    by_key,
    by_ticker,
    expected,
    sandbox_config,
    scale_the_minute,
    scale_the_rate_limit_waits,
)
from polygon_sandbox import TICKERS as SANDBOX_TICKERS
from polygon_sandbox import Faults, Plan, Sandbox

# Distinctive, so finding it anywhere can only mean a leak.
SECRET_KEY = "sk_faultcampaign_7Qx2Lp9Wz4"
TICKERS = ["AAPL", "MSFT", "NVDA"]
START, END = "2023-12-01", "2024-03-08"
PAGE_LIMIT = 20_000  # minutes per page: a ticker's 63,360 minutes take four pages
REQUESTS_PER_TICKER = 4


class TrapServer:
    """Stands for the host a `next_url` names: records every request that reaches it."""

    def __init__(self) -> None:
        hits: list[dict[str, Any]] = []

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server's naming
                hits.append({"path": self.path, "headers": dict(self.headers.items())})
                self.send_response(500)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

        self.hits = hits
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.host = f"127.0.0.1:{self._server.server_address[1]}"
        self._thread = Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> TrapServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


class PagingSandbox(Sandbox):
    """The sandbox, with pages of PAGE_LIMIT minutes whatever `limit` the client asks for, and
    `next_url`s that name another host (the trap), as a CDN or the API's other domain would."""

    def __init__(self, *args: Any, next_host: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.next_host = next_host

    def process(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> Any:
        if target.startswith("/v2/"):
            parts = urlsplit(target)
            query = [(k, str(PAGE_LIMIT) if k == "limit" else v) for k, v in parse_qsl(parts.query)]
            target = f"{parts.path}?{urlencode(query)}"
            headers = {k: v for k, v in headers.items() if k.lower() != "host"}
            headers["Host"] = self.next_host
        return super().process(method, target, headers, body)


@dataclass
class Figures:
    scenario: str
    syncs: int = 0
    requests: int = 0
    faults: int = 0
    outcome: str = ""
    records: int = 0
    duplicates: int = 0
    lost: int = 0
    extra: list[str] = field(default_factory=list)


# The campaign's figures, gathered by its tests for `test_campaign_summary`: with pytest-xdist,
# the module runs on one worker (`--dist loadgroup`), in order.
FIGURES: list[Figures] = []
pytestmark = pytest.mark.xdist_group("fault-campaign")


@pytest.fixture
def trap() -> Iterator[TrapServer]:
    with TrapServer() as server:
        yield server


def make_sandbox(trap: TrapServer, faults: Faults, rate_window_seconds: float = 60.0) -> Sandbox:
    return PagingSandbox(
        now=SATURDAY,
        seed=7,
        keys={SECRET_KEY: Plan()},
        faults=faults,
        rate_window_seconds=rate_window_seconds,
        next_host=trap.host,
    )


def config(sandbox: Sandbox, **overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {"tickers": TICKERS, "start_date": START, "end_date": END}
    fields |= {"timespan": "hour", "api_key": SECRET_KEY, "request_timeout_seconds": 5}
    fields |= {"max_concurrent_requests": 10}  # the default: every fault meets requests in flight
    return sandbox_config(sandbox, **{**fields, **overrides})


def sync(sandbox: Sandbox, tmp_path: Path, state: Any = None, **overrides: Any) -> ConnectorRun:
    return run_connector(
        "read",
        tmp_path,
        config=config(sandbox, **overrides),
        catalog=catalog("incremental"),
        state=state,
        now=SATURDAY,
        timeout=120,
    )


def assert_secret_kept(
    run: ConnectorRun, sandbox: Sandbox, trap: TrapServer, *, paged: bool = True
) -> None:
    """`paged=False` for a run that has no next_url to follow (a rerun of one short page)."""
    assert_secret_nowhere(run, sandbox, SECRET_KEY)
    assert trap.hits == [], "the connector followed next_url to a host other than api_url"
    pages = [r for r in sandbox.data_requests() if "cursor=" in r.query]
    assert pages or not paged, "the campaign must exercise next_url"
    assert all(r.auth == "header" and r.api_key_valid for r in pages)


def injected(sandbox: Sandbox) -> int:
    return sum(len(r.fault.split(",")) for r in sandbox.data_requests() if r.fault)


def key_counts(records: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for r in records:
        key = (r["stock_ticker"], r["timestamp"])
        counts[key] = counts.get(key, 0) + 1
    return counts


RECOVERED = {
    "429 storm, Retry-After": (Faults(rate_limit=1, retry_after=True), 1.0, {}),
    "429 storm, no Retry-After": (Faults(rate_limit=1), 1.0, {}),
    "20% random 5xx": (Faults(error_rate=0.2), 60.0, {}),
    "dropped connections": (Faults(drop_schedule=[2, 5, 9]), 60.0, {}),
    "response slower than the timeout": (
        Faults(slow_schedule=[3], slow_seconds=3.0),
        60.0,
        {"request_timeout_seconds": 1},
    ),
    "truncated JSON body": (Faults(truncate_schedule=[2, 6, 10]), 60.0, {}),
    # The first two requests (two tickers' first pages) answer a second late: the others,
    # asked at the same time, arrive first.
    "pages arriving out of order": (Faults(slow_schedule=[1, 2], slow_seconds=1.0), 60.0, {}),
}


@pytest.mark.parametrize("scenario", list(RECOVERED))
def test_given_a_transient_fault_when_sync_then_every_bar_exactly_once(
    scenario: str, trap: TrapServer, tmp_path: Path
) -> None:
    faults, window, overrides = RECOVERED[scenario]
    with make_sandbox(trap, faults, window) as sandbox:
        run = sync(sandbox, tmp_path, **overrides)
        want = expected(sandbox, TICKERS, START, END, "hour")
        figures = Figures(scenario, syncs=1, requests=len(sandbox.data_requests()))
        figures.faults = injected(sandbox)
        figures.records = len(run.records)
        figures.lost = len(set(key_counts(want)) - set(key_counts(run.records)))
        figures.duplicates = len(run.records) - len(key_counts(run.records))
        figures.outcome = "complete" if run.returncode == 0 else f"exit {run.returncode}"
        FIGURES.append(figures)

        assert run.returncode == 0, run.errors
        assert run.errors == []
        assert figures.faults > 0, "the fault was never injected: the test proves nothing"
        assert by_ticker(run.records) == by_ticker(want)  # every bar, once, each ticker in order
        # The three tickers' first pages were asked at once: the faults met requests in flight.
        (totals,) = [line for line in run.logs if line.startswith("Totals: ")]
        assert ", up to 3 at once " in totals, totals
        # Each page served whole once; a late page (slow) counts once, though its client may
        # have given up on it and asked again.
        served = {
            (r.path, r.query)
            for r in sandbox.data_requests()
            if r.status == 200 and r.fault in (None, "slow")
        }
        assert len(served) == REQUESTS_PER_TICKER * len(TICKERS)
        assert run.states[-1] == {
            "bar_settings": {"timespan": "hour", "multiplier": 1, "adjusted": True},
            **{t: {"timestamp": want_last(want, t)["timestamp"]} for t in TICKERS},
        }
        assert_secret_kept(run, sandbox, trap)


def want_last(records: list[dict[str, Any]], ticker: str) -> dict[str, Any]:
    return [r for r in records if r["stock_ticker"] == ticker][-1]


def test_given_a_403_midway_through_one_ticker_when_sync_then_config_error_and_a_resumable_state(
    trap: TrapServer, tmp_path: Path
) -> None:
    """MSFT's plan stops covering it after three pages: its fourth page is asked once and
    never again, NVDA is still read, and the sync ends with a config_error naming MSFT; its last
    STATE keeps AAPL, NVDA and MSFT's first three pages, and a rerun from it (entitlement
    restored) completes the data."""
    faults = Faults(forbid_ticker="MSFT", forbid_after=3)
    with make_sandbox(trap, faults) as sandbox:
        want = expected(sandbox, TICKERS, START, END, "hour")
        first = sync(sandbox, tmp_path)
        figures = Figures("403 midway through MSFT", syncs=1, requests=len(sandbox.data_requests()))
        figures.faults = injected(sandbox)
        assert first.returncode != 0
        # MSFT: three pages, then one refused request; NVDA in full.
        asked = Counter(r.ticker for r in sandbox.data_requests())
        assert asked == {"AAPL": 4, "MSFT": 4, "NVDA": 4}
        error = first.errors[0]
        assert {e["failure_type"] for e in first.errors} == {"config_error"}
        assert error["failure_type"] == "config_error"
        assert "MSFT" in error["message"] and "not entitled" in error["message"]
        assert "Traceback" not in error["message"]
        assert_secret_kept(first, sandbox, trap)
        # All of NVDA, and MSFT's cursor on the last bar of its third page.
        assert {r["stock_ticker"] for r in first.records} == {"AAPL", "MSFT", "NVDA"}
        last_state = first.states[-1]
        assert last_state["AAPL"] == {"timestamp": want_last(want, "AAPL")["timestamp"]}
        assert last_state["NVDA"] == {"timestamp": want_last(want, "NVDA")["timestamp"]}
        msft_read = [r for r in first.records if r["stock_ticker"] == "MSFT"]
        assert last_state["MSFT"] == {"timestamp": msft_read[-1]["timestamp"]}

        sandbox.set_faults(Faults())
        sandbox.clear_requests()
        second = sync(sandbox, tmp_path, state=last_state_message(first))
        figures.syncs += 1
        figures.requests += len(sandbox.data_requests())
        assert second.returncode == 0, second.errors
        # AAPL and NVDA end on Friday's last bar and it is Saturday: no request for them. MSFT
        # from its fourth page on (one page, so this run follows no next_url).
        assert [r.ticker for r in sandbox.data_requests()] == ["MSFT"]
        assert_secret_kept(second, sandbox, trap, paged=False)
        union = first.records + second.records
        counts = key_counts(union)
        figures.records = len(union)
        figures.lost = len(set(key_counts(want)) - set(counts))
        figures.duplicates = len(union) - len(counts)
        figures.outcome = "config_error, resumed"
        FIGURES.append(figures)
        assert figures.lost == 0
        assert by_key(union) == by_key(want)
        # The state sat on a page boundary: the rerun re-reads nothing.
        assert figures.duplicates == 0
        assert second.records == want_tail(want, msft_read)


def want_tail(want: list[dict[str, Any]], read: list[dict[str, Any]]) -> list[dict[str, Any]]:
    seen = {r["timestamp"] for r in read}
    return [r for r in want if r["stock_ticker"] == "MSFT" and r["timestamp"] not in seen]


# The storm: an API allowing 5 requests per 10 s, no Retry-After, 12 tickers, requests in
# flight. On a minute scaled to 6 s on both sides (the sandbox's window 1 s), so it takes seconds.
STORM_TICKERS = list(SANDBOX_TICKERS[:12])
STORM_START = "2024-02-01"  # 25 trading days of hour bars, 24,000 minutes: two pages a ticker
STORM_MINUTE_SECONDS = 6.0
STORM = Faults(rate_limit=5)
STORM_WINDOW_SECONDS = 1.0


@pytest.mark.parametrize("in_flight", [10, 40])
def test_given_a_429_storm_with_requests_in_flight_when_sync_then_the_clean_runs_records_and_state(
    in_flight: int, trap: TrapServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every page is asked again until it is served, fewer at once after each 429: the sync
    completes with every bar exactly once and the state of a run without the storm."""
    scale_the_minute(monkeypatch, STORM_MINUTE_SECONDS)
    scale_the_rate_limit_waits(monkeypatch, STORM_MINUTE_SECONDS)
    fields = {"tickers": STORM_TICKERS, "start_date": STORM_START}
    with make_sandbox(trap, Faults(), STORM_WINDOW_SECONDS) as sandbox:
        (tmp_path / "clean").mkdir()
        (tmp_path / "storm").mkdir()
        clean = sync(sandbox, tmp_path / "clean", max_concurrent_requests=in_flight, **fields)
        assert clean.returncode == 0, clean.errors
        sandbox.clear_requests()
        sandbox.set_faults(STORM)
        storm = sync(sandbox, tmp_path / "storm", max_concurrent_requests=in_flight, **fields)
        asked = sandbox.data_requests()
        scenario = f"429 storm, {in_flight} in flight"
        figures = Figures(scenario, syncs=1, requests=len(asked), faults=injected(sandbox))
        figures.records = len(storm.records)
        figures.lost = len(set(key_counts(clean.records)) - set(key_counts(storm.records)))
        figures.duplicates = len(storm.records) - len(key_counts(storm.records))
        figures.outcome = "complete" if storm.returncode == 0 else f"exit {storm.returncode}"
        FIGURES.append(figures)

        assert storm.returncode == 0, storm.errors
        assert storm.errors == []
        assert figures.faults > 0, "the storm never came: the test proves nothing"
        assert by_ticker(storm.records) == by_ticker(clean.records)  # every bar, once, in order
        assert storm.states[-1] == clean.states[-1]
        # Each page served once: the 429s were asked again, nothing else.
        served = [(r.path, r.query) for r in asked if r.status == 200]
        assert len(served) == len(set(served)) == 2 * len(STORM_TICKERS)
        assert {r.status for r in asked} == {200, 429}
        assert_secret_kept(storm, sandbox, trap)


# Ten trading days: one request a ticker costs less than one a grouped day.
START_WEEK_BEFORE = "2024-02-26"


def test_given_a_window_longer_than_a_requests_own_retries_when_429s_then_the_sync_completes(
    tmp_path: Path,
) -> None:
    """Five requests per 12 s without Retry-After, six daily tickers asked at once, on the real
    clock: the sixth is asked again until the window has passed (about 15 s). Each request
    retrying on its own spent its 8 retries within 11 s and failed the sync with "API rate
    limit exceeded"."""
    tickers = list(SANDBOX_TICKERS[:6])
    faults = Faults(rate_limit=5)
    with Sandbox(now=SATURDAY, seed=1, faults=faults, rate_window_seconds=12.0) as sandbox:
        fields = {"tickers": tickers, "start_date": START_WEEK_BEFORE, "end_date": END}
        run = run_connector(
            "read",
            tmp_path,
            config=sandbox_config(sandbox, max_concurrent_requests=10, **fields),
            catalog=catalog("incremental"),
            now=SATURDAY,
        )
        asked = sandbox.data_requests()
        want = expected(sandbox, tickers, START_WEEK_BEFORE, END)

    assert run.returncode == 0, run.errors
    assert run.errors == []
    assert by_ticker(run.records) == by_ticker(want)
    assert sorted(str(r.ticker) for r in asked if r.status == 200) == sorted(tickers)
    assert {r.status for r in asked} == {200, 429}


def test_given_only_429s_after_five_pages_when_ten_minutes_pass_then_the_sync_stops_saved(
    trap: TrapServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The API serves five pages, then answers 429 to every request: the sync asks again for
    ten (scaled) minutes after the last page served, then stops with one transient_error that
    says what to change; its last STATE holds every page written, and a rerun once the API
    serves again completes the data, every bar exactly once."""
    minute = 0.6  # ten minutes take 6 s
    scale_the_minute(monkeypatch, minute)
    scale_the_rate_limit_waits(monkeypatch, minute)
    # Five requests in an hour-long window: the sixth and every one after it meet 429.
    with make_sandbox(trap, Faults(rate_limit=5), rate_window_seconds=3600.0) as sandbox:
        want = expected(sandbox, TICKERS, START, END, "hour")
        first = sync(sandbox, tmp_path)
        asked = sandbox.data_requests()
        figures = Figures("only 429s for 10 minutes", syncs=1, requests=len(asked))
        figures.faults = injected(sandbox)

        assert first.returncode != 0
        assert first.errors[0] == {
            "message": (
                "The API answered every request with 429 (rate limit) for 10 minutes, so the "
                "sync stopped; everything read so far is saved, and the next sync resumes "
                "there. Set requests_per_minute (now 6000) to the plan's limit, lower "
                "max_concurrent_requests (now 10), or stop other programs using the same API "
                "key."
            ),
            "internal_message": "Rate limited (429) for too long.",
            "failure_type": "transient_error",
            "stack_trace": first.errors[0]["stack_trace"],
            "stream_descriptor": first.errors[0].get("stream_descriptor"),
        }
        assert [r.status for r in asked].count(200) == 5
        # Asked again until the end: the last 429 came ten (scaled) minutes after the fifth page.
        served = [r.received_at for r in asked if r.status == 200]
        assert asked[-1].received_at - served[-1] >= 10 * minute - 1.0
        # The pages written are saved, each ticker's cursor on its last record.
        written = by_ticker(first.records)
        assert sum(len(records) for records in written.values()) == len(first.records)
        assert first.states[-1] == {
            "bar_settings": {"timespan": "hour", "multiplier": 1, "adjusted": True},
            **{t: {"timestamp": records[-1]["timestamp"]} for t, records in written.items()},
        }
        assert_secret_kept(first, sandbox, trap)

        sandbox.set_faults(Faults())
        sandbox.clear_requests()
        second = sync(sandbox, tmp_path, state=last_state_message(first))
        figures.syncs += 1
        figures.requests += len(sandbox.data_requests())
        union = first.records + second.records
        figures.records = len(union)
        figures.lost = len(set(key_counts(want)) - set(key_counts(union)))
        figures.duplicates = len(union) - len(key_counts(union))
        figures.outcome = "transient_error, resumed"
        FIGURES.append(figures)
        assert second.returncode == 0, second.errors
        assert figures.duplicates == 0
        assert by_key(union) == by_key(want)


def test_campaign_summary(
    request: pytest.FixtureRequest, capsys: pytest.CaptureFixture[str]
) -> None:
    """Prints the figures whatever the capture mode, and checks the campaign's totals."""
    if not FIGURES:
        pytest.skip("run with the rest of the campaign")
    header = (
        f"{'fault':<34} {'syncs':>5} {'requests':>8} {'faults':>6} {'records':>7} "
        f"{'dupes':>5} {'lost':>4}  outcome"
    )
    lines = ["", "Fault campaign", header, "-" * len(header)]
    for f in FIGURES:
        lines.append(
            f"{f.scenario:<34} {f.syncs:>5} {f.requests:>8} {f.faults:>6} {f.records:>7} "
            f"{f.duplicates:>5} {f.lost:>4}  {f.outcome}"
        )
    totals = Figures(
        "total",
        syncs=sum(f.syncs for f in FIGURES),
        requests=sum(f.requests for f in FIGURES),
        faults=sum(f.faults for f in FIGURES),
        records=sum(f.records for f in FIGURES),
        duplicates=sum(f.duplicates for f in FIGURES),
        lost=sum(f.lost for f in FIGURES),
    )
    lines.append("-" * len(header))
    lines.append(
        f"{totals.scenario:<34} {totals.syncs:>5} {totals.requests:>8} {totals.faults:>6} "
        f"{totals.records:>7} {totals.duplicates:>5} {totals.lost:>4}"
    )
    text = "\n".join(lines)
    with capsys.disabled():  # shown with or without -s
        print(text, flush=True)
    (Path(request.config.rootpath) / ".pytest_cache").mkdir(exist_ok=True)
    (Path(request.config.rootpath) / ".pytest_cache" / "fault_campaign.json").write_text(
        json.dumps([f.__dict__ for f in FIGURES], indent=1)
    )
    assert totals.lost == 0, text
    assert totals.faults > 0, text
    assert all(f.faults > 0 for f in FIGURES), text

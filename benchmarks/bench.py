"""Benchmark of the connector's `read` against the local sandbox, next to a plain baseline.

`make bench` (or `.venv/bin/python benchmarks/bench.py --runs 3`). Starts polygon_sandbox as its
own process, then runs the connector (`source-stock-ticker-api read`, stdout to a file) and the
baseline (benchmarks/baseline.py: requests + orjson, same RECORD lines) as subprocesses. Prints
figures, asserts nothing. Each figure is the median of --runs runs, after one warm-up run that
fills the sandbox's cache (so the sandbox's bar generation is not what gets measured).

Latency-bound workloads (`--only-latency`, `--skip-latency`): the sandbox holds every response
for a fixed delay (100 ms for daily bars, 500 ms for minute bars), as network latency would, and
the connector (`max_concurrent_requests` = --in-flight) runs next to two raw loops: the
sequential one and one with the same number of requests in flight (`baseline.py --in-flight`).

It ends with the request-economy table, then (benchmarks/stream_requests.py) a sync of every
stream for 20 tickers of every market, its requests per stream next to the API's minimum.

The request-economy table: for each workload, the requests the connector made next
to the fewest the API allows, computed without the connector: per ticker, the pages a raw loop
needs for the bars the sandbox holds (ceil(base aggregates / 50000), counted by the baseline);
for daily bars, the grouped endpoint's one request per trading day pending, when fewer; zero
when nothing is new.
"""

from __future__ import annotations

import argparse
import hashlib
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import requests

from benchmarks.stream_requests import print_stream_requests

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
CONNECTOR = [str(Path(PYTHON).parent / "source-stock-ticker-api")]
BASELINE = [PYTHON, str(ROOT / "benchmarks" / "baseline.py")]
KEY = "sandbox-unlimited-key"
# Friday 2026-11-20, 21:00 New York: the day's extended session is over, its bars are final.
NOW = "2026-11-21T02:00:00Z"
TODAY = "2026-11-20"
# The next trading day's session is over: Monday 2026-11-23, 21:00 New York.
NEXT_NOW = "2026-11-24T02:00:00Z"
LIMIT = 50_000
RECORD = b'"type":"RECORD"'
# Left out when lines are compared: the time each was written, and fields without a value (the
# connector leaves them out, the raw loops write null).
NOT_COMPARED = re.compile(rb',"emitted_at":\d+|,"\w+":null')
IN_FLIGHT = 8
RSS_LIMIT_MB = 250
# Where the subprocesses keep compiled bytecode (this machine sets PYTHONDONTWRITEBYTECODE=1 and
# the venv holds no .pyc: every start would compile the CDK again, which no installed connector
# or Docker image does).
PYCACHE = Path(tempfile.gettempdir()) / "stock-ticker-bench-pycache"


def child_env(now: str, cold: bool) -> dict[str, str]:
    env = {**os.environ, "STOCK_TICKER_API_NOW": now}
    if not cold:
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["PYTHONPYCACHEPREFIX"] = str(PYCACHE)
    return env


@dataclass
class Run:
    wall: float
    ttfr_start: float | None  # first RECORD line in the file, from process start
    ttfr_request: float | None  # the same, from the first HTTP request the sandbox received
    rss_mb: float
    records: int
    requests: int
    statuses: Counter[int] = field(default_factory=Counter)
    per_ticker: Counter[str] = field(default_factory=Counter)
    last_state: Any = None
    # Wall time from the first HTTP request the sandbox received to the process's end.
    from_request: float | None = None
    # Of the RECORD lines (less NOT_COMPARED), when asked for: all lines in their order, and
    # each ticker's lines in their order (tickers may interleave).
    digest: str | None = None
    ticker_digest: str | None = None

    @property
    def rate(self) -> float:
        return self.records / self.wall if self.wall else 0.0


class SandboxProcess:
    def __init__(self, now: str) -> None:
        self.proc = subprocess.Popen(
            [PYTHON, str(ROOT / "benchmarks" / "sandbox_proc.py"), "--now", now],
            stdout=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline().strip()
        if not line.startswith("SANDBOX_URL="):
            raise SystemExit(f"the sandbox did not start: {line!r}")
        self.url = line.split("=", 1)[1]
        self.http = requests.Session()

    def clear(self) -> None:
        self.http.post(f"{self.url}/_sandbox/requests/clear", timeout=10).raise_for_status()

    def set_now(self, now: str) -> None:
        self.http.post(f"{self.url}/_sandbox/control", json={"now": now}, timeout=10)

    def set_delay(self, seconds: float | None) -> None:
        """Hold every API response `seconds` before its first byte (None: answer at once)."""
        reply = self.http.post(f"{self.url}/_sandbox/control", json={"delay": seconds}, timeout=10)
        reply.raise_for_status()

    def data_requests(self) -> list[dict[str, Any]]:
        log = self.http.get(f"{self.url}/_sandbox/requests", timeout=30).json()
        rows = log["requests"] if isinstance(log, dict) else log
        return [r for r in rows if r["path"].startswith("/v2/")]

    def request_times(self) -> list[float]:
        return list(self.http.get(f"{self.url}/_bench/times", timeout=10).json())

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=10)


def _watch_first_record(
    path: Path, started: float, found: list[float], done: threading.Event
) -> None:
    """Polls the output file until a RECORD line lands in it."""
    offset, tail = 0, b""
    while not done.is_set():
        with path.open("rb") as handle:
            handle.seek(offset)
            chunk = handle.read()
        if chunk:
            offset += len(chunk)
            if RECORD in tail + chunk:
                found.append(time.time())
                return
            tail = chunk[-len(RECORD) :]
        time.sleep(0.002)


def run_once(
    sandbox: SandboxProcess,
    command: list[str],
    workdir: Path,
    env: dict[str, str],
    digest: bool = False,
) -> Run:
    sandbox.clear()
    out = workdir / "out.jsonl"
    out.write_bytes(b"")
    found: list[float] = []
    done = threading.Event()
    with out.open("wb") as stdout, (workdir / "stderr.txt").open("wb") as stderr:
        started = time.time()
        proc = subprocess.Popen(command, stdout=stdout, stderr=stderr, env=env, cwd=workdir)
        watcher = threading.Thread(
            target=_watch_first_record, args=(out, started, found, done), daemon=True
        )
        watcher.start()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.time() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
    done.set()
    watcher.join()
    if proc.returncode != 0:
        # The connector reports on stdout (TRACE and LOG messages), the raw loops on stderr.
        said = [line for line in out.read_bytes().splitlines() if RECORD not in line[:40]]
        raise SystemExit(
            f"{command[0]} failed ({proc.returncode}): "
            + (workdir / "stderr.txt").read_text()[-2000:]
            + b"\n".join(said[-5:]).decode(errors="replace")[-3000:]
        )
    times = sandbox.request_times()
    first = found[0] if found else None
    records, last_state = 0, None
    per_ticker: Counter[str] = Counter()
    lines = hashlib.blake2b(digest_size=16)
    ticker_lines: dict[str, Any] = {}
    with out.open("rb") as handle:
        for line in handle:
            if RECORD in line[:40]:
                records += 1
                # "stock_ticker" is the first field of every record
                start = line.index(b'"stock_ticker":"') + 16
                ticker = line[start : line.index(b'"', start)].decode()
                per_ticker[ticker] += 1
                if digest:
                    line = NOT_COMPARED.sub(b"", line)
                    lines.update(line)
                    ticker_lines.setdefault(ticker, hashlib.blake2b(digest_size=16)).update(line)
            elif b'"type":"STATE"' in line[:40]:
                last_state = orjson.loads(line)["state"]
    reqs = sandbox.data_requests()
    return Run(
        wall=wall,
        ttfr_start=first - started if first else None,
        ttfr_request=first - times[0] if first and times else None,
        rss_mb=usage.ru_maxrss / 1024,
        records=records,
        requests=len(reqs),
        statuses=Counter(r["status"] for r in reqs),
        per_ticker=per_ticker,
        last_state=last_state,
        from_request=started + wall - times[0] if times else None,
        digest=lines.hexdigest() if digest else None,
        ticker_digest=str(sorted((t, h.hexdigest()) for t, h in ticker_lines.items()))
        if digest
        else None,
    )


def connector_command(
    workdir: Path,
    tickers: list[str],
    timespan: str,
    start: str,
    state: Any = None,
    concurrency: int | None = None,
) -> list[str]:
    config = {
        "api_key": KEY,
        "tickers": tickers,
        "start_date": start,
        "end_date": TODAY,
        "timespan": timespan,
        "requests_per_minute": 6000,
        "api_url": "SANDBOX",
    }
    if concurrency is not None:
        config["max_concurrent_requests"] = concurrency
    catalog = orjson.loads((ROOT / "integration_tests" / "configured_catalog.json").read_bytes())
    # Prices only: the baseline fetches bars, and the reference streams would add requests.
    catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] == "stock_prices"]
    (workdir / "catalog.json").write_bytes(orjson.dumps(catalog))
    (workdir / "config.json").write_bytes(orjson.dumps(config))
    command = [*CONNECTOR, "read", "--config", "config.json", "--catalog", "catalog.json"]
    if state is not None:
        (workdir / "state.json").write_bytes(orjson.dumps([state]))
        command += ["--state", "state.json"]
    return command


@dataclass
class Economy:
    """One row of the request-economy table."""

    workload: str
    made: int
    minimum: int
    how: str


ECONOMY: list[Economy] = []
# Medians of each `measure`d workload, by name: (connector, baseline).
MEDIANS: dict[str, tuple[dict[str, float | None], dict[str, float | None]]] = {}


def per_ticker_minimum(run: Run) -> int:
    """Pages a raw loop needs for the bars each ticker holds: ceil(bars / 50000) per ticker."""
    return sum(math.ceil(n / LIMIT) for n in run.per_ticker.values())


def trading_days(first: str, last: str) -> int:
    """NYSE trading days in [first, last], from the sandbox's calendar: grouped requests."""
    from polygon_sandbox.data.trading_calendar import TRADING_DAYS

    return len(TRADING_DAYS.between(date.fromisoformat(first), date.fromisoformat(last)))


def grouped_minimum(run: Run, first: str, last: str) -> tuple[int, str]:
    per_ticker, days = per_ticker_minimum(run), trading_days(first, last)
    if days < per_ticker:
        return days, f"grouped daily: {days} trading day{'s' if days != 1 else ''} pending"
    return per_ticker, f"per ticker (fewer than {days} grouped days)"


def print_economy() -> None:
    print("\n## Request economy: requests made, next to the fewest the API allows")
    print("| workload | requests | API minimum | minimum from |")
    print("|---|---|---|---|")
    for row in ECONOMY:
        print(f"| {row.workload} | {row.made:,} | {row.minimum:,} | {row.how} |")
    equal = sum(row.made == row.minimum for row in ECONOMY)
    print(f"equal on {equal} of {len(ECONOMY)} rows")


def median_run(runs: list[Run]) -> dict[str, float | None]:
    def med(values: list[float | None]) -> float | None:
        present = [v for v in values if v is not None]
        return statistics.median(present) if present else None

    return {
        "wall": med([r.wall for r in runs]),
        "rate": med([r.rate for r in runs]),
        "rss": med([r.rss_mb for r in runs]),
        "ttfr_start": med([r.ttfr_start for r in runs]),
        "ttfr_request": med([r.ttfr_request for r in runs]),
    }


def fmt(value: float | None, spec: str) -> str:
    return "-" if value is None else format(value, spec)


def measure(
    sandbox: SandboxProcess,
    name: str,
    tickers: list[str],
    timespan: str,
    start: str,
    runs: int,
    workdir: Path,
    env: dict[str, str],
) -> tuple[Run, Run]:
    """Warm-up, then `runs` alternating runs of the connector and of the baseline."""
    ours_cmd = connector_command(workdir, tickers, timespan, start)
    config = workdir / "config.json"
    config.write_bytes(config.read_bytes().replace(b'"SANDBOX"', f'"{sandbox.url}"'.encode()))
    base_cmd = [*BASELINE, sandbox.url, KEY, timespan, start, TODAY, *tickers]
    run_once(sandbox, base_cmd, workdir, env)  # warm-up: the sandbox builds and caches its bars
    ours: list[Run] = []
    base: list[Run] = []
    for _ in range(runs):
        ours.append(run_once(sandbox, ours_cmd, workdir, env))
        base.append(run_once(sandbox, base_cmd, workdir, env))
    o, b = median_run(ours), median_run(base)
    MEDIANS[name] = (o, b)
    minimum = per_ticker_minimum(base[0])
    print(f"\n## {name}: {len(tickers)} tickers, {timespan} bars, {start} .. {TODAY}")
    print(f"records: connector {ours[0].records}, baseline {base[0].records}")
    if ours[0].per_ticker != base[0].per_ticker:
        print("  WARNING: the connector and the baseline disagree on records per ticker")
    print(
        f"HTTP requests: connector {ours[0].requests} (statuses {dict(ours[0].statuses)}), "
        f"baseline {base[0].requests}, API minimum {minimum} "
        f"(sum over tickers of ceil(base aggregates / {LIMIT}))"
    )
    header = f"{'':10} {'wall s':>8} {'records/s':>10} {'peak RSS MB':>12} "
    header += f"{'1st rec from start s':>21} {'1st rec from 1st request s':>27}"
    print(f"median of {runs} runs:")
    print(header)
    for label, m in (("connector", o), ("baseline", b)):
        print(
            f"{label:10} {fmt(m['wall'], '8.2f')} {fmt(m['rate'], '10,.0f')} "
            f"{fmt(m['rss'], '12.1f')} {fmt(m['ttfr_start'], '21.3f')} "
            f"{fmt(m['ttfr_request'], '27.3f')}"
        )
    if o["rate"] and b["rate"]:
        print(f"connector / baseline records/s: {o['rate'] / b['rate']:.2f}")
    print("all runs (connector wall s): " + ", ".join(f"{r.wall:.2f}" for r in ours))
    print("all runs (baseline wall s):  " + ", ".join(f"{r.wall:.2f}" for r in base))
    return ours[-1], base[-1]


def minute_targets(four: Run, one: Run) -> None:
    """The loopback minute workload's targets: records/s against the raw loop, peak RSS."""
    o4, b4 = MEDIANS["(b) minute"]
    o1, _ = MEDIANS["(b1) minute, memory check"]
    if not (o4["rate"] and b4["rate"] and o4["rss"] and o1["rss"]):
        return
    ratio, growth = o4["rate"] / b4["rate"], o4["rss"] - o1["rss"]
    print(
        f"\n(b) targets: connector / raw loop records/s {ratio:.2f} "
        f"(at least 0.50: {'met' if ratio >= 0.5 else 'NOT met'}); "
        f"peak RSS (medians) {o1['rss']:.1f} MB at 1 ticker ({one.records:,} records), "
        f"{o4['rss']:.1f} MB at 4 tickers ({four.records:,} records): "
        f"under {RSS_LIMIT_MB} MB: {'yes' if o4['rss'] < RSS_LIMIT_MB else 'NO'}, "
        f"{'flat' if abs(growth) <= 10 else 'NOT flat'} ({growth:+.1f} MB)"
    )


def latency_workload(
    sandbox: SandboxProcess,
    name: str,
    tickers: list[str],
    timespan: str,
    start: str,
    delay: float,
    runs: int,
    workdir: Path,
    env: dict[str, str],
    in_flight: int,
) -> None:
    """Every response held `delay` seconds: the connector with `max_concurrent_requests` =
    `in_flight`, next to the sequential raw loop and the raw loop with `in_flight` requests in
    flight. Medians of `runs` rounds of the three, after a warm-up without delay."""
    ours_cmd = connector_command(workdir, tickers, timespan, start, concurrency=in_flight)
    config = workdir / "config.json"
    config.write_bytes(config.read_bytes().replace(b'"SANDBOX"', f'"{sandbox.url}"'.encode()))
    args = [sandbox.url, KEY, timespan, start, TODAY, *tickers]
    loops = {
        "connector": ours_cmd,
        "raw, sequential": [*BASELINE, *args],
        f"raw, {in_flight} in flight": [*BASELINE, "--in-flight", str(in_flight), *args],
    }
    sandbox.set_delay(None)
    run_once(sandbox, loops[f"raw, {in_flight} in flight"], workdir, env)  # warm-up: bars cached
    done: dict[str, list[Run]] = {label: [] for label in loops}
    sandbox.set_delay(delay)
    try:
        for round_ in range(runs):
            for label, command in loops.items():
                done[label].append(run_once(sandbox, command, workdir, env, digest=round_ == 0))
    finally:
        sandbox.set_delay(None)
    first = {label: runs_[0] for label, runs_ in done.items()}
    raw = first["raw, sequential"]
    requests_ = per_ticker_minimum(raw)
    chain = max(math.ceil(n / LIMIT) for n in raw.per_ticker.values())
    spread = requests_ * delay / in_flight
    ideal = max(spread, chain * delay)
    print(f"\n## {name}: {len(tickers)} tickers, {timespan} bars, {start} .. {TODAY}, "
          f"every response held {delay * 1000:.0f} ms, {in_flight} requests in flight")  # fmt: skip
    print(
        f"ideal (the delays alone, with {in_flight} in flight): {ideal:.2f} s = max("
        f"{requests_} requests x {delay:g} s / {in_flight} = {spread:.2f} s, longest chain "
        f"{chain} page{'s' if chain != 1 else ''} x {delay:g} s = {chain * delay:.2f} s)"
    )
    ours, in_flight_raw = first["connector"], first[f"raw, {in_flight} in flight"]
    agree = len({tuple(sorted(r.per_ticker.items())) for r in first.values()}) == 1
    same_lines = "identical to" if in_flight_raw.digest == raw.digest else "DIFFERENT from"
    per_ticker = "identical" if ours.ticker_digest == raw.ticker_digest else "DIFFERENT"
    order = "in the same order" if ours.digest == raw.digest else "tickers in another order"
    print(
        "records: "
        + ", ".join(f"{label} {run.records:,}" for label, run in first.items())
        + f"; per ticker: {'all agree' if agree else 'DISAGREE'}"
    )
    print(
        f"lines (emitted_at and null fields left out): the in-flight raw loop's {same_lines} the "
        "sequential "
        f"one's; the connector's, ticker by ticker, {per_ticker} ({order})"
    )
    print(
        "HTTP requests: "
        + ", ".join(f"{label} {run.requests}" for label, run in first.items())
        + f" (API minimum {requests_})"
    )
    print(f"median of {runs} runs:")
    print(f"{'':22} {'wall s':>8} {'from 1st request s':>19} {'records/s':>10} {'peak RSS MB':>12}")
    medians = {label: median_run(runs_) for label, runs_ in done.items()}
    from_request = {
        label: statistics.median(r.from_request for r in runs_ if r.from_request is not None)
        for label, runs_ in done.items()
    }
    for label, m in medians.items():
        print(
            f"{label:22} {fmt(m['wall'], '8.2f')} {from_request[label]:19.2f} "
            f"{fmt(m['rate'], '10,.0f')} {fmt(m['rss'], '12.1f')}"
        )
    wall, target = medians["connector"]["wall"], medians[f"raw, {in_flight} in flight"]["wall"]
    if wall and target:
        ratio = wall / target
        late = from_request["connector"] / from_request[f"raw, {in_flight} in flight"]
        print(
            f"connector / raw {in_flight} in flight, wall: {ratio:.2f} (within 1.25: "
            f"{'yes' if ratio <= 1.25 else 'NO'}); from the first request: {late:.2f}. "
            "The connector's wall time includes starting Python and importing the CDK "
            "(the import line above); 'from 1st request' leaves that out."
        )
    for label, runs_ in done.items():
        print(f"all runs ({label} wall s): " + ", ".join(f"{r.wall:.2f}" for r in runs_))


def import_time(env: dict[str, str], module: str) -> float:
    """Seconds to import `module` in a fresh interpreter (median of 3)."""
    code = f"import time; t=time.perf_counter(); import {module}; print(time.perf_counter()-t)"
    values = [
        float(
            subprocess.run(
                [PYTHON, "-c", code], capture_output=True, text=True, cwd=ROOT, env=env
            ).stdout
        )
        for _ in range(3)
    ]
    return statistics.median(values)


def incremental(
    sandbox: SandboxProcess, tickers: list[str], state: Any, workdir: Path, cold: bool
) -> None:
    print(f"\n## Incremental syncs ({len(tickers)} tickers, minute bars, state of the full sync)")
    # The fewest requests: none when the market has not been open since the cursors; one page
    # a ticker for a day of minute bars (960 at most).
    minimums = {NOW: (0, "nothing is new"), NEXT_NOW: (len(tickers), "per ticker")}
    for label, now in (("nothing new (same now)", NOW), ("one new trading day", NEXT_NOW)):
        sandbox.set_now(now)
        env = child_env(now, cold)
        command = connector_command(workdir, tickers, "minute", "2025-11-21", state)
        end = "2026-11-23" if now == NEXT_NOW else TODAY
        config = workdir / "config.json"
        text = config.read_bytes().replace(b'"SANDBOX"', f'"{sandbox.url}"'.encode())
        config.write_bytes(text.replace(f'"{TODAY}"'.encode(), f'"{end}"'.encode()))
        run = run_once(sandbox, command, workdir, env)
        minimum, how = minimums[now]
        print(
            f"{label:24}: {run.records:6} records, {run.requests} HTTP requests "
            f"(API minimum {minimum}), {run.wall:.2f} s wall"
        )
        ECONOMY.append(
            Economy(f"{len(tickers)} tickers, minute bars, {label}", run.requests, minimum, how)
        )
    sandbox.set_now(NOW)


def daily_one_day_behind(sandbox: SandboxProcess, tickers: list[str], workdir: Path) -> None:
    """100 tickers of daily bars whose cursors sit on Friday's bar, synced Monday evening: one
    bar each, which the grouped daily endpoint returns in one request."""
    monday = "2026-11-23"
    sandbox.set_now(NEXT_NOW)
    env = child_env(NEXT_NOW, False)
    settings = {"timespan": "day", "multiplier": 1, "adjusted": True}
    friday = {"timestamp": "2026-11-20T05:00:00Z"}
    stream_state = {"bar_settings": settings, **{ticker: friday for ticker in tickers}}
    state = {
        "type": "STREAM",
        "stream": {"stream_descriptor": {"name": "stock_prices"}, "stream_state": stream_state},
    }
    command = connector_command(workdir, tickers, "day", "2024-11-21", state)
    config = workdir / "config.json"
    text = config.read_bytes().replace(b'"SANDBOX"', f'"{sandbox.url}"'.encode())
    config.write_bytes(text.replace(f'"{TODAY}"'.encode(), f'"{monday}"'.encode()))
    ours = run_once(sandbox, command, workdir, env)
    base = run_once(
        sandbox, [*BASELINE, sandbox.url, KEY, "day", monday, monday, *tickers], workdir, env
    )
    minimum, how = grouped_minimum(base, monday, monday)
    print(
        f"\n## {len(tickers)} tickers, daily bars, one day behind: {ours.records} records, "
        f"{ours.requests} HTTP requests (API minimum {minimum}: {how})"
    )
    ECONOMY.append(
        Economy(f"{len(tickers)} tickers, daily bars, one day behind", ours.requests, minimum, how)
    )
    sandbox.set_now(NOW)


def dense_seconds(
    sandbox: SandboxProcess, runs: int, workdir: Path, env: dict[str, str], minute_rss: float | None
) -> None:
    """Second bars, the densest the sandbox serves: peak RSS must not grow with the page.

    `limit` counts minutes for second bars, so with limit=50000 one page held a whole window's
    bars (about 175,000 here, millions for a busy real ticker); the connector now asks for at
    most 50,000 bars a page.
    """
    start = "2026-08-21"
    command = connector_command(workdir, ["AAPL"], "second", start)
    config = workdir / "config.json"
    config.write_bytes(config.read_bytes().replace(b'"SANDBOX"', f'"{sandbox.url}"'.encode()))
    run_once(sandbox, command, workdir, env)  # warm-up: the sandbox builds and caches its bars
    done = [run_once(sandbox, command, workdir, env) for _ in range(runs)]
    pages = [r["results_count"] for r in sandbox.data_requests()]
    rss = statistics.median(r.rss_mb for r in done)
    print(f"\n## (c) dense seconds: 1 ticker, second bars, {start} .. {TODAY}")
    print(
        f"records {done[0].records:,}, HTTP requests {done[0].requests}, "
        f"bars per page: largest {max(pages):,}, mean {statistics.mean(pages):,.0f}"
    )
    print(
        f"median of {runs} runs: wall {statistics.median(r.wall for r in done):.2f} s, "
        f"{statistics.median(r.rate for r in done):,.0f} records/s, peak RSS {rss:.1f} MB"
        + (f" (minute workload: {minute_rss:.1f} MB)" if minute_rss else "")
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per figure (median)")
    parser.add_argument("--skip-daily", action="store_true")
    parser.add_argument("--skip-minute", action="store_true")
    parser.add_argument("--skip-seconds", action="store_true")
    parser.add_argument(
        "--skip-latency", action="store_true", help="skip the latency-bound workloads"
    )
    parser.add_argument(
        "--only-latency", action="store_true", help="run only the latency-bound workloads"
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        default=IN_FLIGHT,
        help="requests in flight in the latency workloads: the connector's "
        "max_concurrent_requests and the raw loop's (default %(default)s)",
    )
    parser.add_argument(
        "--skip-streams", action="store_true", help="skip the every-stream request table"
    )
    parser.add_argument(
        "--cold-imports",
        action="store_true",
        help="keep PYTHONDONTWRITEBYTECODE: every process compiles its imports again",
    )
    args = parser.parse_args()
    if args.only_latency:
        if args.skip_latency:
            parser.error("--only-latency and --skip-latency exclude each other")
        args.skip_daily = args.skip_minute = args.skip_seconds = True
    env = child_env(NOW, args.cold_imports)
    cold_env = child_env(NOW, True)

    from polygon_sandbox.data.universe import THIN_TICKERS, TICKERS

    sandbox = SandboxProcess(NOW)
    try:
        with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
            workdir = Path(tmp)
            print(f"sandbox {sandbox.url}, now {NOW}, python {sys.version.split()[0]}")
            import_time(env, "source_stock_ticker_api.run")  # fills the bytecode cache
            print(
                "import in a fresh interpreter (median of 3), without / with a bytecode cache: "
                f"airbyte_cdk {import_time(cold_env, 'airbyte_cdk'):.2f} / "
                f"{import_time(child_env(NOW, False), 'airbyte_cdk'):.2f} s, "
                f"connector {import_time(cold_env, 'source_stock_ticker_api.run'):.2f} / "
                f"{import_time(child_env(NOW, False), 'source_stock_ticker_api.run'):.2f} s"
            )
            print(
                "this run: "
                + ("no bytecode cache (--cold-imports)" if args.cold_imports else
                   f"bytecode cache in {PYCACHE} (as an installed connector has)")
            )  # fmt: skip
            hundred = list(TICKERS[:100])
            if not args.skip_daily:
                ours, base = measure(
                    sandbox, "(a) daily", hundred, "day", "2024-11-21", args.runs, workdir, env
                )
                minimum, how = grouped_minimum(base, "2024-11-21", TODAY)
                ECONOMY.append(
                    Economy("100 tickers, daily bars, 2-year backfill", ours.requests, minimum, how)
                )
                daily_one_day_behind(sandbox, hundred, workdir)
            if not args.skip_minute:
                four = ["AAPL", "MSFT", "GOOGL", "AMZN"]
                ours, base = measure(
                    sandbox, "(b) minute", four, "minute", "2025-11-21", args.runs, workdir, env
                )
                ECONOMY.append(
                    Economy(
                        "4 tickers, minute bars, 1 year (dense)",
                        ours.requests,
                        per_ticker_minimum(base),
                        "per ticker",
                    )
                )
                one, base = measure(
                    sandbox, "(b1) minute, memory check", four[:1], "minute", "2025-11-21",
                    args.runs, workdir, env,
                )  # fmt: skip
                ECONOMY.append(
                    Economy(
                        "1 ticker, minute bars, 1 year (dense)",
                        one.requests,
                        per_ticker_minimum(base),
                        "per ticker",
                    )
                )
                thin, base = measure(
                    sandbox, "(t) thin minute", list(THIN_TICKERS), "minute", "2025-11-21",
                    args.runs, workdir, env,
                )  # fmt: skip
                ECONOMY.append(
                    Economy(
                        f"{len(THIN_TICKERS)} thin tickers, minute bars, 1 year",
                        thin.requests,
                        per_ticker_minimum(base),
                        "per ticker",
                    )
                )
                print(
                    f"\npeak RSS as records grow: {one.records:,} records -> {one.rss_mb:.1f} MB, "
                    f"{ours.records:,} records -> {ours.rss_mb:.1f} MB"
                )
                minute_targets(ours, one)
                incremental(sandbox, four, ours.last_state, workdir, args.cold_imports)
            if not args.skip_seconds:
                minute_rss = None if args.skip_minute else ours.rss_mb
                dense_seconds(sandbox, args.runs, workdir, env, minute_rss)
            if not args.skip_latency:
                latency_workload(
                    sandbox, "(L1) daily, 100 ms a response", hundred, "day", "2024-11-21",
                    0.1, args.runs, workdir, env, args.in_flight,
                )  # fmt: skip
                latency_workload(
                    sandbox, "(L2) minute, 500 ms a response", ["AAPL", "MSFT", "GOOGL", "AMZN"],
                    "minute", "2025-11-21", 0.5, args.runs, workdir, env, args.in_flight,
                )  # fmt: skip
            if ECONOMY:
                print_economy()
            if not args.skip_streams and not args.only_latency:
                print_stream_requests(sandbox.url, KEY, CONNECTOR, env, workdir, TODAY)
    finally:
        sandbox.stop()


if __name__ == "__main__":
    main()

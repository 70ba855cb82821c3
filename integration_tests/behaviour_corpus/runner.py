"""How a scenario is run, normalized and rendered as the text kept in expected/.

A run uses only the connector's public interfaces, those a restructuring must keep: the console
entry point `source_stock_ticker_api.run.run(args)` (in-process, file descriptor 1 captured, as
the platform reads the process's stdout) or `python main.py` as a subprocess; the config,
catalog and state files; the `STOCK_TICKER_API_NOW` clock. The API is a fresh sandbox per run.

Normalization is kept to what varies between two identical runs (see `normalize_line`):
emission times, the CDK's measured durations, the sandbox's port, and the request ids and Date
headers the CDK quotes from a refused answer; and to what names this checkout rather than the
connector's behaviour: the frames (paths, line numbers) of stack traces. Everything else is
compared byte for byte.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from integration_tests.behaviour_corpus.scenarios import (
    BASE_CONFIG,
    SCENARIOS,
    Comparison,
    Scenario,
)
from integration_tests.in_process import run_in_process
from polygon_sandbox import DEFAULT_KEYS, RequestRecord, Sandbox
from source_stock_ticker_api.clock import NOW_ENV_VAR

REPO_ROOT = Path(__file__).resolve().parents[2]
EXPECTED_DIR = Path(__file__).resolve().parent / "expected"
SUBPROCESS_TIMEOUT_SECONDS = 120

# Placeholders: what a normalized line holds instead of a value that changes from run to run.
EMITTED_AT = '"<emitted_at>"'
DURATION = "<duration>"
SANDBOX_URL = "<sandbox-url>"
REQUEST_ID = "<request_id>"
DATE_HEADER = "'Date': '<date>'"
CODE_LOCATIONS = "<code locations>"

# `"emitted_at":1796238986875` (RECORD) or `"emitted_at":1796238986679.95` (TRACE): the wall
# clock in ms when the message was made.
_EMITTED_AT = re.compile(r'"emitted_at":-?[0-9][0-9.eE+-]*')
# The CDK's timer report at the end of a read (airbyte_cdk/utils/event_timing.py):
# "SourceStockTickerApi runtimes:\nSyncing stream stock_prices 0:00:00.225042", one line per
# stream, each a measured duration (a timedelta; no fraction when it is whole seconds).
_RUNTIMES = re.compile(r'"message":"[A-Za-z0-9_]+ runtimes:(?:\\n[^"\\]+ [0-9:.]+)*"')
_DURATION = re.compile(r"(?<= )[0-9]+:[0-9]{2}:[0-9]{2}(?:\.[0-9]+)?(?=\\n|\")")
# A Python traceback inside a JSON string (TRACE `stack_trace`, a LOG's appended traceback):
# from "Traceback (most recent call last):" to the last frame's source line. The frames name
# files, line numbers and code, which say where the code is (this checkout, its layout), not
# what the connector does; the exception line that follows them is kept.
_FRAMES = re.compile(r"Traceback \(most recent call last\):(?:\\n {2}.*?)(?=\\n[^ ])")
# The CDK's line for a failed request quotes the answer's body and headers: the sandbox's
# `request_id` (a fresh uuid4 per answer, as the vendor's) and the `Date` header (wall clock).
_REQUEST_ID = re.compile(r"(request_id['\"\\]*: ?['\"\\]*)[0-9a-f]{32}")
_DATE_HEADER = re.compile(r"'Date': '[^']*'")


@dataclass
class RunResult:
    """What one run printed (stdout, raw) and what the sandbox saw, before normalization."""

    exit_code: int
    stdout: str
    requests: list[RequestRecord]
    sandbox_url: str


def normalize_line(line: str, sandbox_url: str) -> str:
    """The line with only its run-dependent parts replaced by placeholders.

    - RECORD and TRACE lines: `emitted_at` (wall-clock time of emission).
    - The CDK's "<Source> runtimes:" LOG line: each stream's measured duration.
    - Any line: the sandbox's URL (a free port, new each run), e.g. in "Could not reach ...";
      in the CDK's line for a failed request, the answer's `request_id` (random) and `Date`
      header (wall clock).
    - Tracebacks (TRACE `stack_trace`, LOG lines of uncaught errors): the frames, which name
      this checkout's paths and the code's line numbers; the exception's own line stays.
    """
    if line.startswith(('{"type":"RECORD"', '{"type":"TRACE"')):
        line = _EMITTED_AT.sub(f'"emitted_at":{EMITTED_AT}', line, count=1)
    if line.startswith('{"type":"LOG"'):
        line = _RUNTIMES.sub(lambda m: _DURATION.sub(DURATION, m.group(0)), line)
    line = line.replace(sandbox_url, SANDBOX_URL)
    if "request_id" in line:
        line = _REQUEST_ID.sub(lambda m: m.group(1) + REQUEST_ID, line)
    if "'Date': '" in line:
        line = _DATE_HEADER.sub(DATE_HEADER, line)
    if "Traceback (most recent call last):" in line:
        line = _FRAMES.sub(f"Traceback (most recent call last):\\\\n  {CODE_LOCATIONS}", line)
    return line


def request_line(request: RequestRecord) -> str:
    """`GET /path?a=1&b=2 -> 200` (query parameters sorted), plus the fault injected if any."""
    query = "&".join(sorted(part for part in request.query.split("&") if part))
    target = f"{request.path}?{query}" if query else request.path
    fault = f" ({request.fault})" if request.fault else ""
    return f"{request.method} {target} -> {request.status}{fault}"


def render(scenario: Scenario, result: RunResult) -> str:
    """The text kept in expected/<name>.txt: exit code, normalized output, requests."""
    lines = [line for line in result.stdout.splitlines() if line.strip()]
    output = [normalize_line(line, result.sandbox_url) for line in lines]
    requests = [request_line(request) for request in result.requests]
    head = [
        f"# {scenario.name}: {scenario.about}",
        f"exit code: {result.exit_code}",
        f"comparison: {scenario.comparison.value}",
    ]
    if scenario.comparison is Comparison.IN_FLIGHT:
        body = _in_flight_sections(output, result.requests)
    else:
        body = [
            f"--- output ({len(output)} lines)",
            *output,
            f"--- requests ({len(requests)})",
            *requests,
        ]
    return "\n".join([*head, *body]) + "\n"


# The totals line's count of requests at once, left out of in-flight comparisons.
AT_ONCE = re.compile(r", up to \d+ at once")


def _in_flight_sections(output: list[str], requests: list[RequestRecord]) -> list[str]:
    """With requests in flight, tickers' pages are written as they arrive. What is fixed, and
    compared: each ticker's records and requests in order, the number of STATE messages and
    each stream's final state, each stream's first ESTIMATE (the plan's) and its last row
    estimate (the bars read), and the multiset of every other line.

    Left out: the STATE messages before the last (which tickers they hold depends on which
    page came first; so does the order of the final state's keys) and the ESTIMATEs after the
    first (their byte estimates scale by the size of the records read so far, and an estimate
    is sent only when it changed), and the totals line's ", up to N at once": the first request
    goes alone, and how many of the others overlap depends on when its answer arrives (the unit
    tests of prices/inflight.py pin the limit itself).
    """
    records: dict[tuple[str, str], list[str]] = {}
    final_states: dict[str, str] = {}
    state_count = 0
    estimates: dict[str, list[str]] = {}
    others: list[str] = []
    for line in output:
        try:
            message = json.loads(line)
        except ValueError:  # not a message (a stray print): compared as any other line
            message = {}
        kind = message.get("type")
        trace = message.get("trace") or {}
        if kind == "RECORD":
            record = message["record"]
            data = record["data"]
            ticker = data.get("stock_ticker") or data.get("ticker") or ""
            records.setdefault((record["stream"], ticker), []).append(line)
        elif kind == "STATE":
            state_count += 1
            stream = message["state"]["stream"]
            name = stream["stream_descriptor"]["name"]
            final_states[name] = json.dumps(stream["stream_state"], sort_keys=True)
        elif kind == "TRACE" and trace.get("type") == "ESTIMATE":
            estimates.setdefault(trace["estimate"]["name"], []).append(line)
        else:
            others.append(AT_ONCE.sub("", line))
    by_ticker: dict[str, list[str]] = {}
    for request in requests:
        by_ticker.setdefault(request.ticker or "", []).append(request_line(request))
    # Grouped days and reference requests name no ticker: not one chain, so sorted.
    untickered = sorted(by_ticker.pop("", []))
    sections: list[str] = []
    for (stream, ticker), lines in sorted(records.items()):
        sections += [f"--- records of {stream} {ticker} ({len(lines)}, in order)", *lines]
    for ticker, lines in sorted(by_ticker.items()):
        sections += [f"--- requests for {ticker} ({len(lines)}, in order)", *lines]
    if untickered:
        sections += [f"--- requests for no ticker ({len(untickered)}, sorted)", *untickered]
    sections.append(f"--- STATE messages: {state_count}; final state of each stream, keys sorted")
    sections += [f"{name}: {state}" for name, state in sorted(final_states.items())]
    sections.append("--- first ESTIMATE of each stream, and its last row estimate")
    for name, lines in sorted(estimates.items()):
        last = json.loads(lines[-1])["trace"]["estimate"]["row_estimate"]
        sections += [lines[0], f"{name}: last row_estimate {last}"]
    sections += [f"--- other lines ({len(others)}, sorted)", *sorted(others)]
    return sections


# -- running ---------------------------------------------------------------------------------


def run_scenario(scenario: Scenario, *, subprocess_run: bool = False) -> RunResult:
    """One run of `scenario` against a fresh sandbox, in-process or as `python main.py`."""
    keys = {**DEFAULT_KEYS, **scenario.keys}
    with (
        Sandbox(
            now=_instant(scenario.now),
            seed=1,
            keys=keys,
            faults=scenario.faults,
            rate_window_seconds=scenario.rate_window_seconds,
        ) as sandbox,
        tempfile.TemporaryDirectory(prefix="behaviour-corpus-") as workdir,
    ):
        args = _write_files(scenario, Path(workdir), sandbox.url)
        connector_now = scenario.connector_now or scenario.now
        if subprocess_run:
            exit_code, stdout = _run_subprocess(args, Path(workdir), connector_now)
        else:
            ran = run_in_process(args, env={NOW_ENV_VAR: connector_now}, cwd=Path(workdir))
            exit_code, stdout = ran.exit_code, ran.stdout
        return RunResult(exit_code, stdout, sandbox.requests, sandbox.url)


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def _write_files(scenario: Scenario, workdir: Path, sandbox_url: str) -> list[str]:
    """The command line, with its files written to `workdir` and named relative to it (the
    run's working directory), so no message quotes a temporary path."""
    args: list[str] = [scenario.command]
    if scenario.config is not None:
        config = {**BASE_CONFIG, "api_url": sandbox_url, **scenario.config}
        (workdir / "config.json").write_text(json.dumps(config))
        args += ["--config", "config.json"]
    if scenario.command == "read":
        (workdir / "catalog.json").write_text(json.dumps(catalog(scenario.streams)))
        args += ["--catalog", "catalog.json"]
    if scenario.state_text is not None:
        (workdir / "state.json").write_text(scenario.state_text)
        args += ["--state", "state.json"]
    elif scenario.state is not None:
        (workdir / "state.json").write_text(json.dumps(scenario.state))
        args += ["--state", "state.json"]
    return args


def catalog(streams: Mapping[str, str]) -> dict[str, Any]:
    """A configured catalog of `streams` (name -> sync mode), as the platform would send it; the
    connector reads its own schemas, so the catalog's is left minimal."""
    return {
        "streams": [
            {
                "stream": {
                    "name": name,
                    "json_schema": {"type": "object"},
                    "supported_sync_modes": ["full_refresh", "incremental"],
                },
                "sync_mode": mode,
                "destination_sync_mode": "append" if mode == "incremental" else "overwrite",
            }
            for name, mode in streams.items()
        ]
    }


def _run_subprocess(args: list[str], workdir: Path, connector_now: str) -> tuple[int, str]:
    """`python main.py <args>` in `workdir`, as the platform runs the connector."""
    env = {**os.environ, NOW_ENV_VAR: connector_now}
    done = subprocess.run(
        [sys.executable, str(REPO_ROOT / "main.py"), *args],
        cwd=workdir,
        env=env,
        capture_output=True,
        timeout=SUBPROCESS_TIMEOUT_SECONDS,
        check=False,
    )
    return done.returncode, done.stdout.decode("utf-8")


# -- comparing -------------------------------------------------------------------------------


def expected_path(scenario: Scenario) -> Path:
    return EXPECTED_DIR / f"{scenario.name}.txt"


def rendered(scenario: Scenario, *, subprocess_run: bool = False) -> str:
    return render(scenario, run_scenario(scenario, subprocess_run=subprocess_run))


def difference(scenario: Scenario, actual: str) -> str:
    """A unified diff of expected/<name>.txt against `actual`; empty when they are equal."""
    path = expected_path(scenario)
    expected = path.read_text(encoding="utf-8") if path.exists() else ""
    if expected == actual:
        return ""
    return "".join(
        difflib.unified_diff(
            expected.splitlines(keepends=True),
            actual.splitlines(keepends=True),
            fromfile=f"expected/{path.name}" if path.exists() else f"expected/{path.name} (none)",
            tofile=f"{scenario.name} (this run)",
        )
    )


def select(only: list[str] | None = None) -> list[Scenario]:
    """The scenarios named (all when none are), failing on a name that is not one."""
    if not only:
        return list(SCENARIOS)
    by_name = {scenario.name: scenario for scenario in SCENARIOS}
    unknown = [name for name in only if name not in by_name]
    if unknown:
        raise KeyError(f"no scenario named {', '.join(unknown)}")
    return [by_name[name] for name in only]

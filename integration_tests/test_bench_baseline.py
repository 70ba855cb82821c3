"""The benchmark's raw loops (benchmarks/baseline.py), the target the connector is measured
against: the in-flight loop writes the sequential loop's lines, keeps at most N requests in
flight, follows each ticker's pages as a chain, and holds out-of-order pages only as needed."""

from __future__ import annotations

import io
import re
import threading
from datetime import datetime, timezone

import pytest

from benchmarks import baseline
from benchmarks.baseline import Page, in_flight
from polygon_sandbox import Sandbox

NOW = datetime(2024, 3, 1, 21, 0, tzinfo=timezone.utc)
KEY = "sandbox-unlimited-key"
TICKERS = ["AAPL", "MSFT", "TSLA", "NVDA"]
EMITTED_AT = re.compile(rb'"emitted_at":\d+')


def run_baseline(sandbox: Sandbox, *options: str) -> list[bytes]:
    """The baseline's RECORD lines for TICKERS' daily bars, 100 days a page (3 pages each)."""
    out = io.BytesIO()
    argv = [*options, "--limit", "100", sandbox.url, KEY, "day", "2023-01-03", "2024-02-29"]
    baseline.main([*argv, *TICKERS], stdout=out)
    return [EMITTED_AT.sub(b"", line) for line in out.getvalue().splitlines()]


@pytest.mark.usefixtures("loopback_only")
def test_in_flight_loop_writes_the_sequential_loops_lines_with_the_same_requests() -> None:
    with Sandbox(now=NOW) as sb:
        sequential = run_baseline(sb)
        sequential_urls = sorted(r.url for r in sb.data_requests())
        sb.clear_requests()
        concurrent = run_baseline(sb, "--in-flight", "3")
        concurrent_urls = sorted(r.url for r in sb.data_requests())
        expected = sum(
            len(sb.expected_bars(t, 1, "day", "2023-01-03", "2024-02-29")) for t in TICKERS
        )
    assert concurrent == sequential
    assert len(sequential) == expected == 4 * 291
    assert concurrent_urls == sequential_urls
    assert len(concurrent_urls) == 12  # 3 pages a ticker


def fake_pages(tickers: list[str], pages: int) -> tuple[dict[str, str], dict[str, Page]]:
    """First URLs, and the page each URL returns: `pages` chained pages a ticker."""
    answers = {}
    for ticker in tickers:
        for k in range(1, pages + 1):
            more = f"{ticker}/{k + 1}" if k < pages else None
            answers[f"{ticker}/{k}"] = Page(f"{ticker}{k};".encode(), more)
    return {ticker: f"{ticker}/1" for ticker in tickers}, answers


class Fetcher:
    """A fake fetch that records the URLs asked for and how many ran at once."""

    def __init__(self, answers: dict[str, Page], gate: threading.Barrier | None = None) -> None:
        self.answers, self.gate = answers, gate
        self.asked: list[str] = []
        self.running = self.most = 0
        self.lock = threading.Lock()

    def __call__(self, ticker: str, url: str) -> Page:
        assert url.startswith(ticker + "/")
        with self.lock:
            self.asked.append(url)
            self.running += 1
            self.most = max(self.most, self.running)
        if self.gate is not None:
            self.gate.wait()
        with self.lock:
            self.running -= 1
        return self.answers[url]


def test_at_most_n_requests_in_flight_each_ticker_a_chain() -> None:
    first, answers = fake_pages(["A", "B", "C", "D"], pages=3)
    # Each request waits for a second one: two must be in flight at once to get anywhere.
    fetch = Fetcher(answers, threading.Barrier(2, timeout=30))
    out = io.BytesIO()
    peak = in_flight(first, fetch, out.write, workers=2, buffer_bytes=1 << 20)
    assert out.getvalue() == b"A1;A2;A3;B1;B2;B3;C1;C2;C3;D1;D2;D3;"
    assert fetch.most == 2
    for ticker in "ABCD":  # page k+1 only after page k
        assert [u for u in fetch.asked if u[0] == ticker] == [f"{ticker}/{k}" for k in (1, 2, 3)]
    assert set(fetch.asked[:6]) == {"A/1", "A/2", "A/3", "B/1", "B/2", "B/3"}
    assert peak <= len(b"B1;B2;B3;")


def test_pages_of_later_tickers_wait_in_memory_and_come_out_in_ticker_order() -> None:
    first, answers = fake_pages(["A", "B"], pages=3)
    b3_asked = threading.Event()

    def fetch(ticker: str, url: str) -> Page:
        if url == "A/1":
            assert b3_asked.wait(timeout=30)  # A answers only once B has sent two pages
        if url == "B/3":
            b3_asked.set()
        return answers[url]

    out = io.BytesIO()
    peak = in_flight(first, fetch, out.write, workers=2, buffer_bytes=1 << 20)
    assert out.getvalue() == b"A1;A2;A3;B1;B2;B3;"
    assert len(b"B1;B2;") <= peak <= len(b"B1;B2;B3;")


def test_full_buffer_leaves_only_the_ticker_being_written_asking() -> None:
    first, answers = fake_pages(["A", "B", "C"], pages=2)
    fetch = Fetcher(answers)
    out = io.BytesIO()
    peak = in_flight(first, fetch, out.write, workers=3, buffer_bytes=0)
    assert out.getvalue() == b"A1;A2;B1;B2;C1;C2;"
    assert (fetch.most, peak) == (1, 0)
    assert fetch.asked == ["A/1", "A/2", "B/1", "B/2", "C/1", "C/2"]

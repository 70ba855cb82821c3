"""The practical speed limit: a plain requests + orjson loop printing the same RECORD lines.

Fetches every ticker's whole range with `limit=50000`, following `next_url` (the fewest requests
the API allows), and writes the records the connector writes (same fields, same rendering of
time), with none of the Airbyte CDK around it. No retries, no state, no logs.

Two loops, writing the same lines (only `emitted_at` differs):
- sequential (the default): one request at a time, ticker after ticker;
- `--in-flight N`: up to N requests at once. Each ticker's pages form a chain (page k+1's URL is
  the `next_url` of page k), tickers' chains run side by side on N worker threads, each with its
  own `requests.Session`; workers parse and encode their page (one at a time: the GIL runs one
  anyway), the main thread writes the pages in ticker order. Free slots go to the earliest
  ticker with a page to ask for. Pages of a ticker that cannot be written yet (an earlier ticker
  is still being read) are held as their encoded lines; once they pass `--buffer-mb` (256),
  only the ticker being written gets new requests. Memory: held pages under that plus N pages
  (a page is at most 50,000 bars, about 13 MB of lines), one page being parsed (about 35 MB),
  and N response bodies (about 5 MB each). The peak held is printed on stderr.

usage: baseline.py [--in-flight N] [--buffer-mb MB] URL KEY TIMESPAN START END TICKER...
"""

from __future__ import annotations

import argparse
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, BinaryIO
from zoneinfo import ZoneInfo

import orjson
import requests

NEW_YORK = ZoneInfo("America/New_York")
# Record field and bar key, in the connector's field order; a missing key gives None.
BAR_FIELDS = (
    ("open", "o"),
    ("high", "h"),
    ("low", "l"),
    ("close", "c"),
    ("volume", "v"),
    ("vwap", "vw"),
    ("transactions", "n"),
)
LIMIT = 50_000
TIMEOUT = (10, 60)
# Rendered hour of a bar's start, shared by every thread: (UTC "YYYY-MM-DDTHH:", New York date).
Hours = dict[int, tuple[str, str]]


def record_lines(ticker: str, body: dict[str, Any], hours: Hours) -> Iterator[bytes]:
    """The RECORD lines of one page, in its order: the lines the connector writes."""
    emitted_at = int(time.time() * 1000)
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for bar in body.get("results") or ():
        t = bar["t"]
        hour, rest = divmod(t, 3_600_000)
        cached = hours.get(hour)
        if cached is None:
            moment = datetime.fromtimestamp(hour * 3600, timezone.utc)
            cached = hours[hour] = (
                moment.strftime("%Y-%m-%dT%H:"),
                moment.astimezone(NEW_YORK).date().isoformat(),
            )
        minutes, seconds = divmod(rest // 1000, 60)
        data = {
            "stock_ticker": ticker,
            "date": cached[1],
            "timestamp": f"{cached[0]}{minutes:02d}:{seconds:02d}Z",
            "price": bar["c"],
            **{field: bar.get(key) for field, key in BAR_FIELDS},
            "otc": bar.get("otc", False),
        }
        record = {"stream": "stock_prices", "data": data, "emitted_at": emitted_at}
        yield dumps({"type": "RECORD", "record": record}, option=newline)


def new_session(key: str) -> requests.Session:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    return session


def page_params(limit: int) -> dict[str, str]:
    return {"adjusted": "true", "sort": "asc", "limit": str(limit)}


def get_body(session: requests.Session, url: str, limit: int) -> dict[str, Any]:
    response = session.get(url, params=page_params(limit), timeout=TIMEOUT)
    response.raise_for_status()
    body: dict[str, Any] = orjson.loads(response.content)
    return body


def sequential(first_urls: dict[str, str], key: str, limit: int, out: BinaryIO) -> None:
    """One request at a time: each ticker's pages, then the next ticker's."""
    session, hours = new_session(key), Hours()
    for ticker, url in first_urls.items():
        next_url: str | None = url
        while next_url:
            body = get_body(session, next_url, limit)
            for line in record_lines(ticker, body, hours):
                out.write(line)
            next_url = body.get("next_url")


@dataclass
class Page:
    """One fetched page: its encoded RECORD lines and the URL of the next page, if any."""

    lines: bytes
    next_url: str | None


Fetch = Callable[[str, str], Page]


def page_fetcher(key: str, limit: int) -> Fetch:
    """fetch(ticker, url) for worker threads: a Session per thread (sessions are not
    thread-safe), parsing and encoding done in the worker."""
    local, hours, parsing = threading.local(), Hours(), threading.Lock()

    def fetch(ticker: str, url: str) -> Page:
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = new_session(key)
        response = session.get(url, params=page_params(limit), timeout=TIMEOUT)
        response.raise_for_status()
        # One page parsed at a time: the GIL runs one anyway, and parsing several at once only
        # multiplies the memory of parsed pages (about 35 MB for 50,000 bars).
        with parsing:
            body = orjson.loads(response.content)
            del response
            # Appended one by one: each line orjson returns holds a 4 KiB block, so keeping
            # 50,000 of them to join would take 200 MB for 13 MB of text.
            lines = bytearray()
            for line in record_lines(ticker, body, hours):
                lines += line
        return Page(bytes(lines), body.get("next_url"))

    return fetch


def in_flight(
    first_urls: dict[str, str],
    fetch: Fetch,
    write: Callable[[bytes], object],
    workers: int,
    buffer_bytes: int,
) -> int:
    """Up to `workers` requests at once, pages written in ticker order; returns the peak bytes
    of pages held for that order.

    Free worker slots go to the lowest ticker with a page to ask for (the one being written
    first), then to the next ticker not started. Held pages past `buffer_bytes` stop every
    ticker but the one being written from asking for more.
    """
    tickers = list(first_urls)
    held: list[list[bytes]] = [[] for _ in tickers]  # fetched, waiting for earlier tickers
    finished = [False] * len(tickers)
    ready: dict[int, str] = {}  # ticker index -> URL of its next page, not yet requested
    running: dict[Future[Page], int] = {}
    head = started = held_bytes = peak = 0

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="fetch") as pool:
        while head < len(tickers):
            while len(running) < workers:
                # Every ticker with a page in `ready` has started, so it comes before `started`.
                if ready:
                    index = min(ready)
                elif started < len(tickers):
                    index = started
                else:
                    break
                if index != head and held_bytes >= buffer_bytes:
                    break  # held pages are full: only the ticker being written may go on
                if index == started:
                    url = first_urls[tickers[index]]
                    started += 1
                else:
                    url = ready.pop(index)
                running[pool.submit(fetch, tickers[index], url)] = index
            done, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in done:
                index = running.pop(future)
                page = future.result()
                if index == head:
                    write(page.lines)
                else:
                    held[index].append(page.lines)
                    held_bytes += len(page.lines)
                    peak = max(peak, held_bytes)
                if page.next_url:
                    ready[index] = page.next_url
                else:
                    finished[index] = True
            while head < len(tickers) and finished[head]:
                head += 1
                if head < len(tickers):
                    for lines in held[head]:
                        write(lines)
                        held_bytes -= len(lines)
                    held[head] = []
    return peak


def parse_args(argv: Sequence[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("key")
    parser.add_argument("timespan")
    parser.add_argument("start")
    parser.add_argument("end")
    parser.add_argument("tickers", nargs="+")
    parser.add_argument(
        "--in-flight", type=int, default=0, help="requests at once (default: sequential)"
    )
    parser.add_argument("--limit", type=int, default=LIMIT, help="base aggregates per page")
    parser.add_argument(
        "--buffer-mb", type=float, default=256, help="pages held for ticker order (in-flight)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None, stdout: BinaryIO | None = None) -> None:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    first_urls = {
        ticker: f"{args.url}/v2/aggs/ticker/{ticker}/range/1/{args.timespan}/"
        f"{args.start}/{args.end}"
        for ticker in args.tickers
    }
    # Its own 64 KiB buffer, as the connector has: under PYTHONUNBUFFERED (set in Airbyte's
    # images and on some machines) sys.stdout writes through, one system call per record.
    out = stdout or open(sys.stdout.fileno(), "wb", buffering=64 * 1024, closefd=False)  # noqa: SIM115
    if args.in_flight > 0:
        buffer_bytes = int(args.buffer_mb * 1024 * 1024)
        fetch = page_fetcher(args.key, args.limit)
        peak = in_flight(first_urls, fetch, out.write, args.in_flight, buffer_bytes)
        limit_mib = buffer_bytes / 2**20
        print(f"peak of pages held for ticker order: {peak / 2**20:.1f} MiB", file=sys.stderr)
        print(f"(held pages stop other tickers at {limit_mib:g} MiB)", file=sys.stderr)
    else:
        sequential(first_urls, args.key, args.limit, out)
    out.flush()


if __name__ == "__main__":
    main()

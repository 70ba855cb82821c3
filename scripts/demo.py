"""`make demo`: a full and an incremental sync against the local sandbox, told for a person.

Starts the sandbox (a stand-in of the Polygon API on loopback), runs spec, check, discover and a
full sync of a stock, a crypto pair and an index (three markets, three streams), lets a day pass
on both clocks, runs an incremental sync from the state the first one left, then one full sync of
the other streams (reference data, fundamentals, short data, news, options contracts), summarises
them and draws the closing prices on one chart. Raw Airbyte messages and the chart go to
demo-output/.
matplotlib is a dev dependency (make install), never one of the connector's.
"""

from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import urllib.request
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "demo-output"
TICKERS = ["AAPL", "X:BTCUSD", "I:SPX"]
CHART = OUTPUT / "closing-prices.png"
# Thursday 2026-11-19, 12:00 in New York: the day's bar is still forming.
START_NOW = datetime.fromisoformat("2026-11-19T17:00:00+00:00")


def main() -> None:
    OUTPUT.mkdir(exist_ok=True)
    sandbox = subprocess.Popen(
        [sys.executable, "-m", "polygon_sandbox", "--port", "0", "--now", START_NOW.isoformat()],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert sandbox.stdout is not None
        url = sandbox.stdout.readline().strip().removeprefix("SANDBOX_URL=")
        print(f"Sandbox Polygon API on {url} (its clock: {START_NOW:%A %Y-%m-%d %H:%M} UTC)\n")
        run_demo(url)
    finally:
        sandbox.terminate()
        sandbox.wait(timeout=10)


def run_demo(url: str) -> None:
    config = {
        "api_key": "sandbox-unlimited-key",
        "tickers": TICKERS,
        "start_date": "2025-11-19",
        "timespan": "day",
        "requests_per_minute": 300,
        "api_url": url,
    }
    config_path = write("config.json", config)
    # The price stream: what the demo shows is bars, state and requests per ticker.
    catalog = json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    every_stream = catalog["streams"]
    # First the price streams of the demo's three tickers; the other streams come last, once.
    prices = {"stock_prices", "crypto_prices", "index_prices"}
    catalog["streams"] = [s for s in every_stream if s["stream"]["name"] in prices]
    price_streams = {*prices, "forex_prices", "option_prices"}  # no ticker of theirs here
    catalog_path = write("catalog.json", catalog)

    spec = connector(["spec"], "spec", START_NOW)
    fields = list(spec[0]["spec"]["connectionSpecification"]["properties"])
    print(f"spec     : {len(fields)} configuration fields ({', '.join(fields[:4])}, ...)")
    status = connector(["check", "--config", str(config_path)], "check", START_NOW)
    print(f"check    : {status[-1]['connectionStatus']['status']}")
    catalog_msgs = connector(["discover", "--config", str(config_path)], "discover", START_NOW)
    streams = [s["name"] for s in catalog_msgs[-1]["catalog"]["streams"]]
    print(f"discover : streams {streams}\n")

    control(url, "/_sandbox/requests/clear", {})
    read = ["read", "--config", str(config_path), "--catalog", str(catalog_path)]
    first = connector(read, "full-sync", START_NOW)
    print("Full sync (no state):")
    summarise(first, requests_made(url))
    state_path = write("state.json", last_states(first))

    later = START_NOW + timedelta(days=1)
    control(url, "/_sandbox/control", {"advance_days": 1})
    control(url, "/_sandbox/requests/clear", {})
    second = connector([*read, "--state", str(state_path)], "incremental-sync", later)
    print(f"\nA day passes ({later:%A %Y-%m-%d}). Incremental sync from that state:")
    summarise(second, requests_made(url))
    control(url, "/_sandbox/requests/clear", {})
    others = {
        **catalog,
        "streams": [s for s in every_stream if s["stream"]["name"] not in price_streams],
    }
    reference = [
        "read",
        "--config",
        str(config_path),
        "--catalog",
        str(write("other.json", others)),
    ]
    third = connector(reference, "other-streams", later)
    print(f"\nThe other {len(others['streams'])} streams of the same tickers, a first sync:")
    summarise_streams(others["streams"], third, requests_made(url))
    draw_closes([*first, *second], CHART)
    print(f"\nClosing prices, one line per ticker: {CHART}")
    print(f"Raw Airbyte messages: {OUTPUT}/*.jsonl")


def connector(args: list[str], name: str, now: datetime) -> list[dict[str, Any]]:
    env = {**os.environ, "STOCK_TICKER_API_NOW": now.isoformat()}
    done = subprocess.run(
        [sys.executable, str(ROOT / "main.py"), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    (OUTPUT / f"{name}.jsonl").write_text(done.stdout)
    messages = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode != 0:
        errors = [m["trace"]["error"]["message"] for m in messages if m["type"] == "TRACE"]
        sys.exit(f"{name} failed (exit {done.returncode}): {errors or done.stderr[-2000:]}")
    return [m for m in messages if m["type"] != "LOG"]


def ticker_of(data: dict[str, Any]) -> str:
    """stock_prices says `stock_ticker` (the tutorial's name); the other streams `ticker`."""
    return str(data.get("stock_ticker") or data["ticker"])


def summarise(messages: list[dict[str, Any]], requests: int) -> None:
    dates: dict[str, list[str]] = defaultdict(list)
    streams: dict[str, str] = {}
    for message in messages:
        if message["type"] == "RECORD":
            data = message["record"]["data"]
            dates[ticker_of(data)].append(data["date"])
            streams[ticker_of(data)] = message["record"]["stream"]
    for ticker in TICKERS:
        got = sorted(dates.get(ticker, []))
        span = f"{got[0]} .. {got[-1]}" if got else "-"
        print(f"  {ticker:8} {streams.get(ticker, '-'):14} {len(got):4} records  {span}")
    print(f"  HTTP requests made: {requests}")
    for state in last_states(messages):
        print(f"  state of {state['stream']['stream_descriptor']['name']:14}: ", end="")
        print(json.dumps(state["stream"]["stream_state"]))


def summarise_streams(
    streams: list[dict[str, Any]], messages: list[dict[str, Any]], requests: int
) -> None:
    """Records per stream of the catalog, three to a line."""
    counts = {s["stream"]["name"]: 0 for s in streams}
    for message in messages:
        if message["type"] == "RECORD":
            counts[message["record"]["stream"]] += 1
    cells = [f"{name:21} {count:5}" for name, count in counts.items()]
    for row in range(0, len(cells), 3):
        print("  " + "   ".join(cells[row : row + 3]))
    print(f"  HTTP requests made: {requests}")


def last_states(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The last STATE message of each stream: what the platform hands back next time."""
    found: dict[str, dict[str, Any]] = {}
    for message in messages:
        if message["type"] == "STATE":
            found[message["state"]["stream"]["stream_descriptor"]["name"]] = message["state"]
    return list(found.values())


def draw_closes(messages: list[dict[str, Any]], path: Path) -> Figure:
    """Every ticker's closing prices on one chart (log scale: a coin, an index and a share
    differ a thousandfold), the later sync's bar replacing the forming one; the figure drawn."""
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    from matplotlib import pyplot
    from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

    closes: dict[str, dict[datetime, float]] = defaultdict(dict)
    for message in messages:
        if message["type"] == "RECORD":
            data = message["record"]["data"]
            day = datetime.fromisoformat(data["date"])
            closes[ticker_of(data)][day] = data["close"]
    figure, axes = pyplot.subplots(figsize=(10, 5), dpi=100)
    for ticker in TICKERS:
        points = sorted(closes.get(ticker, {}).items())
        days = [day for day, _ in points]
        axes.plot(days, [close for _, close in points], label=ticker)
    axes.set_yscale("log")
    ticks = price_ticks([list(by_day.values()) for by_day in closes.values() if by_day])
    axes.yaxis.set_major_locator(FixedLocator(ticks))
    axes.yaxis.set_major_formatter(FixedFormatter([f"{tick:,.0f}" for tick in ticks]))
    axes.yaxis.set_minor_locator(NullLocator())
    axes.set_ylabel("close, USD (log scale)")
    axes.set_title("Daily closes from the sandbox: a stock, a crypto pair and an index")
    axes.legend()
    axes.grid(True, which="major", alpha=0.3)
    figure.autofmt_xdate()
    figure.tight_layout()
    figure.savefig(path)
    pyplot.close(figure)
    return figure


def price_ticks(series: list[list[float]]) -> list[float]:
    """Labelled prices for a log axis: 1, 2 and 5 times the powers of ten across the prices
    plotted, and each line's median (two significant digits) where no such tick falls within
    its own range, so every line has a labelled price beside it."""
    prices = [price for closes in series for price in closes if price > 0]
    if not prices:
        return []
    low, high = min(prices), max(prices)
    ticks = {
        step * 10.0**power
        for power in range(math.floor(math.log10(low)), math.ceil(math.log10(high)) + 1)
        for step in (1, 2, 5)
        if low <= step * 10.0**power <= high
    }
    for closes in series:
        own = [price for price in closes if price > 0]
        if own and not any(min(own) <= tick <= max(own) for tick in ticks):
            median = sorted(own)[len(own) // 2]
            ticks.add(float(f"{median:.2g}"))
    return sorted(ticks)


def requests_made(url: str) -> int:
    with urllib.request.urlopen(f"{url}/_sandbox/requests", timeout=10) as response:
        return sum(1 for r in json.load(response) if not r["path"].startswith("/_sandbox/"))


def control(url: str, path: str, body: dict[str, Any]) -> None:
    request = urllib.request.Request(f"{url}{path}", data=json.dumps(body).encode(), method="POST")
    with urllib.request.urlopen(request, timeout=10):
        pass


def write(name: str, content: Any) -> Path:
    path = OUTPUT / name
    path.write_text(json.dumps(content, indent=2))
    return path


if __name__ == "__main__":
    main()

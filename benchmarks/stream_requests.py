"""One sync of every stream for 20 tickers of every market: requests made per stream, next to the
fewest the API allows (the last table of `make bench`).

The minimum is computed without the connector's reads: for a declared stream, each of its
requests' first pages (its partitions: a ticker, a batch of tickers, a market) is walked
directly on the sandbox at the declared `limit`, following `next_url`, and its pages counted;
that is the number of pages its rows fill, per batch. For a price stream, one page per ticker
(every ticker's bars here fit in one page of 50,000), or, for stocks, one grouped-daily request
per trading day when that is fewer.
"""

from __future__ import annotations

import logging
import subprocess
from collections import Counter
from collections.abc import Mapping
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import orjson
import requests
from airbyte_cdk.models import AirbyteMessage, AirbyteMessageSerializer, Type

from polygon_sandbox.data.trading_calendar import TRADING_DAYS
from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.markets import MARKETS, tickers_by_market
from source_stock_ticker_api.reference.declarations import Endpoint, ListRequest, Note
from source_stock_ticker_api.reference.endpoints import ENDPOINTS
from source_stock_ticker_api.source import SourceStockTickerApi

TWENTY_TICKERS = [
    *("AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "TSLA", "META", "SPY", "JPM", "KO", "ZZZZ"),
    *("X:BTCUSD", "X:ETHUSD", "C:EURUSD", "C:GBPUSD", "I:SPX", "I:NDX"),
    *("O:AAPL251219C00150000", "O:MSFT251219C00400000", "O:SPY251219P00500000"),
]
START = "2026-10-01"


def every_stream_catalog(config: Mapping[str, Any]) -> dict[str, Any]:
    """Every stream the connector discovers, incremental where it can be."""
    discovered = SourceStockTickerApi().discover(logging.getLogger("bench"), dict(config))
    message = AirbyteMessage(type=Type.CATALOG, catalog=discovered)
    catalog = AirbyteMessageSerializer.dump(message)["catalog"]
    streams = []
    for stream in catalog["streams"]:
        incremental = "incremental" in stream["supported_sync_modes"]
        streams.append(
            {
                "stream": stream,
                "sync_mode": "incremental" if incremental else "full_refresh",
                "destination_sync_mode": "append_dedup" if incremental else "overwrite",
            }
        )
    return {"streams": streams}


def stream_of_path(path: str) -> str:
    """The stream a request of the sandbox's log belongs to, from its path."""
    if path.startswith("/v2/aggs/grouped/"):
        return "stock_prices"
    if path.startswith("/v2/aggs/ticker/"):
        ticker = path.split("/")[4]
        (market,) = tickers_by_market([ticker])
        return market.stream_name
    # A literal path wins over a pattern (`tickers/types` is not a ticker), as in the API.
    for endpoint in sorted(ENDPOINTS, key=lambda e: ("{" in e.path, -len(e.path))):
        pattern = endpoint.path.split("/")
        segments = path.strip("/").split("/")
        if len(pattern) == len(segments) and all(
            p == s or p.startswith("{") for p, s in zip(pattern, segments, strict=True)
        ):
            return endpoint.stream
    return f"? {path}"


def pages_of(http: requests.Session, url: str, key: str, request: ListRequest) -> int:
    """The pages the sandbox gives `request`, following `next_url`."""
    pages, target, params = 0, f"{url}/{request.path()}", request.params()
    while target:
        reply = http.get(target, params=params, headers={"Authorization": f"Bearer {key}"})
        pages += 1
        body = reply.json() if reply.ok else {}
        next_url = body.get("next_url") if isinstance(body, dict) else None
        if not next_url:
            break
        target, params = str(next_url).split("?")[0], dict(parse_qsl(next_url.split("?", 1)[1]))
    return pages


def declared_minimum(endpoint: Endpoint, raw: Mapping[str, Any], url: str, key: str) -> int:
    config = parse_config(raw)
    extra: tuple[tuple[str, Any], ...] = ()
    if endpoint.incremental is not None:
        extra = ((f"{endpoint.incremental.cursor_field}.gte", config.start_date.isoformat()),)
    http = requests.Session()
    total = 0
    for item in endpoint.fan_out.partitions(config):
        if not isinstance(item, Note):
            total += pages_of(http, url, key, endpoint.request(item, extra))
    return total


def price_minimum(stream: str, raw: Mapping[str, Any], trading_days: int) -> int:
    config = parse_config(raw)
    by_market = tickers_by_market(config.tickers)
    (market,) = [m for m in MARKETS if m.stream_name == stream]
    tickers = len(by_market.get(market, ()))
    if market.grouped_daily_path is not None and config.timespan == "day":
        return min(tickers, trading_days)
    return tickers


def print_stream_requests(
    url: str, key: str, command: list[str], env: dict[str, str], workdir: Path, today: str
) -> None:
    """Runs one sync of every stream and prints the table (made, minimum, per stream)."""
    config = {
        "api_key": key,
        "tickers": TWENTY_TICKERS,
        "start_date": START,
        "end_date": today,
        "requests_per_minute": 6000,
        "api_url": url,
    }
    (workdir / "config.json").write_bytes(orjson.dumps(config))
    catalog = every_stream_catalog(config)
    (workdir / "catalog.json").write_bytes(orjson.dumps(catalog))
    http = requests.Session()
    http.post(f"{url}/_sandbox/requests/clear", timeout=10).raise_for_status()
    arguments = ["read", "--config", "config.json", "--catalog", "catalog.json"]
    done = subprocess.run(
        [*command, *arguments], cwd=workdir, env=env, capture_output=True, check=False
    )
    log = http.get(f"{url}/_sandbox/requests", timeout=30).json()
    rows = log["requests"] if isinstance(log, dict) else log
    made = Counter(stream_of_path(r["path"]) for r in rows if not r["path"].startswith("/_"))
    records: Counter[str] = Counter()
    for line in done.stdout.splitlines():
        if line.startswith(b'{"type":"RECORD"'):
            records[orjson.loads(line)["record"]["stream"]] += 1
    days = len(TRADING_DAYS.between(date.fromisoformat(START), date.fromisoformat(today)))
    by_name = {endpoint.stream: endpoint for endpoint in ENDPOINTS}
    print(f"\n## Every stream, {len(TWENTY_TICKERS)} tickers, {START} to {today}: requests")
    print(f"exit code {done.returncode}")
    print("| stream | records | requests | API minimum |")
    print("|---|---|---|---|")
    total_made = total_minimum = 0
    for entry in catalog["streams"]:
        name = entry["stream"]["name"]
        if name in by_name:
            minimum = declared_minimum(by_name[name], config, url, key)
        else:
            minimum = price_minimum(name, config, days)
        total_made, total_minimum = total_made + made[name], total_minimum + minimum
        print(f"| {name} | {records[name]:,} | {made[name]:,} | {minimum:,} |")
    print(f"| total | {sum(records.values()):,} | {total_made:,} | {total_minimum:,} |")
    unknown = {name: n for name, n in made.items() if name.startswith("?")}
    if unknown:
        print(f"requests of no stream: {unknown}")

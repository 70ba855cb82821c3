"""A config of three markets and every stream through PyAirbyte into DuckDB: one table per
stream, each holding what the connector reads in process for the same config; the price tables
hold their market's bars only, dated on its market's clock."""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from integration_tests.declared_syncs import FULL_REFRESH, records, sync
from integration_tests.test_pyairbyte import offline_pyairbyte  # noqa: F401  (fixture)
from source_stock_ticker_api.source import ALL_STREAM_NAMES

EXECUTABLE = Path(sys.executable).parent / "source-stock-ticker-api"
NEW_YORK = ZoneInfo("America/New_York")
START, END = "2024-03-04", "2024-03-10"  # New York's clocks moved on Sunday 2024-03-10
NOW = datetime(2024, 3, 12, 16, 0, tzinfo=timezone.utc)
# ticker -> (stream, its ticker column, the zone of its `date`)
TICKERS = {
    "AAPL": ("stock_prices", "stock_ticker", NEW_YORK),
    "X:BTCUSD": ("crypto_prices", "ticker", timezone.utc),
    "I:SPX": ("index_prices", "ticker", NEW_YORK),
}

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("airbyte") is None,
    reason="PyAirbyte (a dev dependency) is only installed on Python < 3.13",
)


@pytest.fixture
def sandbox() -> Iterator[Any]:
    from polygon_sandbox import Sandbox

    with Sandbox(now=NOW, port=0, seed=1) as running:
        yield running


def test_a_mixed_config_and_every_stream_land_in_one_duckdb_table_per_stream(
    offline_pyairbyte: Any,  # noqa: F811
    sandbox: Any,
    fixed_now: Any,
    loopback_only: None,
    tmp_path: Path,
) -> None:
    airbyte = offline_pyairbyte
    from airbyte.caches import DuckDBCache

    config = {
        "api_key": "sandbox-unlimited-key",
        "tickers": list(TICKERS),
        "start_date": START,
        "end_date": END,
        "requests_per_minute": 6000,
        "api_url": sandbox.url,
    }
    source = airbyte.get_source(
        "source-stock-ticker-api", config=config, local_executable=EXECUTABLE
    )
    source.select_all_streams()
    cache = DuckDBCache(db_path=tmp_path / "markets.duckdb", schema_name="bars")
    fixed_now(NOW)
    result = source.read(cache=cache, write_strategy="merge")
    in_process = sync(config, {name: FULL_REFRESH for name in ALL_STREAM_NAMES})

    tables = {
        row["table_name"]
        for row in cache.run_sql_query(
            "select table_name from information_schema.tables where table_schema = 'bars'"
        )
    }
    assert set(ALL_STREAM_NAMES) <= tables
    counts = {name: len(records(in_process, name)) for name in ALL_STREAM_NAMES}
    landed = {
        name: cache.run_sql_query(f"select count(*) as n from bars.{name}")[0]["n"]
        for name in ALL_STREAM_NAMES
    }
    assert landed == counts
    assert result.processed_records == sum(counts.values())
    assert counts["stock_prices"] + counts["crypto_prices"] + counts["index_prices"] == 5 + 7 + 5
    for ticker, (stream, column, zone) in TICKERS.items():
        rows = cache.run_sql_query(
            f"select {column}, timestamp, date, close from bars.{stream} order by timestamp"
        )
        expected = []
        for bar in sandbox.expected_bars(ticker, 1, "day", START, END):
            start = datetime.fromtimestamp(bar["t"] / 1000, timezone.utc)
            expected.append((ticker, start, start.astimezone(zone).date(), bar["c"]))
        found = [
            (
                row[column],
                _as_utc(row["timestamp"]),
                row["date"] if isinstance(row["date"], date) else date.fromisoformat(row["date"]),
                float(row["close"]),
            )
            for row in rows
        ]
        assert found == expected, stream
    columns = {
        row["column_name"]
        for row in cache.run_sql_query(
            "select column_name from information_schema.columns "
            "where table_schema = 'bars' and table_name = 'index_prices'"
        )
    }
    assert {"ticker", "date", "timestamp", "open", "high", "low", "close"} <= columns
    assert {"volume", "vwap", "transactions", "price", "otc"}.isdisjoint(columns)


def _as_utc(value: datetime) -> datetime:
    """DuckDB gives TIMESTAMP as naive UTC, TIMESTAMPTZ as aware."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value

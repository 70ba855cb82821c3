"""The installed connector through PyAirbyte, into a DuckDB cache, across two incremental syncs.

PyAirbyte runs `.venv/bin/source-stock-ticker-api` as a subprocess (`local_executable`), offline
(`AIRBYTE_OFFLINE_MODE=1`: no registry lookup, no telemetry; `DO_NOT_TRACK=1`), and this process
may only connect to loopback. The first sync runs on a Wednesday during trading, so that day's bar
is still forming; then the sandbox and the connector's clock move one day on and a second sync
runs from the state PyAirbyte kept. The table must then hold every bar the sandbox serves exactly
once, with the forming bar's final values, at the right UTC instants.
"""

from __future__ import annotations

import importlib.util
import logging
import sys
import warnings
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

EXECUTABLE = Path(sys.executable).parent / "source-stock-ticker-api"
NEW_YORK = ZoneInfo("America/New_York")
SOURCE_NAME = "source-stock-ticker-api"
STREAM = "stock_prices"
TICKERS = ["AAPL", "MSFT"]
START_DATE = "2026-11-02"
# Wednesday 2026-11-18, 13:00 in New York: the market is open, the day's bar is forming.
FIRST_NOW = datetime(2026, 11, 18, 18, 0, tzinfo=timezone.utc)
SECOND_NOW = FIRST_NOW + timedelta(days=1)

# Found, not imported: PyAirbyte reads its settings at import, which the fixture below sets first.
pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("airbyte") is None,
    reason="PyAirbyte (a dev dependency) is only installed on Python < 3.13",
)


@pytest.fixture
def offline_pyairbyte(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Any]:
    """PyAirbyte in offline mode, telemetry off, its logs and temp files (which hold the config)
    under tmp_path, whatever imported it before; the "airbyte" logger it reconfigures (the CDK's
    logger too) is restored afterwards."""
    settings = {
        "AIRBYTE_OFFLINE_MODE": "1",
        "DO_NOT_TRACK": "1",
        "AIRBYTE_LOGGING_ROOT": str(tmp_path / "pyairbyte-logs"),
        "AIRBYTE_TEMP_DIR": str(tmp_path / "pyairbyte-tmp"),
    }
    for name, value in settings.items():
        monkeypatch.setenv(name, value)
    (tmp_path / "pyairbyte-tmp").mkdir()
    logger = logging.getLogger("airbyte")
    saved = (logger.handlers[:], logger.propagate, logger.level)

    with warnings.catch_warnings():
        # Import-time notices of PyAirbyte's dependencies (Google clients' Python support, ...).
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        import airbyte
        import airbyte._executors.util
        import airbyte._util.telemetry
        import airbyte._util.temp_files
        import airbyte.constants
        import airbyte.logs
        import airbyte.registry

    # These are read once, at import: make sure an earlier import did not miss them.
    for module in (airbyte.constants, airbyte.registry, airbyte._executors.util):
        monkeypatch.setattr(module, "AIRBYTE_OFFLINE_MODE", True)
    monkeypatch.setattr(airbyte._util.telemetry, "AIRBYTE_OFFLINE_MODE", True)
    for module in (airbyte.constants, airbyte._executors.util, airbyte._util.temp_files):
        monkeypatch.setattr(module, "TEMP_DIR_OVERRIDE", Path(settings["AIRBYTE_TEMP_DIR"]))
    monkeypatch.setattr(
        airbyte.logs, "AIRBYTE_LOGGING_ROOT", Path(settings["AIRBYTE_LOGGING_ROOT"])
    )
    try:
        yield airbyte
    finally:
        for handler in logger.handlers[:]:
            if handler not in saved[0]:
                logger.removeHandler(handler)
                handler.close()
        logger.handlers[:] = saved[0]
        logger.propagate, logger.level = saved[1], saved[2]


@pytest.fixture
def sandbox() -> Iterator[Any]:
    from polygon_sandbox import Sandbox

    with Sandbox(now=FIRST_NOW, port=0, seed=1) as running:
        yield running


def cursors(cache: Any) -> dict[str, str]:
    provider = cache.get_state_provider(source_name=SOURCE_NAME)
    blob = provider.get_stream_state(STREAM).stream.stream_state
    state = dict(blob.model_dump() if hasattr(blob, "model_dump") else vars(blob))
    # Kept by PyAirbyte and handed back to the next sync with the cursors.
    assert state.pop("bar_settings") == {"timespan": "day", "multiplier": 1, "adjusted": True}
    return {ticker: entry["timestamp"] for ticker, entry in state.items()}


def as_utc(value: datetime) -> datetime:
    """DuckDB gives TIMESTAMP as naive UTC, TIMESTAMPTZ as aware."""
    return value.replace(tzinfo=timezone.utc) if value.tzinfo is None else value


def test_two_incremental_syncs_into_duckdb_hold_every_bar_once(
    offline_pyairbyte: Any,
    sandbox: Any,
    fixed_now: Any,
    loopback_only: None,
    tmp_path: Path,
) -> None:
    airbyte = offline_pyairbyte
    from airbyte.caches import DuckDBCache

    assert EXECUTABLE.is_file(), f"{EXECUTABLE} is missing: run `make install`"
    config = {
        "api_key": "sandbox-unlimited-key",
        "tickers": TICKERS,
        "start_date": START_DATE,
        "timespan": "day",
        "requests_per_minute": 6000,
        "api_url": sandbox.url,
    }
    source = airbyte.get_source(SOURCE_NAME, config=config, local_executable=EXECUTABLE)
    source.select_streams([STREAM])
    cache = DuckDBCache(db_path=tmp_path / "stocks.duckdb", schema_name="market")

    fixed_now(FIRST_NOW)
    first = source.read(cache=cache, write_strategy="merge")
    assert first.processed_records > 0
    first_cursors = cursors(cache)

    sandbox.advance(days=1)
    fixed_now(SECOND_NOW)
    second = source.read(cache=cache, write_strategy="merge")
    # Incremental: only Wednesday's bar, final now, is read again (one grouped request for
    # both tickers); Thursday's is still forming: the first sync after its session reads it.
    assert 0 < second.processed_records <= 2 * len(TICKERS)
    second_cursors = cursors(cache)

    rows = cache.run_sql_query(
        "select stock_ticker, timestamp, date, open, high, low, close, volume "
        "from market.stock_prices order by stock_ticker, timestamp"
    )
    wednesday_date = (SECOND_NOW.astimezone(NEW_YORK).date() - timedelta(days=1)).isoformat()
    expected = []
    for ticker in TICKERS:
        for bar in sandbox.expected_bars(ticker, 1, "day", START_DATE, wednesday_date):
            start = datetime.fromtimestamp(bar["t"] / 1000, timezone.utc)
            expected.append(
                (ticker, start, start.astimezone(NEW_YORK).date())
                + tuple(bar[key] for key in ("o", "h", "l", "c", "v"))
            )
    found = [
        (
            row["stock_ticker"],
            as_utc(row["timestamp"]),
            row["date"] if isinstance(row["date"], date) else date.fromisoformat(row["date"]),
            # PyAirbyte stores JSON numbers as DECIMAL: exact, so float() gives the sent value.
            *(float(row[key]) for key in ("open", "high", "low", "close", "volume")),
        )
        for row in rows
    ]
    assert found == expected
    # The key travelled only in the header, and reached neither a URL nor the destination.
    assert config["api_key"] not in repr(rows)
    for request in sandbox.data_requests():
        assert config["api_key"] not in request.url and request.auth == "header"
    assert len({(row[0], row[1]) for row in found}) == len(found), "a bar is stored twice"
    # Daily bars start at midnight in New York: 05:00 UTC in November (EST).
    assert {row[1].time().hour for row in found} == {5}

    wednesday = datetime(2026, 11, 18, 5, 0, tzinfo=timezone.utc)
    for ticker in TICKERS:
        # After the first sync the cursor stops before the forming Wednesday bar...
        assert as_utc(datetime.fromisoformat(first_cursors[ticker])) == wednesday - timedelta(
            days=1
        )
        # ...and the second sync, a day later, moves it onto that now complete bar.
        assert as_utc(datetime.fromisoformat(second_cursors[ticker])) == wednesday

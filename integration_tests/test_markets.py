"""Every market in its own stream, on its own clock, read from the sandbox in-process.

Expected records are derived from the bars the sandbox says it serves (`expected_bars`) and from
the calendar, never from the connector's own code.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, datetime, timedelta, timezone, tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import jsonschema
import pytest
from airbyte_cdk.models import (
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalogSerializer,
    FailureType,
)
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

from integration_tests.helpers import SANDBOX_KEY, sandbox_config
from polygon_sandbox import Sandbox
from source_stock_ticker_api.markets import MARKETS
from source_stock_ticker_api.source import SourceStockTickerApi

ROOT = Path(__file__).resolve().parent.parent
SCHEMAS = ROOT / "source_stock_ticker_api" / "schemas"
NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")
OPTION = "O:AAPL261218C00250000"
# Tuesday 2024-04-02, 12:00 in New York: every bar of March 2024 is final.
APRIL = datetime(2024, 4, 2, 16, 0, tzinfo=timezone.utc)
# Saturday 2024-03-09 and Friday 2024-03-08, 18:00 UTC.
SATURDAY_EVENING = datetime(2024, 3, 9, 18, 0, tzinfo=timezone.utc)
FRIDAY_EVENING = datetime(2024, 3, 8, 18, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.sandbox_now(APRIL)

Read = Callable[..., EntrypointOutput]


def all_streams_catalog() -> Any:
    """The five price streams, incremental, as integration_tests/configured_catalog.json has."""
    catalog = json.loads((ROOT / "integration_tests" / "configured_catalog.json").read_text())
    prices = {market.stream_name for market in MARKETS}
    catalog["streams"] = [s for s in catalog["streams"] if s["stream"]["name"] in prices]
    return ConfiguredAirbyteCatalogSerializer.load(catalog)


@pytest.fixture
def read(fixed_now: Callable[[datetime], None], loopback_only: None) -> Read:
    """`read(config, state=None, now=APRIL)`: a sync of every stream, in-process, at `now`."""

    def run(config: dict[str, Any], state: Any = None, now: datetime = APRIL) -> EntrypointOutput:
        fixed_now(now)
        messages = [AirbyteStateMessageSerializer.load(m) for m in state or []]
        return entrypoint_wrapper.read(
            SourceStockTickerApi(), config, all_streams_catalog(), messages or None
        )

    return run


def records_of(output: EntrypointOutput, stream: str) -> list[dict[str, Any]]:
    return [m.record.data for m in output.records if m.record and m.record.stream == stream]


def streams_with_records(output: EntrypointOutput) -> dict[str, int]:
    found: dict[str, int] = {}
    for message in output.records:
        assert message.record is not None
        found[message.record.stream] = found.get(message.record.stream, 0) + 1
    return found


def final_states(output: EntrypointOutput) -> dict[str, dict[str, Any]]:
    """Each stream's last state."""
    states: dict[str, dict[str, Any]] = {}
    for message in output.state_messages:
        assert message.state is not None and message.state.stream is not None
        name = message.state.stream.stream_descriptor.name
        states[name] = dict(message.state.stream.stream_state.__dict__)
    return states


def market_record(ticker: str, bar: dict[str, Any], zone: tzinfo) -> dict[str, Any]:
    """What the connector must emit for one bar of a market other than stocks."""
    start = datetime.fromtimestamp(bar["t"] / 1000, timezone.utc)
    record = {
        "ticker": ticker,
        "date": start.astimezone(zone).date().isoformat(),
        "timestamp": start.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "open": bar["o"],
        "high": bar["h"],
        "low": bar["l"],
        "close": bar["c"],
    }
    for short, field in (("v", "volume"), ("vw", "vwap"), ("n", "transactions")):
        if short in bar:
            record[field] = bar[short]
    return record


def expected(
    sandbox: Sandbox, ticker: str, start: str, end: str, zone: tzinfo, timespan: str = "day"
) -> list[dict[str, Any]]:
    bars = sandbox.expected_bars(ticker, 1, timespan, start, end)
    return [market_record(ticker, bar, zone) for bar in bars]


def days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def test_a_crypto_month_has_every_day_dated_in_utc_across_new_yorks_dst_change(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox, tickers=["X:BTCUSD"], start_date="2024-03-01", end_date="2024-03-31"
    )
    output = read(config)

    assert not output.errors
    records = records_of(output, "crypto_prices")
    # Every day of March, weekends included; New York moved its clocks on Sunday 2024-03-10,
    # UTC did not: each bar starts at 00:00 UTC and is dated that UTC day.
    march = days(date(2024, 3, 1), date(2024, 3, 31))
    assert [r["date"] for r in records] == [d.isoformat() for d in march]
    assert [r["timestamp"] for r in records] == [f"{d.isoformat()}T00:00:00Z" for d in march]
    assert records == expected(sandbox, "X:BTCUSD", "2024-03-01", "2024-03-31", timezone.utc)
    assert streams_with_records(output) == {"crypto_prices": 31}
    assert final_states(output)["crypto_prices"]["X:BTCUSD"] == {
        "timestamp": "2024-03-31T00:00:00Z"
    }
    (request,) = sandbox.data_requests()
    assert request.path == "/v2/aggs/ticker/X:BTCUSD/range/1/day/2024-03-01/2024-03-31"
    assert "adjusted=true" in request.query


def test_forex_has_no_saturday_bar_and_its_week_starts_sunday_evening(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox, tickers=["C:EURUSD"], start_date="2024-03-01", end_date="2024-03-17"
    )
    output = read(config)

    records = records_of(output, "forex_prices")
    dated = [r["date"] for r in records]
    no_saturdays = [d for d in days(date(2024, 3, 1), date(2024, 3, 17)) if d.weekday() != 5]
    assert dated == [d.isoformat() for d in no_saturdays]
    assert records == expected(sandbox, "C:EURUSD", "2024-03-01", "2024-03-17", timezone.utc)
    # Sunday's bar holds only its evening: two hours of quotes, counted in `volume`.
    sunday = next(r for r in records if r["date"] == "2024-03-10")
    monday = next(r for r in records if r["date"] == "2024-03-11")
    assert sunday["volume"] == sunday["transactions"] < monday["volume"] / 5
    assert not [log for log in output.logs if "no bars" in str(log.log.message)]  # type: ignore[union-attr]


def test_an_index_has_no_volume_fields_validates_and_is_asked_without_adjusted(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox, tickers=["I:SPX"], start_date="2024-03-01", end_date="2024-03-31", adjusted=False
    )
    output = read(config)

    records = records_of(output, "index_prices")
    assert records == expected(sandbox, "I:SPX", "2024-03-01", "2024-03-31", NEW_YORK)
    assert len(records) == 20  # NYSE days of March 2024 (Good Friday, 03-29, closed)
    schema = json.loads((SCHEMAS / "index_prices.json").read_text())
    assert {"volume", "vwap", "transactions"}.isdisjoint(schema["properties"])
    for record in records:
        jsonschema.validate(record, schema)
        assert set(record) == {"ticker", "date", "timestamp", "open", "high", "low", "close"}
    (request,) = sandbox.data_requests()
    assert "adjusted" not in request.query
    assert final_states(output)["index_prices"] == {
        "bar_settings": {"timespan": "day", "multiplier": 1, "adjusted": False},
        "I:SPX": {"timestamp": "2024-03-28T04:00:00Z"},
    }


def test_option_minute_bars_are_sparse_and_in_the_regular_session(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox, tickers=[OPTION], start_date="2024-03-01", end_date="2024-03-01", timespan="minute"
    )
    output = read(config)

    records = records_of(output, "option_prices")
    assert records == expected(sandbox, OPTION, "2024-03-01", "2024-03-01", NEW_YORK, "minute")
    assert 0 < len(records) < 390 / 2  # a contract does not trade every minute
    local = [datetime.fromisoformat(r["timestamp"]).astimezone(NEW_YORK) for r in records]
    assert all((9, 30) <= (t.hour, t.minute) < (16, 0) for t in local)


def test_a_mixed_config_puts_each_record_in_its_markets_stream_with_state_per_ticker(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox,
        tickers=["AAPL", "X:BTCUSD", "I:SPX"],
        start_date="2024-03-25",
        end_date="2024-03-31",
    )
    output = read(config)

    assert not output.errors
    assert streams_with_records(output) == {
        "stock_prices": 4,  # Monday to Thursday: Good Friday is an NYSE holiday
        "crypto_prices": 7,
        "index_prices": 4,
    }
    assert {r["stock_ticker"] for r in records_of(output, "stock_prices")} == {"AAPL"}
    assert {r["ticker"] for r in records_of(output, "crypto_prices")} == {"X:BTCUSD"}
    assert {r["ticker"] for r in records_of(output, "index_prices")} == {"I:SPX"}
    settings = {"timespan": "day", "multiplier": 1, "adjusted": True}
    assert final_states(output) == {
        "stock_prices": {"bar_settings": settings, "AAPL": {"timestamp": "2024-03-28T04:00:00Z"}},
        "crypto_prices": {
            "bar_settings": settings,
            "X:BTCUSD": {"timestamp": "2024-03-31T00:00:00Z"},
        },
        "forex_prices": {"bar_settings": settings},
        "index_prices": {"bar_settings": settings, "I:SPX": {"timestamp": "2024-03-28T04:00:00Z"}},
        "option_prices": {"bar_settings": settings},
    }
    assert [r.ticker for r in sandbox.data_requests()] == ["AAPL", "X:BTCUSD", "I:SPX"]


def test_an_incremental_crypto_sync_on_a_saturday_reads_saturdays_bars(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(sandbox, tickers=["X:BTCUSD"], start_date="2024-03-04")
    sandbox.set_now(FRIDAY_EVENING)
    first = read(config, now=FRIDAY_EVENING)
    assert [r["date"] for r in records_of(first, "crypto_prices")][-1] == "2024-03-08"
    # What the platform hands back: the last state of each stream.
    state = {
        m.state.stream.stream_descriptor.name: AirbyteStateMessageSerializer.dump(m.state)
        for m in first.state_messages
        if m.state is not None and m.state.stream is not None
    }

    sandbox.set_now(SATURDAY_EVENING)
    sandbox.clear_requests()
    second = read(config, state=list(state.values()), now=SATURDAY_EVENING)

    records = records_of(second, "crypto_prices")
    # Friday's bar again, now final, then Saturday's, still forming at 18:00 UTC.
    assert [r["date"] for r in records] == ["2024-03-08", "2024-03-09"]
    assert records == expected(sandbox, "X:BTCUSD", "2024-03-08", "2024-03-09", timezone.utc)
    assert (
        records[1]["close"]
        != sandbox.expected_bars("X:BTCUSD", 1, "day", "2024-03-09", "2024-03-09")[0]["o"]
    )
    assert final_states(second)["crypto_prices"]["X:BTCUSD"] == {
        "timestamp": "2024-03-08T00:00:00Z"
    }
    assert len(sandbox.data_requests()) == 1


def test_a_crypto_hour_bar_ends_at_midnight_utc_not_new_york(sandbox: Sandbox, read: Read) -> None:
    """23-hour bars: Saturday's second bar runs 23:00-24:00 UTC, so at 00:30 UTC on Sunday it is
    complete (in New York it is still Saturday evening)."""
    now = datetime(2024, 3, 10, 0, 30, tzinfo=timezone.utc)
    sandbox.set_now(now)
    config = sandbox_config(
        sandbox,
        tickers=["X:BTCUSD"],
        start_date="2024-03-09",
        end_date="2024-03-09",
        timespan="hour",
        multiplier=23,
    )
    output = read(config, now=now)

    records = records_of(output, "crypto_prices")
    assert [r["timestamp"] for r in records] == ["2024-03-09T00:00:00Z", "2024-03-09T23:00:00Z"]
    assert [r["date"] for r in records] == ["2024-03-09", "2024-03-09"]
    assert final_states(output)["crypto_prices"]["X:BTCUSD"] == {
        "timestamp": "2024-03-09T23:00:00Z"
    }


def test_an_unknown_prefix_is_a_config_error_naming_the_prefixes(
    sandbox: Sandbox, read: Read
) -> None:
    output = read(sandbox_config(sandbox, tickers=["AAPL", "Z:FOO"]))

    (message,) = output.errors
    error = message.trace.error if message.trace else None
    assert error is not None and error.failure_type == FailureType.config_error
    assert error.message == (
        "tickers has 'Z:FOO', whose prefix Z: names no market. Write a US stock without a "
        "prefix (AAPL), or use one of these prefixes: X: crypto, C: forex, I: indices, "
        "O: options (e.g. X:BTCUSD)."
    )
    assert sandbox.data_requests() == []


def test_a_plan_without_crypto_refuses_its_ticker_and_reads_the_stocks(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(
        sandbox,
        api_key="sandbox-stocks-only-key",
        tickers=["AAPL", "X:BTCUSD"],
        start_date="2024-03-25",
        end_date="2024-03-31",
    )
    output = read(config)

    assert streams_with_records(output) == {"stock_prices": 4}
    # The crypto stream's own error (the CDK's test wrapper adds the summary the read ends with).
    error = output.errors[0].trace.error  # type: ignore[union-attr]
    assert error is not None and error.failure_type == FailureType.config_error
    assert error.message == (
        "The API key works, but the plan does not cover X:BTCUSD day bars from 2024-03-25 to "
        "2024-03-31: You are not entitled to this data. Please upgrade your plan at "
        "https://polygon.io/pricing. Choose a timespan and start_date your plan includes, or "
        "upgrade the plan."
    )
    assert final_states(output)["stock_prices"]["AAPL"] == {"timestamp": "2024-03-28T04:00:00Z"}
    assert SANDBOX_KEY not in str(output.logs)


def warnings_of(output: EntrypointOutput) -> list[str]:
    return [m.log.message for m in output.logs if m.log is not None and m.log.level.value == "WARN"]


def test_an_empty_weekend_warns_for_crypto_but_not_for_forex(sandbox: Sandbox, read: Read) -> None:
    """Saturday 2024-03-09 to Sunday 2024-03-10 (UTC days): crypto trades then, so no bar at all
    means a wrong symbol; forex is closed on Saturday, and Sunday's few hours hold its bars."""
    weekend = {"start_date": "2024-03-09", "end_date": "2024-03-09"}
    crypto = read(sandbox_config(sandbox, tickers=["X:NOSUCHCOIN"], **weekend))
    forex = read(sandbox_config(sandbox, tickers=["C:NOSUCHPAIR"], **weekend))
    index = read(sandbox_config(sandbox, tickers=["I:NOSUCHINDEX"], **weekend))

    assert warnings_of(crypto) == [
        "X:NOSUCHCOIN: the API returned no bars from 2024-03-09 to 2024-03-09, a range with "
        "trading days. Check the symbol."
    ]
    assert warnings_of(forex) == []
    assert warnings_of(index) == []


def test_a_state_of_other_bar_settings_names_the_stream_to_reset(
    sandbox: Sandbox, read: Read
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "X:BTCUSD"], timespan="hour")
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": "crypto_prices"},
                "stream_state": {
                    "bar_settings": {"timespan": "day", "multiplier": 1, "adjusted": True},
                    "X:BTCUSD": {"timestamp": "2024-03-01T00:00:00Z"},
                },
            },
        }
    ]
    output = read(config, state=state)

    (message,) = output.errors
    error = message.trace.error if message.trace else None
    assert error is not None and error.failure_type == FailureType.config_error
    assert error.message == (
        "The saved state of crypto_prices is for 1-day split-adjusted bars, but the configuration "
        "now asks for 1-hour split-adjusted bars (timespan changed from day to hour). Resuming "
        "from it would skip history and mix two kinds of bars under one primary key. Reset "
        "(refresh) the crypto_prices stream to read again from start_date with the new "
        "settings, or set the old ones back."
    )
    assert output.records == []
    assert sandbox.data_requests() == []

"""The CDK's standard source tests, driven by acceptance-test-config.yml, in-process.

`airbyte_cdk.test.standard_tests.SourceTestSuiteBase` reads acceptance-test-config.yml and runs
spec, check, discover and read for the configs its sections list. Those configs point at the local
Polygon sandbox, whose port is only known once it runs, so this module:

1. starts one sandbox (port 0) at a fixed "now" for the module,
2. writes the configs acceptance-test-config.yml names into a temporary directory, each with
   `api_url` set to that sandbox (the repository copies keep a placeholder loopback URL), and
3. hands the suite its scenarios with `config_path` pointing into that directory.

Every connector run sees `STOCK_TICKER_API_NOW` = NOW, and the `loopback_only` guard fails any
connection beyond loopback. The suite's Docker image tests are deselected by conftest.py when they
cannot run (it prints why).

On top of the standard tests, this class checks what they no longer do: the records of the basic
read against integration_tests/expected_records.jsonl, and the `incremental` entries (a future
state reads nothing and keeps its state; a sample state resumes right after it).

Live mode: with `STOCK_TICKER_API_LIVE=1`, the same tests run against the real API, every config
replaced by secrets/config.json (or the file STOCK_TICKER_API_LIVE_CONFIG names); a config expected
to fail keeps its own, invalid, api_key. No fixed "now" and no loopback guard then.
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStateMessageSerializer,
    ConfiguredAirbyteCatalog,
    ConfiguredAirbyteCatalogSerializer,
    Type,
)
from airbyte_cdk.test import entrypoint_wrapper
from airbyte_cdk.test.models import ConnectorTestScenario
from airbyte_cdk.test.standard_tests import SourceTestSuiteBase
from airbyte_cdk.test.standard_tests.pytest_hooks import (  # noqa: F401  (fixtures and hook)
    connector_base_image_override,
    connector_image_override,
    pytest_generate_tests,
    read_from_streams,
    read_scenarios,
)

from integration_tests.conftest import live_config_path, live_mode
from source_stock_ticker_api.markets import MARKETS, market_of
from source_stock_ticker_api.source import SourceStockTickerApi

ROOT = Path(__file__).resolve().parent.parent
ACCEPTANCE = yaml.safe_load((ROOT / "acceptance-test-config.yml").read_text())["acceptance_tests"]
EXPECTED_RECORDS = ROOT / "integration_tests" / "expected_records.jsonl"
SAMPLE_STATE = "integration_tests/sample_state.json"
STREAM = "stock_prices"
PRICE_STREAM_NAMES = frozenset(market.stream_name for market in MARKETS)
# A Monday after the close: every bar of the configs' October 2026 range is complete.
NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)
WRITE_EXPECTED_ENV_VAR = "STOCK_TICKER_API_WRITE_EXPECTED_RECORDS"

# Where the configs the suite reads are written. It must be known at collection, when the suite
# builds its scenarios; the files are written once the sandbox runs.
STAGE = Path(tempfile.mkdtemp(prefix="stock-ticker-acceptance-"))
atexit.register(shutil.rmtree, STAGE, True)


def _entries(section: str) -> list[dict[str, Any]]:
    return list((ACCEPTANCE.get(section) or {}).get("tests") or [])


def _failing_configs() -> set[str]:
    return {e["config_path"] for e in _entries("connection") if e.get("status") == "failed"}


def _config_paths() -> set[str]:
    return {entry["config_path"] for section in ACCEPTANCE for entry in _entries(section)}


def stage_configs(api_url: str | None) -> None:
    """Write each config of acceptance-test-config.yml to STAGE, aimed at the target.

    `api_url` given: the repository's sandbox config with that `api_url`. None: live mode, the
    config is secrets/config.json, and a config expected to fail keeps its own api_key.
    """
    live = json.loads(live_config_path().read_text()) if api_url is None else None
    for relative in _config_paths():
        config = json.loads((ROOT / relative).read_text())
        if live is None:
            config["api_url"] = api_url
        elif relative in _failing_configs():
            config = {**live, "api_key": config["api_key"]}
        else:
            config = dict(live)
        target = STAGE / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(json.dumps(config, indent=2))


def per_ticker(records: list[dict[str, Any]]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Each stream's records of each ticker (or each record's own key), in the order read."""
    grouped: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for record in records:
        data = record["data"]
        ticker = data.get("stock_ticker") or data.get("ticker") or json.dumps(data, sort_keys=True)
        grouped.setdefault((record["stream"], str(ticker)), []).append(record)
    return grouped


def staged_config(relative: str) -> dict[str, Any]:
    return dict(json.loads((STAGE / relative).read_text()))


@pytest.fixture(scope="module")
def acceptance_target() -> Iterator[Any]:
    """The sandbox serving every acceptance config (None in live mode)."""
    if live_mode():
        if not live_config_path().is_file():
            pytest.fail(f"live mode needs {live_config_path()}: a config with a real API key")
        stage_configs(None)
        yield None
        return
    from polygon_sandbox import Sandbox

    with Sandbox(now=NOW, port=0, seed=1) as sandbox:
        stage_configs(sandbox.url)
        yield sandbox


def load_catalog(relative: str) -> ConfiguredAirbyteCatalog:
    return ConfiguredAirbyteCatalogSerializer.load(json.loads((ROOT / relative).read_text()))


def load_state(relative: str) -> list[AirbyteStateMessage]:
    messages = json.loads((ROOT / relative).read_text())
    return [AirbyteStateMessageSerializer.load(message) for message in messages]


def stream_states_of(messages: list[AirbyteStateMessage]) -> dict[str, dict[str, Any]]:
    """Each stream's state held by a list of (per-stream) state messages, the last one winning."""
    states = {}
    for message in messages:
        assert message.stream is not None, f"not a per-stream state message: {message}"
        states[message.stream.stream_descriptor.name] = dict(message.stream.stream_state.__dict__)
    return states


def stream_state_of(messages: list[AirbyteStateMessage], stream: str = STREAM) -> dict[str, Any]:
    """One stream's state held by a list of (per-stream) state messages."""
    return stream_states_of(messages)[stream]


def ticker_of(data: Mapping[str, Any]) -> str:
    """The ticker of a record: `stock_ticker` in stock_prices, `ticker` in the other streams."""
    return str(data["stock_ticker"] if "stock_ticker" in data else data["ticker"])


def record_of(message: AirbyteMessage) -> AirbyteRecordMessage:
    """The record of a RECORD message."""
    assert message.record is not None, f"a RECORD message without a record: {message}"
    return message.record


def read(
    config: dict[str, Any], catalog: ConfiguredAirbyteCatalog, state: Any = None
) -> entrypoint_wrapper.EntrypointOutput:
    output = entrypoint_wrapper.read(SourceStockTickerApi(), config, catalog, state)
    assert not output.errors, output.get_formatted_error_message()
    return output


def final_stream_state(
    output: entrypoint_wrapper.EntrypointOutput, stream: str = STREAM
) -> dict[str, Any]:
    """The last state the read emitted for `stream`."""
    messages = [m.state for m in output.get_message_by_types([Type.STATE]) if m.state is not None]
    assert messages, "the read emitted no state"
    return stream_state_of(messages, stream)


class TestStockTickerApiStandardSuite(SourceTestSuiteBase):
    """Every standard test that needs no Docker engine, plus the checks described above."""

    connector = SourceStockTickerApi
    connector_name = "source-stock-ticker-api"

    @classmethod
    def get_scenarios(cls) -> list[ConnectorTestScenario]:
        """The suite's scenarios from acceptance-test-config.yml, reading the staged configs."""
        scenarios = []
        for scenario in super().get_scenarios():
            # The suite collects only the entries that name a config_path.
            assert scenario.config_path is not None, scenario
            scenarios.append(
                scenario.model_copy(update={"config_path": STAGE / scenario.config_path})
            )
        return scenarios

    @pytest.fixture(autouse=True)
    def _aim_at_target(
        self,
        acceptance_target: Any,
        monkeypatch: pytest.MonkeyPatch,
        request: pytest.FixtureRequest,
    ) -> None:
        # The suite writes each config, API key included, to a file under tempfile.gettempdir()
        # and never deletes it: keep those files in STAGE, which goes at exit.
        scratch = STAGE / "tmp"
        scratch.mkdir(exist_ok=True)
        monkeypatch.setattr(tempfile, "tempdir", str(scratch))
        if acceptance_target is not None:
            request.getfixturevalue("fixed_now")(NOW)
            request.getfixturevalue("loopback_only")

    def test_configured_catalog_matches_discovery(self) -> None:
        entry = _entries("basic_read")[0]
        output = entrypoint_wrapper.discover(
            SourceStockTickerApi(), staged_config(entry["config_path"])
        )
        assert not output.errors, output.get_formatted_error_message()
        catalog = output.catalog.catalog
        assert catalog is not None, "the CATALOG message holds no catalog"
        discovered = {s.name: s for s in catalog.streams}
        for configured in load_catalog(entry["configured_catalog_path"]).streams:
            assert configured.stream == discovered[configured.stream.name]

    def test_basic_read_returns_the_expected_records(self, acceptance_target: Any) -> None:
        """Records of the basic read equal expected_records.jsonl, each ticker's in order (the
        config keeps the default requests in flight, so tickers' pages come as they arrive),
        and the bars in that file are the bars the sandbox serves."""
        if acceptance_target is None:
            pytest.skip("expected_records.jsonl holds sandbox data; live data differs")
        entry = _entries("basic_read")[0]
        catalog = load_catalog(entry["configured_catalog_path"])
        output = read(staged_config(entry["config_path"]), catalog)
        records = [{"stream": r.stream, "data": r.data} for r in map(record_of, output.records)]
        if os.environ.get(WRITE_EXPECTED_ENV_VAR) == "1":
            emitted_at = int(NOW.timestamp() * 1000)  # CAT's format; the time is not compared
            lines = [json.dumps({**record, "emitted_at": emitted_at}) for record in records]
            EXPECTED_RECORDS.write_text("".join(line + "\n" for line in lines))
            pytest.skip(f"wrote {len(records)} records to {EXPECTED_RECORDS.name}")
        expected = [json.loads(line) for line in EXPECTED_RECORDS.read_text().splitlines()]
        expected = [{"stream": e["stream"], "data": e["data"]} for e in expected]
        assert per_ticker(records) == per_ticker(expected), (
            f"the read differs from {EXPECTED_RECORDS.name}; if the sandbox's data changed on "
            f"purpose, rerun with {WRITE_EXPECTED_ENV_VAR}=1 and review the diff"
        )

        config = staged_config(entry["config_path"])
        for ticker in config["tickers"]:
            bars = acceptance_target.expected_bars(
                ticker, 1, config["timespan"], config["start_date"], config["end_date"]
            )
            served = [
                (bar["t"], bar["o"], bar["h"], bar["l"], bar["c"], bar.get("v")) for bar in bars
            ]
            in_file = [
                (
                    int(datetime.fromisoformat(e["data"]["timestamp"]).timestamp() * 1000),
                    e["data"]["open"],
                    e["data"]["high"],
                    e["data"]["low"],
                    e["data"]["close"],
                    e["data"].get("volume"),
                )
                for e in expected
                if e["stream"] == market_of(ticker).stream_name and ticker_of(e["data"]) == ticker
            ]
            assert in_file == served and served, ticker

    @pytest.mark.parametrize(
        "entry", _entries("incremental"), ids=lambda e: Path(e["config_path"]).stem
    )
    def test_incremental_future_state_reads_nothing(self, entry: dict[str, Any]) -> None:
        """CAT's future-state test: a state far ahead reads no record of its tickers and is
        handed back unchanged, never moved back (stock_prices, dividends and splits alike)."""
        future_path = entry["future_state"]["future_state_path"]
        future = load_state(future_path)
        catalog = load_catalog(entry["configured_catalog_path"])
        output = read(staged_config(entry["config_path"]), catalog, future)
        records = [record_of(m) for m in output.records]
        for stream, future_state in stream_states_of(future).items():
            tickers_read = {ticker_of(r.data) for r in records if r.stream == stream}
            assert not tickers_read & set(future_state), (stream, tickers_read)
            final = final_stream_state(output, stream)
            for ticker, cursor in future_state.items():
                assert dict(final[ticker]) == dict(cursor), (stream, ticker)

    def test_incremental_from_sample_state_resumes_after_it(self, acceptance_target: Any) -> None:
        """From sample_state.json, each ticker reads only bars after its cursor, and the state
        then moves to the last complete bar it read."""
        entry = _entries("incremental")[0]
        config = staged_config(entry["config_path"])
        catalog = load_catalog(entry["configured_catalog_path"])
        samples = stream_states_of(load_state(SAMPLE_STATE))
        sample = {ticker: s[ticker] for s in samples.values() for ticker in s}
        full = read(config, catalog)
        resumed = read(config, catalog, load_state(SAMPLE_STATE))

        def by_ticker(output: entrypoint_wrapper.EntrypointOutput) -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            for record in map(record_of, output.records):
                if record.stream in PRICE_STREAM_NAMES:
                    found.setdefault(ticker_of(record.data), []).append(record.data["timestamp"])
            return found

        finals = {
            ticker: cursor["timestamp"]
            for stream in {m.stream_name for m in map(market_of, config["tickers"])}
            for ticker, cursor in final_stream_state(resumed, stream).items()
            if ticker != "bar_settings"
        }
        everything, after = by_ticker(full), by_ticker(resumed)
        for ticker in config["tickers"]:
            cursor = sample[ticker]["timestamp"] if ticker in sample else None
            expected = [t for t in everything[ticker] if cursor is None or _after(t, cursor)]
            assert after.get(ticker, []) == expected, ticker
            final = finals[ticker]
            assert cursor is None or not _after(cursor, final), (ticker, cursor, final)
            if acceptance_target is not None:
                # Every bar of the sandbox range is complete: the cursor reaches the last.
                assert expected, f"{SAMPLE_STATE} leaves nothing to read for {ticker}"
                assert final == expected[-1], ticker


def _after(timestamp: str, other: str) -> bool:
    return datetime.fromisoformat(timestamp) > datetime.fromisoformat(other)

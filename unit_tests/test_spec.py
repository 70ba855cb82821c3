"""spec.yaml and discover: what the platform shows the user and learns about the stream."""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import pytest
import yaml
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import discover

from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import run_cli

PACKAGE = resources.files("source_stock_ticker_api")


def spec_properties() -> dict[str, Any]:
    spec = yaml.safe_load(PACKAGE.joinpath("spec.yaml").read_text())
    return spec["connectionSpecification"]["properties"]


def test_spec_yaml_is_the_only_spec_file() -> None:
    assert PACKAGE.joinpath("spec.yaml").is_file()
    assert not PACKAGE.joinpath("spec.json").is_file()


def test_spec_loads_through_the_cdk() -> None:
    spec = SourceStockTickerApi().spec(logger=None)  # type: ignore[arg-type]
    connection = spec.connectionSpecification
    assert spec.documentationUrl == "https://docs.airbyte.com/integrations/sources/stock-ticker-api"
    assert connection["required"] == ["api_key"]
    assert connection["additionalProperties"] is True


def test_api_key_is_a_secret() -> None:
    assert spec_properties()["api_key"]["airbyte_secret"] is True
    secrets = [name for name, field in spec_properties().items() if field.get("airbyte_secret")]
    assert secrets == ["api_key"]


def test_fields_are_shown_in_order() -> None:
    properties = spec_properties()
    ordered = sorted(properties, key=lambda name: properties[name]["order"])
    assert ordered == [
        "api_key",
        "tickers",
        "start_date",
        "end_date",
        "timespan",
        "multiplier",
        "adjusted",
        "requests_per_minute",
        "api_url",
        "request_timeout_seconds",
        "max_concurrent_requests",
        "stock_ticker",
    ]
    assert [properties[name]["order"] for name in ordered] == list(range(12))


def test_defaults() -> None:
    defaults = {
        name: field["default"] for name, field in spec_properties().items() if "default" in field
    }
    assert defaults == {
        "timespan": "day",
        "multiplier": 1,
        "adjusted": True,
        "requests_per_minute": 5,
        "api_url": "https://api.polygon.io",
        "request_timeout_seconds": 30,
        "max_concurrent_requests": 10,
    }


def test_timespans_and_limits() -> None:
    properties = spec_properties()
    assert properties["timespan"]["enum"] == [
        "second",
        "minute",
        "hour",
        "day",
        "week",
        "month",
        "quarter",
        "year",
        None,  # null means the default, day; the spec admits it so the CDK's check does
    ]
    assert properties["multiplier"]["minimum"] == 1
    assert (
        properties["requests_per_minute"]["minimum"],
        properties["requests_per_minute"]["maximum"],
    ) == (1, 6000)
    assert properties["tickers"]["minItems"] == 1
    # Empty means the default, as null does.
    assert properties["start_date"]["pattern"] == "^([0-9]{4}-[0-9]{2}-[0-9]{2})?$"


def test_spec_command_prints_the_spec(capfd: pytest.CaptureFixture[str]) -> None:
    result = run_cli(["spec"], capfd)
    assert result.exit_code == 0
    [message] = result.output.spec_messages
    assert message.spec.connectionSpecification["properties"]["api_key"]["airbyte_secret"] is True  # type: ignore[union-attr]


class TestDiscover:
    @pytest.fixture
    def stream(self) -> Any:
        output = discover(SourceStockTickerApi(), ConfigBuilder().build())
        return output.catalog.catalog.streams[0]  # type: ignore[union-attr]

    def test_stock_prices_comes_first(self, stream: Any) -> None:
        assert stream.name == "stock_prices"

    def test_sync_modes_primary_key_and_cursor(self, stream: Any) -> None:
        assert stream.supported_sync_modes == [SyncMode.full_refresh, SyncMode.incremental]
        assert stream.source_defined_primary_key == [["stock_ticker"], ["timestamp"]]
        assert stream.source_defined_cursor is True
        assert stream.default_cursor_field == ["timestamp"]
        assert stream.is_resumable is True

    def test_schema_is_the_packaged_schema(self, stream: Any) -> None:
        packaged = json.loads(PACKAGE.joinpath("schemas/stock_prices.json").read_text())
        assert stream.json_schema == packaged

    def test_schema_fields_and_types(self, stream: Any) -> None:
        schema = stream.json_schema
        types = {name: field["type"] for name, field in schema["properties"].items()}
        assert types == {
            "stock_ticker": "string",
            "date": "string",
            "timestamp": "string",
            "price": "number",
            "open": "number",
            "high": "number",
            "low": "number",
            "close": "number",
            "volume": "number",
            "vwap": ["null", "number"],
            "transactions": ["null", "integer"],
            "otc": "boolean",
        }
        assert schema["properties"]["date"]["format"] == "date"
        assert schema["properties"]["timestamp"]["format"] == "date-time"
        assert schema["properties"]["timestamp"]["airbyte_type"] == "timestamp_with_timezone"
        # vwap and transactions may be missing from a bar: they are not required.
        assert sorted(schema["required"]) == sorted(set(types) - {"vwap", "transactions"})

    def test_discover_makes_no_request(self) -> None:
        # A real socket to a closed loopback port would fail loudly if discover called the API.
        config = ConfigBuilder().with_api_url("http://127.0.0.1:9").build()
        output = discover(SourceStockTickerApi(), config)
        assert output.errors == []
        assert len(output.catalog.catalog.streams) == 25  # type: ignore[union-attr]

"""source.py without HTTP: the stream list, the client-side budget, and legacy state files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import AirbyteStateType
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit

from source_stock_ticker_api import source as source_module
from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.prices.saved_state import validate_state
from source_stock_ticker_api.prices.stream import PriceStream
from source_stock_ticker_api.source import ALL_STREAM_NAMES, SourceStockTickerApi, api_budget
from unit_tests.config_builder import API_URL, ConfigBuilder
from unit_tests.helpers import STREAM_NAMES, command_line, run_cli, saved_state, write_json

AGGS = f"{API_URL}/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-03-11"


@pytest.mark.now()
def test_streams_are_the_price_streams_then_the_reference_streams_on_one_budget() -> None:
    streams = SourceStockTickerApi().streams(ConfigBuilder().build())
    assert isinstance(streams[0], PriceStream)
    assert [stream.name for stream in streams] == STREAM_NAMES
    assert list(ALL_STREAM_NAMES) == STREAM_NAMES  # what read checks a catalog against
    # One pace for the key: the API counts its requests, whichever stream sends them.
    budgets = {id(stream._http_client._api_budget) for stream in streams}  # type: ignore[attr-defined]
    assert len(budgets) == 1


@pytest.mark.now()
class TestBudget:
    @staticmethod
    def budget(requests_per_minute: int):  # type: ignore[no-untyped-def]
        config = parse_config(ConfigBuilder().with_requests_per_minute(requests_per_minute).build())
        return api_budget(config)

    @staticmethod
    def request() -> requests.PreparedRequest:
        return requests.Request("GET", AGGS).prepare()

    def test_allows_requests_per_minute_calls_then_asks_to_wait_a_minute(self) -> None:
        # One call of the minute is the check Airbyte runs just before (see test_pacing.py).
        budget = self.budget(3)
        for _ in range(2):
            budget.acquire_call(self.request(), block=False)
        with pytest.raises(CallRateLimitHit) as hit:
            budget.acquire_call(self.request(), block=False)
        assert 55 < hit.value.time_to_wait.total_seconds() <= 62

    def test_a_429_does_not_spend_the_minute(self) -> None:
        # The error handler waits what Retry-After says; the budget must not add a minute to it.
        budget = self.budget(3)
        rate_limited = requests.Response()
        rate_limited.status_code = 429
        budget.update_from_response(self.request(), rate_limited)
        for _ in range(2):  # the third call of the minute is the check's
            budget.acquire_call(self.request(), block=False)


class TestReadState:
    def test_legacy_tutorial_file_becomes_stream_state(self, tmp_path: Path) -> None:
        path = write_json(tmp_path / "state.json", {"stock_prices": {"date": "2024-03-07"}})
        [message] = SourceStockTickerApi.read_state(path)
        assert message.type == AirbyteStateType.STREAM
        assert message.stream.stream_descriptor.name == "stock_prices"  # type: ignore[union-attr]
        assert message.stream.stream_state.__dict__ == {"date": "2024-03-07"}  # type: ignore[union-attr]

    def test_legacy_file_entries_that_are_not_objects_are_skipped(self, tmp_path: Path) -> None:
        path = write_json(
            tmp_path / "state.json", {"stock_prices": {"date": "2024-03-07"}, "cursor": "x"}
        )
        assert [m.stream.stream_descriptor.name for m in SourceStockTickerApi.read_state(path)] == [  # type: ignore[union-attr]
            "stock_prices"
        ]

    def test_protocol_state_file_is_read_as_usual(self, tmp_path: Path) -> None:
        state = [
            {
                "type": "STREAM",
                "stream": {
                    "stream_descriptor": {"name": "stock_prices"},
                    "stream_state": {"AAPL": {"timestamp": "2024-03-08T05:00:00Z"}},
                },
            }
        ]
        [message] = SourceStockTickerApi.read_state(write_json(tmp_path / "state.json", state))
        assert message.stream.stream_state.__dict__ == {  # type: ignore[union-attr]
            "AAPL": {"timestamp": "2024-03-08T05:00:00Z"}
        }

    def test_no_state_file_or_an_empty_one_means_no_state(self, tmp_path: Path) -> None:
        assert SourceStockTickerApi.read_state("") == []
        assert SourceStockTickerApi.read_state(write_json(tmp_path / "state.json", {})) == []
        assert json.loads((tmp_path / "state.json").read_text()) == {}


@pytest.mark.now()
def test_a_read_parses_the_config_once_and_validates_each_saved_state_once(
    tmp_path: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The entrypoint's check, the source's read and its streams share one parse; the state
    file is validated when it is loaded, and the streams take it as valid."""
    parsed: list[object] = []
    validated: list[str] = []

    def counting_parse(raw: Any) -> Any:
        parsed.append(raw)
        return parse_config(raw)

    def counting_validation(value: Any, stream: str) -> None:
        validated.append(stream)
        validate_state(value, stream)

    monkeypatch.setattr(source_module, "parse_config", counting_parse)
    monkeypatch.setattr(source_module, "validate_state", counting_validation)
    state = [
        {
            "type": "STREAM",
            "stream": {
                "stream_descriptor": {"name": name},
                "stream_state": saved_state(AAPL="2024-03-07T05:00:00Z"),
            },
        }
        for name in ("stock_prices", "crypto_prices")
    ]
    args = command_line("read", tmp_path, ConfigBuilder().build(), state=state)
    with rm.Mocker() as mock:
        mock.get(rm.ANY, json={"ticker": "AAPL", "resultsCount": 0, "status": "OK"})
        result = run_cli(args, capfd)

    assert result.exit_code == 0
    assert len(parsed) == 1
    assert validated == ["stock_prices", "crypto_prices"]

"""source.py without HTTP: the stream list, the client-side budget, and legacy state files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests
from airbyte_cdk.models import AirbyteStateType
from airbyte_cdk.sources.streams.call_rate import CallRateLimitHit

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.source import SourceStockTickerApi, api_budget
from source_stock_ticker_api.streams import StockPrices
from unit_tests.config_builder import API_URL, ConfigBuilder
from unit_tests.helpers import STREAM_NAMES, write_json

AGGS = f"{API_URL}/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-03-11"


@pytest.mark.now()
def test_streams_are_the_price_streams_then_the_reference_streams_on_one_budget() -> None:
    streams = SourceStockTickerApi().streams(ConfigBuilder().build())
    assert isinstance(streams[0], StockPrices)
    assert [stream.name for stream in streams] == STREAM_NAMES
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

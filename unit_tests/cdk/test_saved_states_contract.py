"""The installed CDK's state manager holds each stream's state as saved_states.py reads it."""

from __future__ import annotations

from airbyte_cdk.sources.connector_state_manager import ConnectorStateManager
from airbyte_cdk.test.state_builder import StateBuilder

from source_stock_ticker_api.cdk.saved_states import saved_state

STATE = {"bar_settings": {"timespan": "day"}, "AAPL": {"timestamp": "2024-03-07T05:00:00Z"}}


def test_saved_state_is_what_get_stream_state_gives_without_the_copy() -> None:
    manager = ConnectorStateManager(StateBuilder().with_stream_state("stock_prices", STATE).build())

    held = saved_state(manager, "stock_prices")

    assert held == manager.get_stream_state("stock_prices", None) == STATE
    assert held is saved_state(manager, "stock_prices")  # the manager's own, not a copy
    assert held is not manager.get_stream_state("stock_prices", None)


def test_a_stream_without_state_reads_as_empty_as_in_the_cdk() -> None:
    manager = ConnectorStateManager(StateBuilder().with_stream_state("dividends", {}).build())

    assert saved_state(manager, "dividends") == manager.get_stream_state("dividends", None) == {}
    assert saved_state(manager, "splits") == manager.get_stream_state("splits", None) == {}

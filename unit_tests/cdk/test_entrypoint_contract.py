"""The installed Airbyte CDK still behaves as source_stock_ticker_api.cdk relies on.

Each test names the CDK behaviour and the override that needs it, so a CDK upgrade that breaks
one says what to review instead of failing somewhere in a sync.
"""

from __future__ import annotations

import inspect
import io
import sys
from collections.abc import Callable
from typing import Any

import pytest
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER, init_logger
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.utils.print_buffer import PrintBuffer

from source_stock_ticker_api.cdk.entrypoint import StockTickerEntrypoint, record_json
from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import FULL_RECORD

OVERRIDES = sorted(
    name
    for name, value in vars(StockTickerEntrypoint).items()
    if callable(value) or isinstance(value, staticmethod)
)
# The parameters each override was written against (airbyte-cdk 7.39); the CDK calls the hooks
# positionally, so names, order and kinds matter, not annotations.
SIGNATURES = {
    "__init__": "(self, source)",  # then bounds the CDK's log lines: see test_log_lines_contract
    "handle_record_counts": "(message, stream_message_count)",
    "read": "(self, source_spec, config, catalog, state)",
    "set_up_secret_filter": "(config, connection_specification)",
    "validate_connection": "(source_spec, config)",
}
# Static hooks of the CDK we override with an instance method: the CDK calls them through
# `self`, so ours can ask the source (validate_connection: the source's one parse of the config).
THROUGH_SELF = {"validate_connection"}
# Which CDK methods call each hook: an override the CDK no longer calls does nothing.
CALLERS = {
    "handle_record_counts": ["read"],
    "read": ["run"],
    "set_up_secret_filter": ["check", "discover", "read"],
    "validate_connection": ["check", "discover", "read"],
}


def test_every_override_is_listed_here() -> None:
    assert OVERRIDES == sorted(SIGNATURES), (
        "StockTickerEntrypoint's overrides changed: list each one in SIGNATURES and CALLERS, "
        "with the CDK behaviour it relies on"
    )


def _parameters(function: Callable[..., Any]) -> str:
    """`(a, b)`: the signature without annotations or defaults."""
    signature = inspect.signature(function)
    bare = [p.replace(annotation=p.empty, default=p.empty) for p in signature.parameters.values()]
    return str(signature.replace(parameters=bare, return_annotation=signature.empty))


@pytest.mark.parametrize("name", sorted(SIGNATURES))
def test_the_cdk_method_we_override_keeps_its_signature(name: str) -> None:
    cdk_method = inspect.getattr_static(AirbyteEntrypoint, name, None)
    assert cdk_method is not None, (
        f"AirbyteEntrypoint.{name} is gone from the installed CDK: "
        f"StockTickerEntrypoint.{name} in cdk/entrypoint.py overrides nothing now"
    )
    ours = inspect.getattr_static(StockTickerEntrypoint, name)
    ours_static = isinstance(ours, staticmethod) or name in THROUGH_SELF
    assert isinstance(cdk_method, staticmethod) == ours_static, (
        f"AirbyteEntrypoint.{name} changed between static and instance method: "
        f"make StockTickerEntrypoint.{name} match"
    )
    signature = _parameters(getattr(AirbyteEntrypoint, name))
    assert signature == SIGNATURES[name], (
        f"AirbyteEntrypoint.{name} changed its signature to {signature}: review "
        f"StockTickerEntrypoint.{name} in cdk/entrypoint.py, then update SIGNATURES"
    )


@pytest.mark.parametrize("name", sorted(THROUGH_SELF))
def test_the_cdk_calls_the_static_hooks_we_make_instance_methods_through_self(name: str) -> None:
    for caller in CALLERS[name]:
        source = inspect.getsource(getattr(AirbyteEntrypoint, caller))
        assert f"self.{name}(" in source, (
            f"AirbyteEntrypoint.{caller} no longer calls self.{name}: "
            f"StockTickerEntrypoint.{name} would lose its `self`; make it static again"
        )


@pytest.mark.parametrize("name", sorted(CALLERS))
def test_the_cdk_still_calls_the_hook_we_override(name: str) -> None:
    for caller in CALLERS[name]:
        called = getattr(AirbyteEntrypoint, caller).__code__.co_names
        assert name in called, (
            f"AirbyteEntrypoint.{caller} no longer calls {name}: "
            f"StockTickerEntrypoint.{name} in cdk/entrypoint.py would silently do nothing"
        )


RECORDS = [
    {**FULL_RECORD, "timestamp": "2024-01-02T09:00:00Z"},
    {
        "stock_ticker": "BRK.A",
        "date": "2024-01-02",
        "timestamp": "2024-01-02T14:31:00Z",
        "price": 545000,
        "open": 544123.5,
        "high": 1e-07,
        "low": 0.0,
        "close": 545000,
        "volume": 3,
        "otc": True,
    },
]


@pytest.mark.parametrize("data", RECORDS, ids=["every field", "no vwap or transactions"])
def test_record_json_writes_the_exact_bytes_of_the_cdk_serializer(data: dict[str, Any]) -> None:
    record = AirbyteRecordMessage(stream="stock_prices", data=data, emitted_at=1_704_171_600_123)
    cdk_line = AirbyteEntrypoint.airbyte_message_to_string(
        AirbyteMessage(type=Type.RECORD, record=record)
    )
    assert record_json(record) == (cdk_line + "\n").encode(), (
        "the CDK now serializes a RECORD message differently from cdk.record_json: "
        "make record_json produce the CDK's line again"
    )


def _capture_dunder_stdout(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    target = io.StringIO()
    monkeypatch.setattr(sys, "__stdout__", target)
    return target


def test_print_buffer_has_the_attributes_shared_stdout_sets() -> None:
    assert isinstance(PRINT_BUFFER, PrintBuffer), "airbyte_cdk.logger.PRINT_BUFFER changed type"
    assert isinstance(
        PRINT_BUFFER.flush_interval, float
    ), "PrintBuffer.flush_interval is gone or no longer a number: shared_stdout sets it to 0"
    for method in ("write", "flush", "__enter__", "__exit__"):
        assert callable(
            getattr(PRINT_BUFFER, method, None)
        ), f"PrintBuffer.{method} is gone: shared_stdout and run() use it"


def test_print_buffer_writes_to_sys_dunder_stdout_at_once_with_a_zero_interval(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    buffer = PrintBuffer(flush_interval=0)
    target = _capture_dunder_stdout(monkeypatch)

    buffer.write('{"type":"LOG"}\n')

    assert target.getvalue() == '{"type":"LOG"}\n', (
        "PrintBuffer no longer writes each message to sys.__stdout__ when flush_interval is 0: "
        "shared_stdout would reorder logs, states and records"
    )


def test_print_buffer_becomes_sys_stdout_inside_its_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # not pytest's capture, as in a real run
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    buffer = PrintBuffer(flush_interval=0)
    _capture_dunder_stdout(monkeypatch)

    with buffer:
        inside = sys.stdout

    assert inside is buffer, (
        "PrintBuffer no longer replaces sys.stdout inside its `with`: shared_stdout would leave "
        "stdout alone and records would take the slow path"
    )


def test_the_cdk_logger_writes_to_the_print_buffer() -> None:
    init_logger("airbyte")
    streams = [getattr(handler, "stream", None) for handler in init_logger().handlers]
    assert PRINT_BUFFER in streams, (
        "the CDK's log handler no longer writes to PRINT_BUFFER: logs would bypass the buffer "
        "shared_stdout shares with records, and leave out of order"
    )


def test_the_cdk_passes_a_record_message_a_stream_yields_through_unchanged() -> None:
    source = SourceStockTickerApi()
    stream = source.streams(ConfigBuilder().build())[0]  # stock_prices
    message = AirbyteMessage(
        type=Type.RECORD,
        record=AirbyteRecordMessage(stream="stock_prices", data=RECORDS[0], emitted_at=1),
    )
    assert "_get_message" in AbstractSource._read_stream.__code__.co_names, (
        "AbstractSource._read_stream no longer converts what a stream yields with _get_message: "
        "check that cdk.records_as_messages still saves the CDK's per-record conversion"
    )
    assert source._get_message(message, stream) is message, (
        "the CDK no longer passes a RECORD message from a stream through as it is: "
        "cdk.records_as_messages gains nothing now, or loses records"
    )

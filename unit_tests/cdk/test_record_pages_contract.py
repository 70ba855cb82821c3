"""The installed Airbyte CDK still handles a page of records (cdk.RecordPage) as
cdk relies on: one RECORD message passing each layer once, counted right.

Each test names the CDK behaviour and the override that needs it, so a CDK upgrade that breaks
one says what to review instead of failing somewhere in a sync.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    AirbyteStateMessage,
    AirbyteStateType,
    AirbyteStream,
    AirbyteStreamState,
    AirbyteStreamStatus,
    ConfiguredAirbyteStream,
    DestinationSyncMode,
    StreamDescriptor,
    SyncMode,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.sources.connector_state_manager import (
    ConnectorStateManager,
    HashableStreamDescriptor,
)
from airbyte_cdk.sources.streams import Stream
from airbyte_cdk.sources.streams.core import StreamData
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.sources.utils.slice_logger import DebugSliceLogger

from source_stock_ticker_api.cdk.entrypoint import StockTickerEntrypoint
from source_stock_ticker_api.cdk.record_pages import (
    RecordPage,
    RecordPagesSource,
    records_as_messages,
)
from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import ConfigBuilder


def page(count: int) -> RecordPage:
    record = AirbyteRecordMessage(stream="pages", data={}, emitted_at=1)
    lines = b'{"type":"RECORD"}\n' * count
    return RecordPage(type=Type.RECORD, record=record, lines=lines, count=count)


class Pages(Stream):
    """A stream whose one slice yields two pages, of 3 and 2 records."""

    primary_key = None

    def get_json_schema(self) -> dict[str, Any]:  # type: ignore[override]  # lru_cache there
        return {}

    def read_records(
        self,
        sync_mode: SyncMode,
        cursor_field: list[str] | None = None,
        stream_slice: Mapping[str, Any] | None = None,
        stream_state: Mapping[str, Any] | None = None,
    ) -> Iterable[StreamData]:
        yield page(3)
        yield page(2)


def configured(name: str = "pages") -> ConfiguredAirbyteStream:
    stream = AirbyteStream(name=name, json_schema={}, supported_sync_modes=[SyncMode.full_refresh])
    return ConfiguredAirbyteStream(
        stream=stream,
        sync_mode=SyncMode.full_refresh,
        destination_sync_mode=DestinationSyncMode.overwrite,
    )


class PlainSource(AbstractSource):
    """The CDK's own source, without RecordPagesSource."""

    def check_connection(
        self, logger: logging.Logger, config: Mapping[str, Any]
    ) -> tuple[bool, Any]:
        return True, None

    def streams(self, config: Mapping[str, Any]) -> list[Stream]:
        return [Pages()]


class PagedSource(RecordPagesSource, PlainSource):
    """PlainSource with the override."""


def read_stream(source: AbstractSource, logger: logging.Logger) -> list[AirbyteMessage]:
    return list(
        source._read_stream(
            logger, Pages(), configured(), ConnectorStateManager([]), split_config({})[1]
        )
    )


def test_the_cdk_passes_a_record_page_a_stream_yields_through_unchanged() -> None:
    source = SourceStockTickerApi()
    stream = source.streams(ConfigBuilder().build())[0]
    message = page(3)
    assert source._get_message(message, stream) is message, (
        "AbstractSource._get_message no longer passes a subclass of AirbyteMessage through as "
        "it is: cdk.RecordPage would lose its lines and count"
    )


def test_the_cdk_marks_a_stream_running_on_its_first_record_message_a_page_too() -> None:
    messages = read_stream(PlainSource(), logging.getLogger("contract.pages"))

    statuses = [
        m.trace.stream_status.status
        for m in messages
        if m.type is Type.TRACE and m.trace and m.trace.stream_status
    ]
    assert statuses == [AirbyteStreamStatus.RUNNING] and messages[0].type is Type.TRACE, (
        "AbstractSource._read_stream no longer marks a stream RUNNING on its first RECORD "
        "message: a sync of RecordPage messages (cdk.records_as_messages) would "
        "never show RUNNING"
    )
    assert [m.count for m in messages if isinstance(m, RecordPage)] == [3, 2]


def test_the_cdk_tells_the_record_messages_it_read_in_the_line_record_pages_source_rewrites(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)

    read_stream(PlainSource(), logging.getLogger("contract.plain"))

    assert caplog.messages[-1] == "Read 2 records from pages stream", (
        "AbstractSource._read_stream no longer ends with 'Read N records from S stream', N "
        "its RECORD messages: review cdk.RecordPagesSource._read_stream, which "
        "rewrites that line with the number of records"
    )


def test_record_pages_source_tells_the_records_read(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    logger = logging.getLogger("contract.paged")

    read_stream(PagedSource(), logger)
    read_stream(PagedSource(), logger)

    read_lines = [line for line in caplog.messages if line.startswith("Read ")]
    assert read_lines == ["Read 5 records from pages stream"] * 2
    assert logger.filters == []


def test_the_cdk_counts_record_messages_not_records_against_its_record_limit() -> None:
    stream = Pages()
    messages = list(
        stream.read(
            configured(),
            logging.getLogger("contract.limit"),
            DebugSliceLogger(),
            {},
            None,
            split_config({"_limit": 1})[1],
        )
    )

    assert [m.count for m in messages if isinstance(m, RecordPage)] == [3], (
        "Stream.read no longer stops a slice after `_limit` RECORD messages: review "
        "StockTickerEntrypoint.read, which sends records one by one under `_limit` for that "
        "reason"
    )
    assert split_config({"tickers": ["AAPL"], "_limit": 7})[1].limit == 7, (
        "split_config no longer reads `_limit`: StockTickerEntrypoint.read would send pages "
        "under a record limit"
    )


def test_the_price_streams_observe_a_page_as_one_record() -> None:
    """Stream.read observes state once per RECORD message, from `state` when a stream keeps
    the CDK's `get_updated_state`, and checkpoints after `state_checkpoint_interval`
    messages: a RecordPage's placeholder record must feed neither."""
    for stream in SourceStockTickerApi().streams(ConfigBuilder().build())[:5]:
        assert type(stream).get_updated_state is Stream.get_updated_state, stream.name
        assert stream.state_checkpoint_interval is None, stream.name
    assert "get_updated_state" in Stream.read.__code__.co_names
    assert "_observe_state" in Stream.read.__code__.co_names


def test_a_state_after_a_page_counts_the_records_of_the_page() -> None:
    counter: defaultdict[HashableStreamDescriptor, float] = defaultdict(float)
    state = AirbyteMessage(
        type=Type.STATE,
        state=AirbyteStateMessage(
            type=AirbyteStateType.STREAM,
            stream=AirbyteStreamState(stream_descriptor=StreamDescriptor(name="pages")),
        ),
    )

    StockTickerEntrypoint.handle_record_counts(page(3), counter)
    StockTickerEntrypoint.handle_record_counts(page(2), counter)
    StockTickerEntrypoint.handle_record_counts(state, counter)

    assert state.state and state.state.sourceStats
    assert state.state.sourceStats.recordCount == 5.0, (
        "AirbyteEntrypoint.handle_record_counts no longer sets a STATE's recordCount from the "
        "counter StockTickerEntrypoint.handle_record_counts adds a RecordPage's count to"
    )


def test_records_one_by_one_outside_the_entrypoint_that_writes_pages() -> None:
    records = [{"a": 1}, {"a": 2}]

    messages = list(records_as_messages("pages", records))

    assert [type(m) for m in messages] == [AirbyteMessage, AirbyteMessage]
    assert [
        m.record.data for m in messages if isinstance(m, AirbyteMessage) and m.record
    ] == records

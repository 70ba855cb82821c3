"""The console script writes each page of records as one message (cdk.RecordPage),
and its output is what the per-record path writes: `run.run([...])` in-process, its stdout a
real file (under pytest's capture the CDK's print buffer steps aside, and records with it)."""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import AirbyteMessage

from source_stock_ticker_api import run
from source_stock_ticker_api.cdk.entrypoint import StockTickerEntrypoint
from source_stock_ticker_api.cdk.record_pages import RecordPage
from source_stock_ticker_api.source import SourceStockTickerApi
from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import NOW, CliResult, command_line, ms
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder

pytestmark = pytest.mark.now(NOW)

EMITTED_AT = re.compile(r',"emitted_at":\d+\}\}$')
MONDAY, TUESDAY, WEDNESDAY = "2024-03-04", "2024-03-05", "2024-03-06"


@pytest.fixture
def pages_seen(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The record count of each RecordPage the source sent on, in order."""
    seen: list[int] = []
    read_stream = SourceStockTickerApi._read_stream

    def spy(self: SourceStockTickerApi, *args: Any, **kwargs: Any) -> Iterator[AirbyteMessage]:
        for message in read_stream(self, *args, **kwargs):
            if isinstance(message, RecordPage):
                seen.append(message.count)
            yield message

    monkeypatch.setattr(SourceStockTickerApi, "_read_stream", spy)
    return seen


def sync(requests_mock: rm.Mocker, tmp_path: Path, **config: Any) -> CliResult:
    """AAPL (three days) and MSFT (one day), a page each, read from the command line."""
    requests_mock.get(
        AggsRequestBuilder.aggs("AAPL", MONDAY, WEDNESDAY).url,
        json=AggsResponseBuilder("AAPL")
        .with_bars(*(ms(f"{day}T05:00:00Z") for day in (MONDAY, TUESDAY, WEDNESDAY)))
        .build_json(),
    )
    requests_mock.get(
        AggsRequestBuilder.aggs("MSFT", MONDAY, WEDNESDAY).url,
        json=AggsResponseBuilder("MSFT").with_bars(ms(f"{MONDAY}T05:00:00Z")).build_json(),
    )
    built = ConfigBuilder().with_tickers("AAPL", "MSFT").with_dates(MONDAY, WEDNESDAY).build()
    args = command_line("read", tmp_path, {**built, **config})
    stdout = tmp_path / "stdout.jsonl"
    with stdout.open("w") as file, pytest.MonkeyPatch.context() as patch:
        for name in ("stdout", "__stdout__", "stderr"):
            patch.setattr(sys, name, file)
        run.run(args)
    return CliResult(0, stdout.read_text())


def record_lines(result: CliResult) -> list[str]:
    return [
        EMITTED_AT.sub("}}", line)
        for line in result.stdout.splitlines()
        if line.startswith('{"type":"RECORD"')
    ]


def test_each_page_passes_the_cdk_as_one_message_and_leaves_as_the_records_did_one_by_one(
    requests_mock: rm.Mocker,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    pages_seen: list[int],
) -> None:
    pages = sync(requests_mock, tmp_path)
    assert pages_seen == [3, 1]
    monkeypatch.setattr(StockTickerEntrypoint, "record_pages", False)
    one_by_one = sync(requests_mock, tmp_path)

    assert pages_seen == [3, 1]
    assert pages.exit_code == one_by_one.exit_code == 0
    assert record_lines(pages) == record_lines(one_by_one)
    assert [r["timestamp"] for r in pages.records] == [
        "2024-03-04T05:00:00Z",
        "2024-03-05T05:00:00Z",
        "2024-03-06T05:00:00Z",
        "2024-03-04T05:00:00Z",
    ]
    stats = [s.state.sourceStats.recordCount for s in pages.output.state_messages]  # type: ignore[union-attr]
    assert stats == [3.0, 1.0]
    assert pages.output.state_messages == one_by_one.output.state_messages
    assert "Read 4 records from stock_prices stream" in pages.logs()
    assert "Read 4 records from stock_prices stream" in one_by_one.logs()


def test_given_the_cdk_record_limit_when_read_then_records_go_one_by_one(
    requests_mock: rm.Mocker,
    tmp_path: Path,
    pages_seen: list[int],
) -> None:
    result = sync(requests_mock, tmp_path, _limit=1)

    assert pages_seen == []
    assert result.exit_code == 0
    # The CDK stops each slice (page) at its first record once the limit is reached.
    assert [(r["stock_ticker"], r["date"]) for r in result.records] == [
        ("AAPL", MONDAY),
        ("MSFT", MONDAY),
    ]
    assert "Read 2 records from stock_prices stream" in result.logs()

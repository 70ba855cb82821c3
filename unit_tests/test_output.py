"""Record lines must be exactly what the CDK would write, and leave in the order written."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type
from airbyte_cdk.utils.print_buffer import PrintBuffer

from source_stock_ticker_api.cdk.entrypoint import record_json, shared_stdout
from unit_tests.helpers import FULL_RECORD

WITHOUT_VWAP = {k: v for k, v in FULL_RECORD.items() if k not in ("vwap", "transactions")}


@pytest.mark.parametrize(
    "data",
    [FULL_RECORD, WITHOUT_VWAP, {**FULL_RECORD, "otc": True}],
    ids=["every field", "no vwap or transactions", "otc"],
)
def test_record_json_matches_the_cdk_serializer(data: dict[str, Any]) -> None:
    record = AirbyteRecordMessage(stream="stock_prices", data=data, emitted_at=1_704_171_600_123)
    cdk_line = AirbyteEntrypoint.airbyte_message_to_string(
        AirbyteMessage(type=Type.RECORD, record=record)
    )
    ours = record_json(record)
    assert ours.endswith(b"\n") and ours.count(b"\n") == 1
    assert orjson.loads(ours) == orjson.loads(cdk_line)


def test_a_record_with_a_namespace_takes_the_cdk_path() -> None:
    record = AirbyteRecordMessage(
        stream="stock_prices", namespace="market", data=FULL_RECORD, emitted_at=1_704_171_600_123
    )
    cdk_line = AirbyteEntrypoint.airbyte_message_to_string(
        AirbyteMessage(type=Type.RECORD, record=record)
    )
    assert record_json(record) == (cdk_line + "\n").encode()


@pytest.fixture
def real_stdout(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, PrintBuffer]:
    """A process stdout that writes through to a file (as under PYTHONUNBUFFERED), and a print
    buffer standing in for the CDK's. Tests make it sys.stdout themselves, as run() does:
    pytest sets sys.stdout again between a fixture and its test."""
    path = tmp_path / "stdout"
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT)
    raw = io.FileIO(descriptor, "wb", closefd=True)
    unbuffered = io.TextIOWrapper(raw, encoding="utf-8", write_through=True)
    monkeypatch.setattr(sys, "__stdout__", unbuffered)
    return path, PrintBuffer(flush_interval=0.1)


def test_records_logs_and_states_leave_in_the_order_they_were_written(
    real_stdout: tuple[Path, PrintBuffer], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, text = real_stdout
    monkeypatch.setattr(sys, "stdout", text)
    original = sys.__stdout__
    with shared_stdout(text) as records:
        assert records is not None
        text.write("log 1\n")
        records.write(b"record 1\n")
        records.write(b"record 2\n")
        text.write("state 1\n")
        records.write(b"record 3\n")
        assert text.flush_interval == 0
    assert path.read_text() == "log 1\nrecord 1\nrecord 2\nstate 1\nrecord 3\n"
    assert sys.__stdout__ is original and text.flush_interval == 0.1


def test_records_are_written_in_blocks_not_one_system_call_each(
    real_stdout: tuple[Path, PrintBuffer], monkeypatch: pytest.MonkeyPatch
) -> None:
    path, text = real_stdout
    monkeypatch.setattr(sys, "stdout", text)
    line = b'{"type":"RECORD"}\n'
    with shared_stdout(text) as records:
        assert records is not None
        for _ in range(1000):
            records.write(line)
        assert path.stat().st_size == 0  # 18 kB, still in the 64 KiB buffer
        for _ in range(4000):
            records.write(line)
        assert 0 < path.stat().st_size < 5000 * len(line)
    assert path.read_bytes() == line * 5000


def test_when_stdout_is_not_the_print_buffer_nothing_changes(
    real_stdout: tuple[Path, PrintBuffer], monkeypatch: pytest.MonkeyPatch
) -> None:
    _, text = real_stdout
    monkeypatch.setattr(sys, "stdout", io.StringIO())  # pytest capturing, say
    original = sys.__stdout__
    with shared_stdout(text) as records:
        assert records is None
        assert sys.__stdout__ is original and text.flush_interval == 0.1

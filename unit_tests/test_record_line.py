"""The entrypoint's fast path for records must write exactly what the CDK would."""

from __future__ import annotations

from typing import Any

import orjson
import pytest
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import AirbyteMessage, AirbyteRecordMessage, Type

from source_stock_ticker_api.config import ConfigError, parse_config
from source_stock_ticker_api.run import record_line

FULL_BAR = {
    "stock_ticker": "AAPL",
    "date": "2024-01-02",
    "timestamp": "2024-01-02T05:00:00Z",
    "price": 185.64,
    "open": 187.15,
    "high": 188.44,
    "low": 183.885,
    "close": 185.64,
    "volume": 8.2488674e7,
    "vwap": 185.9465,
    "transactions": 1008871,
    "otc": False,
}


@pytest.mark.parametrize(
    "data",
    [FULL_BAR, {**FULL_BAR, "vwap": None, "transactions": None}, {**FULL_BAR, "otc": True}],
    ids=["every field", "no vwap or transactions", "otc"],
)
def test_record_line_matches_the_cdk_serializer(data: dict[str, Any]) -> None:
    record = AirbyteRecordMessage(stream="stock_prices", data=data, emitted_at=1_704_171_600_123)
    cdk_line = AirbyteEntrypoint.airbyte_message_to_string(
        AirbyteMessage(type=Type.RECORD, record=record)
    )
    ours = record_line(record)
    assert ours.endswith("\n") and ours.count("\n") == 1
    assert orjson.loads(ours) == orjson.loads(cdk_line)


def test_a_key_too_short_to_be_real_is_refused_naming_the_field() -> None:
    with pytest.raises(ConfigError) as raised:
        parse_config({"api_key": "0", "tickers": ["AAPL"]})
    assert raised.value.message == (
        "api_key is too short to be a Polygon.io / Massive.com key (they are 32 characters): "
        "paste the whole key."
    )

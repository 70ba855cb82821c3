"""The log lines of a sync, as a person reads them in the Airbyte UI, with requests-mock.

One INFO line per window: instants as ISO UTC, counts with their noun in the right number. At
most one "check the symbol" warning per ticker, only when the API returned no bar at all in a
range holding finished trading days: a ticker listed after start_date gets none, however many
empty windows come before its first bar.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import STREAM, log_messages, read_stream, records
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder, template

FRI_2024_03_08 = 1709874000000
MON_2024_03_11 = 1710129600000
MON_2024_03_11_1031 = 1710167460000  # 14:31Z, a minute bar's start
WED_2023_12_13_15H = 1702497600000  # an hour bar's start
THU_2024_03_07_15H = 1709841600000
# Hour bars from 2023-10-02 to 2024-03-08: three windows of at most 52 trading days.
HOUR_WINDOWS = [
    ("2023-10-02", "2023-12-13"),
    ("2023-12-14", "2024-02-29"),
    ("2024-03-01", "2024-03-08"),
]


pytestmark = pytest.mark.now()


def window_lines(output: Any) -> list[str]:
    return [line for line in log_messages(output, "INFO") if " from " in line and ": " in line]


def bars(ticker: str, *starts: int, next_url: str | None = None) -> dict[str, Any]:
    page = AggsResponseBuilder(ticker).with_bars(*starts)
    if next_url:
        page.with_next_url(next_url)
    return {"json": page.build_json()}


def test_given_a_resumed_minute_window_when_read_then_its_start_is_an_iso_instant(
    requests_mock: rm.Mocker,
) -> None:
    url = AggsRequestBuilder.aggs("AAPL", "1710167460000", "2024-03-11").with_timespan("minute")
    requests_mock.get(url.url, [bars("AAPL", MON_2024_03_11_1031)])
    state = (
        StateBuilder()
        .with_stream_state(STREAM, {"AAPL": {"timestamp": "2024-03-11T14:30:00Z"}})
        .build()
    )

    output = read_stream(
        ConfigBuilder().with_timespan("minute").with_end_date("2024-03-11").build(), state=state
    )

    assert [r["timestamp"] for r in records(output)] == ["2024-03-11T14:31:00Z"]
    assert window_lines(output) == [
        "AAPL: 1 bar from 2024-03-11T14:31:00Z to 2024-03-11 in 1 request."
    ]


def test_given_counts_of_zero_one_and_more_when_read_then_each_noun_in_the_right_number(
    requests_mock: rm.Mocker,
) -> None:
    # Hour bars: with day bars, a range holding only today's session would not be read at all
    # (planner.py), and this test is about "0 bars".
    aapl = AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-12").with_timespan("hour")
    requests_mock.get(
        aapl.url,
        [
            bars("AAPL", FRI_2024_03_08, next_url=f"{aapl.url}?cursor=Y3Vyc29yMg"),
            bars("AAPL", MON_2024_03_11),
        ],
    )
    msft = AggsRequestBuilder.aggs("MSFT", "2024-03-01", "2024-03-12").with_timespan("hour")
    requests_mock.get(msft.url, [bars("MSFT", FRI_2024_03_08)])
    # Today's window: no finished trading day in it, so no warning either.
    today = AggsRequestBuilder.aggs("NVDA", "2024-03-12", "2024-03-12").with_timespan("hour")
    requests_mock.get(today.url, [bars("NVDA")])
    state = (
        StateBuilder()
        .with_stream_state(STREAM, {"NVDA": {"timestamp": "2024-03-12T03:00:00Z"}})
        .build()
    )
    config = (
        ConfigBuilder()
        .with_tickers("AAPL", "MSFT", "NVDA")
        .with_end_date("2024-03-12")
        .with_timespan("hour")
    )

    output = read_stream(config.build(), state=state)

    assert window_lines(output) == [
        "AAPL: 2 bars from 2024-03-01 to 2024-03-12 in 2 requests.",
        "MSFT: 1 bar from 2024-03-01 to 2024-03-12 in 1 request.",
        "NVDA: 0 bars from 2024-03-12 to 2024-03-12 in 1 request.",
    ]
    assert log_messages(output, "WARN") == []


def test_given_one_ticker_listed_midway_and_one_never_trading_when_read_then_one_warning(
    requests_mock: rm.Mocker,
) -> None:
    """NEWCO's first two windows are empty (not yet listed): no warning. ZZZZ has no bar in any
    window: one warning for the whole range, not one per window."""
    for first, last in HOUR_WINDOWS:
        for ticker in ("NEWCO", "ZZZZ"):
            url = AggsRequestBuilder.aggs(ticker, first, last).with_timespan("hour").url
            starts = [THU_2024_03_07_15H] if (ticker, last) == ("NEWCO", "2024-03-08") else []
            requests_mock.get(url, [bars(ticker, *starts)])
    config = (
        ConfigBuilder()
        .with_tickers("NEWCO", "ZZZZ")
        .with_timespan("hour")
        .with_dates("2023-10-02", "2024-03-08")
    )

    output = read_stream(config.build())

    assert [r["stock_ticker"] for r in records(output)] == ["NEWCO"]
    assert requests_mock.call_count == 6
    assert window_lines(output) == [
        "NEWCO: 0 bars from 2023-10-02 to 2023-12-13 in 1 request.",
        "NEWCO: 0 bars from 2023-12-14 to 2024-02-29 in 1 request.",
        "NEWCO: 1 bar from 2024-03-01 to 2024-03-08 in 1 request.",
        "ZZZZ: 0 bars from 2023-10-02 to 2023-12-13 in 1 request.",
        "ZZZZ: 0 bars from 2023-12-14 to 2024-02-29 in 1 request.",
        "ZZZZ: 0 bars from 2024-03-01 to 2024-03-08 in 1 request.",
    ]
    assert log_messages(output, "WARN") == [
        "ZZZZ: the API returned no bars from 2023-10-02 to 2024-03-08, a range with trading "
        "days. Check the symbol."
    ]


def test_given_a_ticker_refused_after_empty_windows_when_read_then_only_the_refusal_is_warned(
    requests_mock: rm.Mocker,
) -> None:
    """The refusal says what is wrong; "check the symbol" would send the user the wrong way."""
    (first, second, _) = HOUR_WINDOWS
    url = AggsRequestBuilder.aggs("MSFT", *first).with_timespan("hour").url
    requests_mock.get(url, [bars("MSFT")])
    url = AggsRequestBuilder.aggs("MSFT", *second).with_timespan("hour").url
    requests_mock.get(url, [{"status_code": 403, "json": template("403")}])
    config = ConfigBuilder().with_timespan("hour").with_dates("2023-10-02", "2024-03-08")

    output = read_stream(config.with_tickers("MSFT").build(), expect_failure=True)

    assert requests_mock.call_count == 2
    assert window_lines(output)[0] == "MSFT: 0 bars from 2023-10-02 to 2023-12-13 in 1 request."
    assert log_messages(output, "WARN") == [
        "MSFT: refused from 2023-12-14 to 2024-02-29 (reason above). Its later windows are "
        "skipped; the other tickers are read, then the sync fails naming MSFT."
    ]

"""The log lines of a sync, as a person reads them in the Airbyte UI, with requests-mock.

One INFO line per page: the ticker, its bars and their first and last instant (dates for daily
and longer bars), counts with their noun in the right number, and on a ticker's last page its
totals. At most one "check the symbol" warning per ticker, only when the API returned no bar at
all in a range holding finished trading days: a ticker listed after start_date gets none.
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
THU_2024_03_07_15H = 1709841600000  # an hour bar's start
HOUR_RANGE = ("2023-10-02", "2024-03-08")


pytestmark = pytest.mark.now()


def page_lines(output: Any) -> list[str]:
    return [line for line in log_messages(output, "INFO") if " page " in line]


def bars(ticker: str, *starts: int, next_url: str | None = None) -> dict[str, Any]:
    page = AggsResponseBuilder(ticker).with_bars(*starts)
    if next_url:
        page.with_next_url(next_url)
    return {"json": page.build_json()}


def test_given_a_resumed_minute_range_when_read_then_its_start_is_an_iso_instant(
    requests_mock: rm.Mocker,
) -> None:
    url = AggsRequestBuilder.aggs("AAPL", "1710167460000", "2024-03-11").with_timespan("minute")
    requests_mock.get(url.url, [bars("AAPL")])
    state = (
        StateBuilder()
        .with_stream_state(STREAM, {"AAPL": {"timestamp": "2024-03-11T14:30:00Z"}})
        .build()
    )

    output = read_stream(
        ConfigBuilder().with_timespan("minute").with_end_date("2024-03-11").build(), state=state
    )

    assert records(output) == []
    assert page_lines(output) == [
        "AAPL page 1: 0 bars from 2024-03-11T14:31:00Z to 2024-03-11; done, 0 bars in 1 request."
    ]


def test_given_minute_bars_when_read_then_the_line_names_the_first_and_last_bar(
    requests_mock: rm.Mocker,
) -> None:
    url = AggsRequestBuilder.aggs("AAPL", "2024-03-11", "2024-03-11").with_timespan("minute")
    requests_mock.get(url.url, [bars("AAPL", MON_2024_03_11_1031, MON_2024_03_11_1031 + 60_000)])

    output = read_stream(
        ConfigBuilder().with_timespan("minute").with_dates("2024-03-11", "2024-03-11").build()
    )

    assert page_lines(output) == [
        "AAPL page 1: 2 bars from 2024-03-11T14:31:00Z to 2024-03-11T14:32:00Z; done, 2 bars "
        "in 1 request."
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
    # Today's range: no finished trading day in it, so no warning either.
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

    assert page_lines(output) == [
        "AAPL page 1: 1 bar from 2024-03-08T05:00:00Z to 2024-03-08T05:00:00Z; more follow.",
        "AAPL page 2: 1 bar from 2024-03-11T04:00:00Z to 2024-03-11T04:00:00Z; done, 2 bars in "
        "2 requests.",
        "MSFT page 1: 1 bar from 2024-03-08T05:00:00Z to 2024-03-08T05:00:00Z; done, 1 bar in "
        "1 request.",
        "NVDA page 1: 0 bars from 2024-03-12 to 2024-03-12; done, 0 bars in 1 request.",
    ]
    assert log_messages(output, "WARN") == []


def test_given_one_ticker_listed_midway_and_one_never_trading_when_read_then_one_warning(
    requests_mock: rm.Mocker,
) -> None:
    """NEWCO's range starts before its listing: no warning. ZZZZ has no bar at all: one."""
    for ticker in ("NEWCO", "ZZZZ"):
        url = AggsRequestBuilder.aggs(ticker, *HOUR_RANGE).with_timespan("hour").url
        starts = [THU_2024_03_07_15H] if ticker == "NEWCO" else []
        requests_mock.get(url, [bars(ticker, *starts)])
    config = (
        ConfigBuilder().with_tickers("NEWCO", "ZZZZ").with_timespan("hour").with_dates(*HOUR_RANGE)
    )

    output = read_stream(config.build())

    assert [r["stock_ticker"] for r in records(output)] == ["NEWCO"]
    assert requests_mock.call_count == 2
    assert page_lines(output) == [
        "NEWCO page 1: 1 bar from 2024-03-07T20:00:00Z to 2024-03-07T20:00:00Z; done, 1 bar in "
        "1 request.",
        "ZZZZ page 1: 0 bars from 2023-10-02 to 2024-03-08; done, 0 bars in 1 request.",
    ]
    assert log_messages(output, "WARN") == [
        "ZZZZ: the API returned no bars from 2023-10-02 to 2024-03-08, a range with trading "
        "days. Check the symbol."
    ]


def test_given_a_ticker_refused_after_an_empty_page_when_read_then_only_the_refusal_is_warned(
    requests_mock: rm.Mocker,
) -> None:
    """The refusal says what is wrong; "check the symbol" would send the user the wrong way."""
    url = AggsRequestBuilder.aggs("MSFT", *HOUR_RANGE).with_timespan("hour").url
    requests_mock.get(
        url,
        [
            bars("MSFT", next_url=f"{url}?cursor=Y3Vyc29yMg"),
            {"status_code": 403, "json": template("403")},
        ],
    )
    config = ConfigBuilder().with_timespan("hour").with_dates(*HOUR_RANGE)

    output = read_stream(config.with_tickers("MSFT").build(), expect_failure=True)

    assert requests_mock.call_count == 2
    assert page_lines(output) == ["MSFT page 1: 0 bars from 2023-10-02 to 2024-03-08; more follow."]
    assert log_messages(output, "WARN") == [
        "MSFT: refused from 2023-10-02 to 2024-03-08 (reason above). Its later pages are "
        "skipped; the other tickers are read, then the sync fails naming MSFT."
    ]

"""Fewest calls: each ticker's whole pending range in one request, its pages followed one slice
at a time, and no request at all when the market has not been open since the cursor.

requests-mock answers a registered URL whatever its query, so each test asserts every request
the connector sent, in order.
"""

from __future__ import annotations

from typing import Any

import orjson
import pytest
import requests_mock as rm
from airbyte_cdk.models import Type
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import (
    STREAM,
    log_messages,
    ms,
    read_stream,
    records,
    records_and_states,
    saved_state,
    states,
)
from unit_tests.integration.request_builder import AggsRequestBuilder, SentRequest, sent_requests
from unit_tests.integration.response_builder import AggsResponseBuilder, expected_record

# Bars of a thinly traded ticker, far apart: a year of them fits one page.
THIN_2023 = ["2023-01-03T15:07:00Z", "2023-06-14T18:41:00Z", "2023-12-29T20:12:00Z"]
# Saturday 2024-03-09, 12:00 in New York; Friday's last extended-hours minute bar, 19:59.
SATURDAY_NOON = "2024-03-09T17:00:00Z"
FRIDAY_LAST_MINUTE = "2024-03-09T00:59:00Z"


def minute_aggs(ticker: str, start: str, end: str) -> AggsRequestBuilder:
    return AggsRequestBuilder.aggs(ticker, start, end).with_timespan("minute")


def state(**cursors: str) -> list[Any]:
    stream_state = {t: {"timestamp": ts} for t, ts in cursors.items()}
    return StateBuilder().with_stream_state(STREAM, stream_state).build()


def estimates(output: EntrypointOutput) -> list[tuple[str, int | None, int | None]]:
    """(stream, rows, bytes) of each ESTIMATE trace, in order."""
    found = []
    for message in output.get_message_iterator():
        if message.type == Type.TRACE and message.trace and message.trace.estimate:
            estimate = message.trace.estimate
            found.append((estimate.name, estimate.row_estimate, estimate.byte_estimate))
    return found


def page_lines(output: EntrypointOutput) -> list[str]:
    return [line for line in log_messages(output, "INFO") if " page " in line]


def plan_lines(output: EntrypointOutput) -> list[str]:
    return [line for line in log_messages(output, "INFO") if line.startswith(("Plan:", "Totals:"))]


def record_bytes(record: dict[str, Any]) -> int:
    return len(orjson.dumps(record))


@pytest.mark.now()
class TestWholeRanges:
    def test_given_a_thin_tickers_year_of_minute_bars_when_read_then_one_request(
        self, requests_mock: rm.Mocker
    ) -> None:
        year = minute_aggs("AAPL", "2023-01-01", "2023-12-31")
        page = AggsResponseBuilder().with_bars(*(ms(t) for t in THIN_2023))
        requests_mock.get(year.url, json=page.build_json())

        output = read_stream(
            ConfigBuilder().with_timespan("minute").with_dates("2023-01-01", "2023-12-31").build()
        )

        assert [r["timestamp"] for r in records(output)] == THIN_2023
        assert states(output) == [saved_state(timespan="minute", AAPL="2023-12-29T20:12:00Z")]
        assert sent_requests(requests_mock) == [year.sent()]
        assert page_lines(output) == [
            "AAPL page 1: 3 bars from 2023-01-03T15:07:00Z to 2023-12-29T20:12:00Z; done, "
            "3 bars in 1 request."
        ]

    def test_given_next_urls_when_read_then_a_checkpoint_after_every_page(
        self, requests_mock: rm.Mocker
    ) -> None:
        """Each page is read, saved, then the next is asked: a sync stopped on page 3 resumes
        after page 2's last bar."""
        first = minute_aggs("AAPL", "2023-01-01", "2023-12-31")
        second = minute_aggs("AAPL", "1685649600000", "2023-12-31").with_cursor("Y3Vyc29yMg")
        third = minute_aggs("AAPL", "1698696000000", "2023-12-31").with_cursor("Y3Vyc29yMw")
        pages = {
            first: (["2023-01-03T09:00:00Z", "2023-06-01T19:59:00Z"], second),
            second: (["2023-06-01T20:00:00Z", "2023-10-30T19:59:00Z"], third),
            third: (["2023-10-30T20:00:00Z", "2023-12-29T20:59:00Z"], None),
        }
        for request, (starts, following) in pages.items():
            page = AggsResponseBuilder().with_bars(*(ms(t) for t in starts))
            if following is not None:
                cursor = following.query["cursor"]
                page.with_next_url(f"https://api.polygon.io{following.path}?cursor={cursor}")
            requests_mock.get(request.url, json=page.build_json())

        output = read_stream(
            ConfigBuilder().with_timespan("minute").with_dates("2023-01-01", "2023-12-31").build()
        )

        assert records_and_states(output) == [
            ("record", "2023-01-03T09:00:00Z"),
            ("record", "2023-06-01T19:59:00Z"),
            ("state", saved_state("minute", AAPL="2023-06-01T19:59:00Z")),
            ("record", "2023-06-01T20:00:00Z"),
            ("record", "2023-10-30T19:59:00Z"),
            ("state", saved_state("minute", AAPL="2023-10-30T19:59:00Z")),
            ("record", "2023-10-30T20:00:00Z"),
            ("record", "2023-12-29T20:59:00Z"),
            ("state", saved_state("minute", AAPL="2023-12-29T20:59:00Z")),
        ]
        assert sent_requests(requests_mock) == [first.sent(), second.sent(), third.sent()]
        assert page_lines(output) == [
            "AAPL page 1: 2 bars from 2023-01-03T09:00:00Z to 2023-06-01T19:59:00Z; more follow.",
            "AAPL page 2: 2 bars from 2023-06-01T20:00:00Z to 2023-10-30T19:59:00Z; more follow.",
            "AAPL page 3: 2 bars from 2023-10-30T20:00:00Z to 2023-12-29T20:59:00Z; done, "
            "6 bars in 3 requests.",
        ]


class TestNoCallWhenNothingCanBeNew:
    @pytest.mark.now(SATURDAY_NOON)
    def test_given_a_saturday_when_minute_bars_are_synced_then_no_request(
        self, requests_mock: rm.Mocker
    ) -> None:
        config = ConfigBuilder().with_tickers("AAPL", "MSFT").with_timespan("minute")

        output = read_stream(
            config.without("end_date").build(),
            state=state(AAPL=FRIDAY_LAST_MINUTE, MSFT=FRIDAY_LAST_MINUTE),
        )

        assert records(output) == []
        assert output.errors == []
        assert states(output) == [
            saved_state("minute", AAPL=FRIDAY_LAST_MINUTE, MSFT=FRIDAY_LAST_MINUTE)
        ]
        assert sent_requests(requests_mock) == []
        assert plan_lines(output) == [
            "Plan: 0 tickers to read, about 0 bars in about 0 requests; no request for AAPL, "
            "MSFT: the market has not been open between their last complete bar and now or "
            "end_date.",
            "Totals: 0 bars in 0 requests (planned: about 0 bars in about 0 requests).",
        ]
        assert estimates(output) == [(STREAM, 0, 0)]

    @pytest.mark.parametrize(
        ("now", "asked"),
        [
            ("2024-03-12T07:30:00Z", False),  # Tuesday 03:30 in New York: closed since 20:00
            ("2024-03-12T08:30:00Z", True),  # 04:30: Tuesday's first hour bar has started
        ],
    )
    @pytest.mark.now()
    def test_given_the_last_hour_bar_of_the_session_when_synced_before_the_open_then_no_request(
        self, requests_mock: rm.Mocker, frozen_clock: Any, now: str, asked: bool
    ) -> None:
        """Hour bars: daily bars of a day still in session are the grouped planner's to leave
        for the next sync (test_grouped_daily.py)."""
        frozen_clock.move_to(now)
        after_monday = str(ms("2024-03-12T00:00:00Z"))  # the bar after Monday 19:00 New York
        tuesday = AggsRequestBuilder.aggs("AAPL", after_monday, "2024-03-12").with_timespan("hour")
        requests_mock.get(tuesday.url, json=AggsResponseBuilder().with_bars().build_json())

        read_stream(
            ConfigBuilder().without("end_date").with_timespan("hour").build(),
            state=state(AAPL="2024-03-11T23:00:00Z"),
        )

        expected: list[SentRequest] = [tuesday.sent()] if asked else []
        assert sent_requests(requests_mock) == expected


@pytest.mark.now()
class TestPlanAndEstimates:
    def test_given_two_tickers_when_read_then_estimates_follow_the_plan_and_each_page(
        self, requests_mock: rm.Mocker
    ) -> None:
        """2024-03-01 to 2024-03-11 holds 7 trading days: 7 daily bars at most per ticker."""
        aapl = AggsRequestBuilder.aggs("AAPL", "2024-03-01", "2024-03-11")
        msft = AggsRequestBuilder.aggs("MSFT", "2024-03-01", "2024-03-11")
        fri, mon = ms("2024-03-08T05:00:00Z"), ms("2024-03-11T04:00:00Z")
        requests_mock.get(aapl.url, json=AggsResponseBuilder().with_bars(fri, mon).build_json())
        msft_page = AggsResponseBuilder("MSFT").with_bars(fri)
        requests_mock.get(msft.url, json=msft_page.build_json())

        output = read_stream(ConfigBuilder().with_tickers("AAPL", "MSFT").build())

        size = record_bytes(expected_record("2024-03-08", "2024-03-08T05:00:00Z", "MSFT"))
        assert estimates(output) == [
            (STREAM, 14, 14 * 230),  # before any record: the plan, at 230 bytes a record
            (STREAM, 9, 9 * size),  # AAPL read: 2 bars; MSFT still up to 7
            (STREAM, 3, 3 * size),  # MSFT read: 1 bar
        ]
        assert plan_lines(output) == [
            "Plan: 2 tickers to read, about 14 bars in about 2 requests.",
            "Totals: 3 bars in 2 requests (planned: about 14 bars in about 2 requests).",
        ]
        assert page_lines(output) == [
            "AAPL page 1: 2 bars from 2024-03-08 to 2024-03-11; done, 2 bars in 1 request.",
            "MSFT page 1: 1 bar from 2024-03-08 to 2024-03-08; done, 1 bar in 1 request.",
        ]
        assert sent_requests(requests_mock) == [aapl.sent(), msft.sent()]

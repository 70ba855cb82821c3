"""Read flows of the stock_prices stream, with requests-mock.

requests-mock answers a registered URL whatever its query, so each test asserts every request
the connector sent, in order: method, path, query (adjusted, sort, limit, cursor) and key.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import SyncMode
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput
from airbyte_cdk.test.state_builder import StateBuilder
from freezegun.api import FrozenDateTimeFactory

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import (
    LATE_EVENING_NY,
    STREAM,
    log_messages,
    read_stream,
    records,
    saved_state,
    states,
)
from unit_tests.integration.request_builder import (
    AggsRequestBuilder,
    SentRequest,
    sent_requests,
)
from unit_tests.integration.response_builder import (
    AggsResponseBuilder,
    bar,
    expected_record,
    template,
)

# Tuesday 2024-03-12, 11:00 in New York (helpers.NOW): the market is open, today's daily bar is
# still forming.
pytestmark = pytest.mark.now()

# Daily bars start at 00:00 New York time: 05:00Z in EST, 04:00Z in EDT (from 2024-03-10).
FRI_2024_03_01 = 1709269200000
MON_2024_03_04 = 1709528400000
FRI_2024_03_08 = 1709874000000
MON_2024_03_11 = 1710129600000
TUE_2024_03_12 = 1710216000000


def state(**tickers: str) -> list[Any]:
    return (
        StateBuilder()
        .with_stream_state(STREAM, {t: {"timestamp": ts} for t, ts in tickers.items()})
        .build()
    )


def ticker_dates(output: EntrypointOutput) -> list[tuple[str, str]]:
    return [(record["stock_ticker"], record["date"]) for record in records(output)]


def empty(ticker: str) -> dict[str, Any]:
    """200 with no bars: a range without trading, or a symbol the API does not know."""
    return {**template("aggs_empty"), "ticker": ticker}


def mock(
    requests_mock: rm.Mocker,
    request: AggsRequestBuilder,
    body: AggsResponseBuilder | dict[str, Any],
) -> None:
    """Answer `request`'s path with `body`; the query is asserted afterwards with sent_requests."""
    if isinstance(body, AggsResponseBuilder):
        body = body.build_json()
    requests_mock.get(request.url, json=body)


def exactly(*requests: AggsRequestBuilder) -> list[SentRequest]:
    """The requests the connector must send, in this order and no others."""
    return [request.sent() for request in requests]


def aggs(
    ticker: str = "AAPL", start: str = "2024-03-01", end: str = "2024-03-11"
) -> AggsRequestBuilder:
    return AggsRequestBuilder.aggs(ticker, start, end)


class TestFullRefresh:
    def test_given_one_page_when_read_then_emit_every_bar_with_every_field(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(),
            AggsResponseBuilder()
            .with_bar(bar(FRI_2024_03_08).with_value("otc", True))
            .with_bars(MON_2024_03_11),
        )

        output = read_stream(ConfigBuilder().build(), SyncMode.full_refresh)

        assert records(output) == [
            expected_record("2024-03-08", "2024-03-08T05:00:00Z", otc=True),
            expected_record("2024-03-11", "2024-03-11T04:00:00Z"),
        ]
        assert output.errors == []
        assert sent_requests(requests_mock) == exactly(aggs())

    def test_given_bar_without_vwap_and_transactions_when_read_then_those_fields_are_absent(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(),
            AggsResponseBuilder().with_bar(bar(FRI_2024_03_08).without("vw").without("n")),
        )

        output = read_stream(ConfigBuilder().build(), SyncMode.full_refresh)

        # None values are dropped by the CDK's serializer: absent means null.
        expected = expected_record("2024-03-08", "2024-03-08T05:00:00Z")
        del expected["vwap"], expected["transactions"]
        assert records(output) == [expected]
        assert sent_requests(requests_mock) == exactly(aggs())

    def test_given_saved_state_when_full_refresh_then_read_from_start_date(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(requests_mock, aggs(), AggsResponseBuilder().with_bars(FRI_2024_03_01))

        output = read_stream(
            ConfigBuilder().build(), SyncMode.full_refresh, state(AAPL="2024-03-08T05:00:00Z")
        )

        assert [r["timestamp"] for r in records(output)] == ["2024-03-01T05:00:00Z"]
        assert sent_requests(requests_mock) == exactly(aggs())

    def test_given_adjusted_false_when_read_then_ask_for_unadjusted_prices(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs().with_adjusted(False),
            AggsResponseBuilder().with_bars(FRI_2024_03_08),
        )

        output = read_stream(ConfigBuilder().with_adjusted(False).build())

        assert len(records(output)) == 1
        assert sent_requests(requests_mock) == exactly(aggs().with_adjusted(False))

    def test_given_multi_minute_bars_when_read_then_multiplier_and_timespan_in_path(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs().with_timespan("minute", 15),
            AggsResponseBuilder().with_bars(1709908200000),  # 2024-03-08T14:30Z
        )

        output = read_stream(ConfigBuilder().with_timespan("minute", 15).build())

        assert [(r["timestamp"], r["date"]) for r in records(output)] == [
            ("2024-03-08T14:30:00Z", "2024-03-08")
        ]
        assert states(output) == [
            saved_state(timespan="minute", multiplier=15, AAPL="2024-03-08T14:30:00Z")
        ]
        assert sent_requests(requests_mock) == exactly(aggs().with_timespan("minute", 15))


class TestPagination:
    def test_given_three_pages_when_read_then_follow_next_url_to_the_end(
        self, requests_mock: rm.Mocker
    ) -> None:
        # The API names its own host in next_url; we ask our configured host for the same path,
        # and send adjusted, sort and limit again so later pages cannot switch to adjusted prices.
        page_2 = aggs(start=str(MON_2024_03_04)).with_adjusted(False).with_cursor("Y3Vyc29yMg")
        page_3 = aggs(start=str(FRI_2024_03_08)).with_adjusted(False).with_cursor("Y3Vyc29yMw==")
        mock(
            requests_mock,
            aggs().with_adjusted(False),
            AggsResponseBuilder()
            .with_bars(FRI_2024_03_01)
            .with_next_url(
                "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/1709528400000/2024-03-11"
                "?cursor=Y3Vyc29yMg"
            ),
        )
        mock(
            requests_mock,
            page_2,
            AggsResponseBuilder()
            .with_bars(MON_2024_03_04)
            .with_next_url(
                "https://api.massive.com/v2/aggs/ticker/AAPL/range/1/day/1709874000000/2024-03-11"
                "?cursor=Y3Vyc29yMw%3D%3D&adjusted=true&limit=2&sort=desc"
            ),
        )
        mock(requests_mock, page_3, AggsResponseBuilder().with_bars(FRI_2024_03_08, MON_2024_03_11))

        output = read_stream(ConfigBuilder().with_adjusted(False).build())

        assert [r["date"] for r in records(output)] == [
            "2024-03-01",
            "2024-03-04",
            "2024-03-08",
            "2024-03-11",
        ]
        # A checkpoint after every page.
        assert states(output) == [
            saved_state(adjusted=False, AAPL="2024-03-01T05:00:00Z"),
            saved_state(adjusted=False, AAPL="2024-03-04T05:00:00Z"),
            saved_state(adjusted=False, AAPL="2024-03-11T04:00:00Z"),
        ]
        assert (
            "AAPL page 3: 2 bars from 2024-03-08 to 2024-03-11; done, 4 bars in 3 requests."
            in log_messages(output)
        )
        assert sent_requests(requests_mock) == exactly(aggs().with_adjusted(False), page_2, page_3)


class TestWholeRanges:
    def test_given_daily_bars_over_ten_years_when_read_then_one_request_per_ticker(
        self, requests_mock: rm.Mocker
    ) -> None:
        for ticker in ("AAPL", "MSFT"):
            mock(
                requests_mock,
                aggs(ticker, "2014-03-01", "2024-03-11"),
                AggsResponseBuilder(ticker).with_bars(FRI_2024_03_08),
            )

        output = read_stream(
            ConfigBuilder()
            .with_tickers("AAPL", "MSFT")
            .with_dates("2014-03-01", "2024-03-11")
            .build()
        )

        assert ticker_dates(output) == [("AAPL", "2024-03-08"), ("MSFT", "2024-03-08")]
        assert states(output) == [
            saved_state(AAPL="2024-03-08T05:00:00Z"),
            saved_state(AAPL="2024-03-08T05:00:00Z", MSFT="2024-03-08T05:00:00Z"),
        ]
        assert sent_requests(requests_mock) == exactly(
            aggs("AAPL", "2014-03-01", "2024-03-11"), aggs("MSFT", "2014-03-01", "2024-03-11")
        )


class TestTimeZone:
    def test_given_daily_bars_across_the_dst_change_when_read_then_utc_instants_and_ny_dates(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(start="2024-03-08", end="2024-03-11"),
            AggsResponseBuilder().with_bars(1709874000000, 1710129600000),
        )

        output = read_stream(ConfigBuilder().with_dates("2024-03-08", "2024-03-11").build())

        assert [(r["timestamp"], r["date"]) for r in records(output)] == [
            ("2024-03-08T05:00:00Z", "2024-03-08"),
            ("2024-03-11T04:00:00Z", "2024-03-11"),
        ]
        assert sent_requests(requests_mock) == exactly(aggs(start="2024-03-08", end="2024-03-11"))

    def test_given_minute_bar_at_2330_new_york_when_read_then_date_stays_new_yorks(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(start="2024-03-08", end="2024-03-08").with_timespan("minute"),
            # 2024-03-08 23:30 EST is 2024-03-09 04:30 UTC.
            AggsResponseBuilder().with_bars(1709958600000),
        )

        output = read_stream(
            ConfigBuilder().with_timespan("minute").with_dates("2024-03-08", "2024-03-08").build()
        )

        assert [(r["timestamp"], r["date"]) for r in records(output)] == [
            ("2024-03-09T04:30:00Z", "2024-03-08")
        ]
        assert sent_requests(requests_mock) == exactly(
            aggs(start="2024-03-08", end="2024-03-08").with_timespan("minute")
        )


class TestIncremental:
    clock: FrozenDateTimeFactory

    @pytest.fixture(autouse=True)
    def _clock(self, frozen_clock: FrozenDateTimeFactory) -> None:
        """The module's frozen clock, for the test that lets days pass."""
        self.clock = frozen_clock

    def test_given_no_state_when_read_then_state_is_the_last_complete_bar(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(requests_mock, aggs(), AggsResponseBuilder().with_bars(FRI_2024_03_08, MON_2024_03_11))

        output = read_stream(ConfigBuilder().build())

        assert states(output) == [saved_state(AAPL="2024-03-11T04:00:00Z")]
        assert sent_requests(requests_mock) == exactly(aggs())

    def test_given_todays_bar_still_forming_when_synced_twice_then_it_is_read_again(
        self, requests_mock: rm.Mocker
    ) -> None:
        config = ConfigBuilder().without("end_date").build()  # up to today
        first = aggs(end="2024-03-12")
        second = aggs(start="2024-03-12", end="2024-03-12")
        third = aggs(start="2024-03-12", end="2024-03-13")
        mock(requests_mock, first, AggsResponseBuilder().with_bars(MON_2024_03_11, TUE_2024_03_12))
        mock(requests_mock, second, AggsResponseBuilder().with_bars(TUE_2024_03_12))
        mock(requests_mock, third, AggsResponseBuilder().with_bars(TUE_2024_03_12))

        # 11:00 in New York: today's bar is emitted, the cursor stays on yesterday's.
        output = read_stream(config)
        assert [r["date"] for r in records(output)] == ["2024-03-11", "2024-03-12"]
        assert states(output) == [saved_state(AAPL="2024-03-11T04:00:00Z")]
        assert sent_requests(requests_mock) == exactly(first)

        # 23:59 in New York: the bar still has a minute to go; today is asked for again.
        self.clock.move_to("2024-03-13T03:59:00Z")
        output = read_stream(config, state=state(AAPL="2024-03-11T04:00:00Z"))
        assert [r["date"] for r in records(output)] == ["2024-03-12"]
        assert states(output) == [saved_state(AAPL="2024-03-11T04:00:00Z")]
        assert sent_requests(requests_mock) == exactly(first, second)

        # 00:00 in New York on the 13th: the bar of the 12th is complete and becomes the cursor.
        self.clock.move_to("2024-03-13T04:00:00Z")
        output = read_stream(config, state=state(AAPL="2024-03-11T04:00:00Z"))
        assert [r["date"] for r in records(output)] == ["2024-03-12"]
        assert states(output) == [saved_state(AAPL="2024-03-12T04:00:00Z")]
        assert sent_requests(requests_mock) == exactly(first, second, third)

    def test_given_state_for_one_ticker_when_another_is_added_then_each_resumes_on_its_own(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs("AAPL", start="2024-03-08"),
            AggsResponseBuilder().with_bars(FRI_2024_03_08),
        )
        mock(requests_mock, aggs("MSFT"), AggsResponseBuilder("MSFT").with_bars(FRI_2024_03_01))

        output = read_stream(
            ConfigBuilder().with_tickers("AAPL", "MSFT").build(),
            state=state(AAPL="2024-03-07T05:00:00Z"),
        )

        assert ticker_dates(output) == [("AAPL", "2024-03-08"), ("MSFT", "2024-03-01")]
        assert states(output) == [
            saved_state(AAPL="2024-03-08T05:00:00Z"),
            saved_state(AAPL="2024-03-08T05:00:00Z", MSFT="2024-03-01T05:00:00Z"),
        ]
        assert sent_requests(requests_mock) == exactly(
            aggs("AAPL", start="2024-03-08"), aggs("MSFT")
        )

    def test_given_minute_state_when_read_then_resume_one_minute_after_the_cursor(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(start="1709908260000").with_timespan("minute"),  # 2024-03-08T14:31Z
            AggsResponseBuilder().with_bars(1709908260000),
        )

        output = read_stream(
            ConfigBuilder().with_timespan("minute").build(),
            state=state(AAPL="2024-03-08T14:30:00Z"),
        )

        assert states(output) == [saved_state(timespan="minute", AAPL="2024-03-08T14:31:00Z")]
        assert sent_requests(requests_mock) == exactly(
            aggs(start="1709908260000").with_timespan("minute")
        )

    def test_given_cursor_on_end_dates_bar_when_read_then_no_request_and_no_record(
        self, requests_mock: rm.Mocker
    ) -> None:
        output = read_stream(ConfigBuilder().build(), state=state(AAPL="2024-03-11T04:00:00Z"))

        assert records(output) == []
        assert output.errors == []
        assert states(output) == [saved_state(AAPL="2024-03-11T04:00:00Z")]
        assert sent_requests(requests_mock) == []

    def test_given_abnormal_far_future_state_when_read_then_no_request(
        self, requests_mock: rm.Mocker
    ) -> None:
        for cursor in ("2099-01-01T05:00:00Z", "9999-12-31T23:59:59Z"):
            output = read_stream(
                ConfigBuilder().with_tickers("AAPL", "MSFT").build(),
                state=state(AAPL=cursor, MSFT=cursor),
            )
            assert records(output) == []
            assert output.errors == []
            assert states(output)[-1] == saved_state(AAPL=cursor, MSFT=cursor)
        assert sent_requests(requests_mock) == []

    def test_given_legacy_stream_state_when_read_then_resume_after_its_date(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs(start="2024-03-08"),
            AggsResponseBuilder().with_bars(FRI_2024_03_08),
        )

        output = read_stream(
            ConfigBuilder().build(),
            state=StateBuilder().with_stream_state(STREAM, {"date": "2024-03-07"}).build(),
        )

        assert [r["date"] for r in records(output)] == ["2024-03-08"]
        assert states(output) == [saved_state(AAPL="2024-03-08T05:00:00Z")]
        assert sent_requests(requests_mock) == exactly(aggs(start="2024-03-08"))

    @pytest.mark.now(LATE_EVENING_NY)
    def test_given_legacy_config_when_read_then_sync_its_ticker_for_the_last_year(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(
            requests_mock,
            aggs("TSLA", start="2023-03-12", end="2024-03-11"),
            AggsResponseBuilder("TSLA").with_bars(FRI_2024_03_08, MON_2024_03_11),
        )

        output = read_stream(ConfigBuilder().legacy("tsla").build())

        assert ticker_dates(output) == [("TSLA", "2024-03-08"), ("TSLA", "2024-03-11")]
        # Today's (2024-03-11) bar closes at midnight in New York: not yet the cursor.
        assert states(output) == [saved_state(TSLA="2024-03-08T05:00:00Z")]
        assert sent_requests(requests_mock) == exactly(
            aggs("TSLA", start="2023-03-12", end="2024-03-11")
        )

    def test_given_unknown_ticker_when_read_then_warn_and_sync_the_others(
        self, requests_mock: rm.Mocker
    ) -> None:
        mock(requests_mock, aggs("ZZZZ"), empty("ZZZZ"))
        mock(requests_mock, aggs("AAPL"), AggsResponseBuilder().with_bars(FRI_2024_03_08))

        output = read_stream(ConfigBuilder().with_tickers("ZZZZ", "AAPL").build())

        assert [r["stock_ticker"] for r in records(output)] == ["AAPL"]
        assert output.errors == []
        assert log_messages(output, "WARN") == [
            "ZZZZ: the API returned no bars from 2024-03-01 to 2024-03-11, a range with "
            "trading days. Check the symbol."
        ]
        # ZZZZ's cursor is on the range's last complete day (empty.py): no bar can come before.
        assert states(output)[-1] == saved_state(
            AAPL="2024-03-08T05:00:00Z", ZZZZ="2024-03-11T04:00:00Z"
        )
        assert sent_requests(requests_mock) == exactly(aggs("ZZZZ"), aggs("AAPL"))

    def test_given_only_today_left_and_no_bar_yet_when_read_then_no_warning(
        self, requests_mock: rm.Mocker
    ) -> None:
        output = read_stream(
            ConfigBuilder().without("end_date").build(), state=state(AAPL="2024-03-11T04:00:00Z")
        )

        assert records(output) == []
        assert log_messages(output, "WARN") == []
        # Today's daily bar is still forming: the first sync after its session reads it
        # (planner.py), so nothing is asked now.
        assert sent_requests(requests_mock) == []

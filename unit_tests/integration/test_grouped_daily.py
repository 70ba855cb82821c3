"""Daily bars read with the grouped daily endpoint (grouped.py), with requests-mock.

Every test asserts each request sent: the grouped path, `adjusted`, `include_otc` and the key.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, SyncMode
from airbyte_cdk.test.state_builder import StateBuilder

from unit_tests.config_builder import API_KEY, API_URL, ConfigBuilder
from unit_tests.helpers import (
    STREAM,
    error_traces,
    log_messages,
    read_stream,
    records,
    records_and_states,
    saved_state,
    states,
    waits,
)
from unit_tests.integration.request_builder import SentRequest, sent_requests
from unit_tests.integration.response_builder import expected_record, template

# Saturday 2024-03-09, 12:00 in New York: every bar of the week before is final.
pytestmark = pytest.mark.now("2024-03-09T17:00:00Z")

WED = "2024-03-06T05:00:00Z"
THU = "2024-03-07T05:00:00Z"
FRI = "2024-03-08T05:00:00Z"
# The grouped endpoint's `t`: the bar's end, 16:00 New York.
THU_CLOSE = 1709845200000
FRI_CLOSE = 1709931600000
TICKERS = ("AAPL", "MSFT", "TSLA")


def grouped_url(day: str) -> str:
    return f"{API_URL}/v2/aggs/grouped/locale/us/market/stocks/{day}"


def grouped(day: str, adjusted: bool = True) -> SentRequest:
    """A grouped daily request as the connector must send it."""
    query = {"adjusted": ["true" if adjusted else "false"], "include_otc": ["true"]}
    return ("GET", grouped_url(day), query, f"Bearer {API_KEY}")


def day_body(close_ms: int, *tickers: str, **changes: dict[str, Any]) -> dict[str, Any]:
    """A grouped day holding the template's bar for each of `tickers` (with `changes` by ticker)."""
    body = template("grouped")
    [sample] = body["results"]
    results = []
    for ticker in tickers:
        bar = {**sample, "T": ticker, "t": close_ms, **changes.get(ticker, {})}
        results.append({key: value for key, value in bar.items() if value is not None})
    body["results"], body["queryCount"], body["resultsCount"] = results, len(results), len(results)
    return body


def config(*tickers: str) -> ConfigBuilder:
    return (
        ConfigBuilder().with_tickers(*(tickers or TICKERS)).with_dates("2024-03-01", "2024-03-08")
    )


def behind(adjusted: bool = True, **cursors: str) -> list[Any]:
    """A saved state with the given cursors (each ticker on Wednesday unless named)."""
    entries = {t: {"timestamp": ts} for t, ts in ({t: WED for t in TICKERS} | cursors).items()}
    state = {**saved_state(adjusted=adjusted), **entries}
    return StateBuilder().with_stream_state(STREAM, state).build()


def test_given_two_days_behind_when_read_then_two_grouped_requests_give_each_tickers_bars(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(
        grouped_url("2024-03-07"), json=day_body(THU_CLOSE, "MSFT", "ZZZQ", "AAPL", "TSLA")
    )
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, "TSLA", "AAPL"))

    output = read_stream(config().build(), state=behind())

    # MSFT is missing on Friday (halted): no bar that day, so its cursor moves on to Friday.
    assert records_and_states(output) == [
        ("record", THU),
        ("record", THU),
        ("record", THU),
        ("state", saved_state(AAPL=THU, MSFT=THU, TSLA=THU)),
        ("record", FRI),
        ("record", FRI),
        ("state", saved_state(AAPL=FRI, MSFT=FRI, TSLA=FRI)),
    ]
    assert records(output) == [
        expected_record("2024-03-07", THU, "AAPL"),
        expected_record("2024-03-07", THU, "MSFT"),
        expected_record("2024-03-07", THU, "TSLA"),
        expected_record("2024-03-08", FRI, "AAPL"),
        expected_record("2024-03-08", FRI, "TSLA"),
    ]
    assert sent_requests(requests_mock) == [grouped("2024-03-07"), grouped("2024-03-08")]
    assert output.errors == []
    assert [line for line in log_messages(output) if "rouped" in line or "Plan" in line] == [
        "Plan: 2 grouped-daily requests (2024-03-07 to 2024-03-08) for 3 tickers, "
        "0 per-ticker requests: 2 requests in all.",
        "Plan: 3 tickers to read, about 6 bars in about 2 requests.",
        "Grouped daily bars of 2024-03-07: 3 bars for 3 tickers in 1 request.",
        "Grouped daily bars of 2024-03-08: 2 bars for 3 tickers in 1 request.",
    ]
    assert log_messages(output, "WARN") == []


def test_given_fields_left_out_and_an_otc_ticker_when_read_then_records_are_as_per_ticker(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(
        grouped_url("2024-03-07"),
        json=day_body(
            THU_CLOSE, "TCEHY", "AAPL", "MSFT", AAPL={"vw": None, "n": None}, TCEHY={"otc": True}
        ),
    )
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE))

    output = read_stream(config("AAPL", "TCEHY", "MSFT").build(), state=behind(TCEHY=WED))

    aapl = expected_record("2024-03-07", THU, "AAPL")
    del aapl["vwap"], aapl["transactions"]
    assert records(output) == [
        aapl,
        expected_record("2024-03-07", THU, "TCEHY", otc=True),
        expected_record("2024-03-07", THU, "MSFT"),
    ]
    assert sent_requests(requests_mock) == [grouped("2024-03-07"), grouped("2024-03-08")]


def test_given_a_symbol_with_a_cursor_in_no_grouped_day_when_read_then_its_cursor_moves_on(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), json=day_body(THU_CLOSE, "AAPL", "MSFT"))
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, "AAPL", "MSFT"))

    output = read_stream(config("AAPL", "MSFT", "ZZZZ").build(), state=behind(ZZZZ=WED))

    # It has a cursor: the sync that first found nothing for it warned (report.py).
    assert log_messages(output, "WARN") == []
    assert states(output)[-1] == saved_state(AAPL=FRI, MSFT=FRI, TSLA=WED, ZZZZ=FRI)


def test_given_unadjusted_bars_when_read_then_the_grouped_request_asks_for_them(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), json=day_body(THU_CLOSE, *TICKERS))
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, *TICKERS))

    output = read_stream(config().with_adjusted(False).build(), state=behind(adjusted=False))

    assert sent_requests(requests_mock) == [
        grouped("2024-03-07", adjusted=False),
        grouped("2024-03-08", adjusted=False),
    ]
    assert states(output)[-1] == saved_state(adjusted=False, AAPL=FRI, MSFT=FRI, TSLA=FRI)


@pytest.mark.now("2024-03-08T16:00:00Z")  # Friday, 11:00 in New York: the market is open
def test_given_a_day_in_session_when_read_then_it_is_left_to_the_next_sync(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), json=day_body(THU_CLOSE, *TICKERS))

    output = read_stream(config().build(), state=behind())

    assert sent_requests(requests_mock) == [grouped("2024-03-07")]
    assert [r["date"] for r in records(output)] == ["2024-03-07"] * 3
    assert states(output)[-1] == saved_state(AAPL=THU, MSFT=THU, TSLA=THU)
    assert [line for line in log_messages(output) if line.startswith("Plan")] == [
        "Plan: 1 grouped-daily request (2024-03-07) for 3 tickers, 0 per-ticker requests: "
        "1 request in all. 2024-03-08 has not closed yet: the first sync after 20:00 New York "
        "time reads it for the tickers read grouped.",
        "Plan: 3 tickers to read, about 3 bars in about 1 request.",
    ]


@pytest.mark.now("2024-03-09T01:30:00Z")  # Friday 20:30 in New York: final, not yet complete
def test_given_a_closed_day_before_midnight_when_read_then_it_is_read_but_not_saved(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), json=day_body(THU_CLOSE, *TICKERS))
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, *TICKERS))

    output = read_stream(config().build(), state=behind())

    assert [r["date"] for r in records(output)] == ["2024-03-07"] * 3 + ["2024-03-08"] * 3
    # As for per-ticker reads: the cursor moves past a daily bar once its day is over.
    assert states(output)[-1] == saved_state(AAPL=THU, MSFT=THU, TSLA=THU)


@pytest.mark.parametrize(
    ("in_flight", "asked"),
    [
        # One request at a time: the next day is not asked, its tickers being refused.
        pytest.param(1, [grouped("2024-03-07")], id="one-at-a-time"),
        # Several: the next day was asked along with it; its bars are not written.
        pytest.param(10, [grouped("2024-03-07"), grouped("2024-03-08")], id="in-flight"),
    ],
)
def test_given_a_refused_grouped_day_when_read_then_its_tickers_fail_the_sync_once(
    requests_mock: rm.Mocker, in_flight: int, asked: list[SentRequest]
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), status_code=403, json=template("403_timeframe"))
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, *TICKERS))

    output = read_stream(
        config().with_field("max_concurrent_requests", in_flight).build(),
        state=behind(),
        expect_failure=True,
    )

    assert sorted(sent_requests(requests_mock), key=str) == asked
    assert records(output) == []
    assert error_traces(output)[0] == (
        FailureType.config_error,
        "The API refused all 3 tickers (AAPL, MSFT, TSLA). The API key works, but the plan "
        "does not cover the grouped daily bars of 2024-03-07: Your plan doesn't include this "
        "data timeframe. Please upgrade your plan at https://polygon.io/pricing. Choose a "
        "timespan and start_date your plan includes, or upgrade the plan. Fix or remove each "
        "refused ticker: the next sync resumes it where it stopped.",
    )
    assert states(output)[-1] == saved_state(AAPL=WED, MSFT=WED, TSLA=WED)


def test_given_a_server_error_when_read_then_the_grouped_day_is_retried(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    requests_mock.get(
        grouped_url("2024-03-07"),
        [
            {"status_code": 502, "reason": "Bad Gateway", "text": "<html>Bad Gateway</html>"},
            {"json": day_body(THU_CLOSE, *TICKERS)},
        ],
    )
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, *TICKERS))

    output = read_stream(config().build(), state=behind())

    # 03-08 is asked along with 03-07 (requests in flight), so the order varies.
    assert sorted(sent_requests(requests_mock), key=str) == [
        grouped("2024-03-07"),
        grouped("2024-03-07"),
        grouped("2024-03-08"),
    ]
    assert len(records(output)) == 6
    assert waits(sleeps) == [2.0]
    assert [line for line in log_messages(output) if "Retrying" in line] == [
        "The API answered HTTP 502 (HTTP 502 Bad Gateway) for the grouped daily bars of "
        "2024-03-07. Retrying in 2 s."
    ]


def test_given_minute_bars_when_read_then_nothing_is_read_grouped(
    requests_mock: rm.Mocker,
) -> None:
    minute = config("AAPL", "MSFT").with_timespan("minute")
    requests_mock.get(rm.ANY, json={**template("aggs_empty")})

    read_stream(minute.build(), SyncMode.full_refresh)

    assert all("/range/1/minute/" in url for _, url, _, _ in sent_requests(requests_mock))
    assert len(sent_requests(requests_mock)) == 2


def test_given_a_full_refresh_of_two_days_when_read_then_they_are_read_grouped(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(grouped_url("2024-03-07"), json=day_body(THU_CLOSE, *TICKERS))
    requests_mock.get(grouped_url("2024-03-08"), json=day_body(FRI_CLOSE, *TICKERS))
    refresh = config().with_dates("2024-03-07", "2024-03-08").build()

    output = read_stream(refresh, SyncMode.full_refresh, state=behind(AAPL=FRI))

    assert sent_requests(requests_mock) == [grouped("2024-03-07"), grouped("2024-03-08")]
    assert len(records(output)) == 6
    assert states(output)[-1] == saved_state(AAPL=FRI, MSFT=FRI, TSLA=FRI)

"""How reads react to each kind of API failure, with requests-mock.

Client errors stop the sync with a config_error that quotes the API and names the request;
rate limits, server errors, network failures and malformed bodies are retried after the waits
asserted here (time.sleep is recorded, not slept: see conftest.py).
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import FailureType

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import error_traces, read_stream, records, saved_state, states, waits
from unit_tests.integration.api_failures import (
    REFUSALS,
    REQUEST,
    bars_of,
    cannot_serve,
    exhausted,
    failure,
    refused,
    server_error,
    unreachable,
)
from unit_tests.integration.request_builder import AAPL_URL, MSFT_URL
from unit_tests.integration.response_builder import AggsResponseBuilder

FRI_2024_03_08 = 1709874000000


def ok(ticker: str = "AAPL") -> dict[str, Any]:
    return {"json": AggsResponseBuilder(ticker).with_bars(FRI_2024_03_08).build_json()}


pytestmark = pytest.mark.now()


CLIENT_ERRORS = [
    *REFUSALS,
    pytest.param(failure(404), cannot_serve("The requested resource was not found."), id="404"),
]


@pytest.mark.parametrize(("answer", "message"), CLIENT_ERRORS)
def test_given_client_error_when_read_then_config_error_quoting_the_api_without_retry(
    requests_mock: rm.Mocker, sleeps: list[float], answer: dict[str, Any], message: str
) -> None:
    requests_mock.get(AAPL_URL, [answer])

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    assert error_traces(output)[0] == (FailureType.config_error, message)
    assert records(output) == []
    assert requests_mock.call_count == 1
    assert waits(sleeps) == []


def test_given_client_error_on_second_ticker_when_read_then_first_tickers_state_is_kept(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(AAPL_URL, [ok()])
    requests_mock.get(MSFT_URL, [failure(403)])

    output = read_stream(ConfigBuilder().with_tickers("AAPL", "MSFT").build(), expect_failure=True)

    assert [r["stock_ticker"] for r in records(output)] == ["AAPL"]
    # One checkpoint per window, MSFT's refused one included (see test_refused_tickers.py).
    assert states(output) == [saved_state(AAPL="2024-03-08T05:00:00Z")] * 2
    failure_type, message = error_traces(output)[0]
    assert failure_type == FailureType.config_error
    plan = f"The API key works, but the plan does not cover {bars_of('MSFT')}:"
    assert message.startswith(refused("MSFT", 2, plan))


def test_given_429_with_retry_after_when_read_then_wait_that_long_and_retry(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    requests_mock.get(AAPL_URL, [failure(429, Retry_After="7"), ok()])

    output = read_stream(ConfigBuilder().build())

    # Retry-After 7, as said (congestion.py).
    assert waits(sleeps) == [7.0]
    assert requests_mock.call_count == 2
    assert [r["date"] for r in records(output)] == ["2024-03-08"]
    assert output.errors == []


def test_given_429_without_retry_after_when_read_then_wait_a_slot_of_the_plan_and_double(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    requests_mock.get(AAPL_URL, [failure(429), failure(429), ok()])

    output = read_stream(ConfigBuilder().with_requests_per_minute(5).build())

    # 5 requests per minute: one slot is 12 s, then 24 s.
    assert waits(sleeps) == [12.0, 24.0]
    assert requests_mock.call_count == 3
    assert len(records(output)) == 1


@pytest.mark.parametrize(
    ("answers", "expected_waits"),
    [
        pytest.param(
            [
                {"exc": requests.exceptions.ConnectTimeout("connect timed out")},
                {"exc": requests.exceptions.ReadTimeout("read timed out")},
                {"exc": requests.exceptions.ConnectionError("connection reset by peer")},
            ],
            [2.0, 3.0, 5.0],
            id="connect-timeout-read-timeout-connection-error",
        ),
        pytest.param(
            [{"status_code": 200, "text": '{"ticker":"AAPL","results":[{"o":170.76,"h'}],
            [2.0],
            id="truncated-json-200",
        ),
        pytest.param(
            [{"status_code": 200, "text": "<html>upstream proxy page</html>"}],
            [2.0],
            id="html-200",
        ),
        pytest.param([failure(500), failure(502)], [2.0, 3.0], id="500-then-502"),
        pytest.param([failure(503, Retry_After="4")], [5.0], id="503-with-retry-after"),
    ],
)
def test_given_transient_failures_when_read_then_retry_with_backoff_until_success(
    requests_mock: rm.Mocker,
    sleeps: list[float],
    answers: list[dict[str, Any]],
    expected_waits: list[float],
) -> None:
    requests_mock.get(AAPL_URL, [*answers, ok()])

    output = read_stream(ConfigBuilder().build())

    assert waits(sleeps) == expected_waits
    assert requests_mock.call_count == len(answers) + 1
    assert [r["date"] for r in records(output)] == ["2024-03-08"]
    assert states(output) == [saved_state(AAPL="2024-03-08T05:00:00Z")]
    assert output.errors == []


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(failure(500), exhausted(server_error(500, "Internal server error")), id="500"),
        pytest.param(
            {"exc": requests.exceptions.ReadTimeout("read timed out")},
            exhausted(unreachable("ReadTimeout")),
            id="read-timeout",
        ),
        pytest.param(
            {"status_code": 200, "text": '{"results": ['},
            exhausted(f"The API sent an incomplete or malformed body for {REQUEST}."),
            id="truncated-json",
        ),
    ],
)
def test_given_failures_that_persist_when_read_then_transient_error_after_nine_attempts(
    requests_mock: rm.Mocker, sleeps: list[float], answer: dict[str, Any], message: str
) -> None:
    requests_mock.get(AAPL_URL, [answer])

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    assert requests_mock.call_count == 9  # the first attempt and 8 retries
    assert len(waits(sleeps)) == 8
    assert error_traces(output)[0] == (FailureType.transient_error, message)
    assert records(output) == []


GAVE_UP = (
    "The API answered every request with 429 (rate limit) for 10 minutes, so the sync stopped; "
    "everything read so far is saved, and the next sync resumes there. Set requests_per_minute "
    "(now 6000) to the plan's limit, lower max_concurrent_requests (now 1), or stop other "
    "programs using the same API key."
)
# A 429's waits without Retry-After: 1 s, doubling up to a minute (congestion.py).
DOUBLING = [1.0, 2.0, 4.0, 8.0, 16.0, 32.0]


def test_given_429s_that_persist_when_read_then_asked_again_for_ten_minutes_then_transient_error(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    """Not nine attempts: a 429 is asked again until ten minutes have passed without an
    answer, the waits growing to a minute; then one transient_error says what to change."""
    requests_mock.get(AAPL_URL, [failure(429)])

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    # Asked at 0, 1, 3, ... 63 s, then every minute: the 429 at 603 s ends the sync.
    assert waits(sleeps) == DOUBLING + [60.0] * 9
    assert requests_mock.call_count == 16
    assert error_traces(output)[0] == (FailureType.transient_error, GAVE_UP)
    assert records(output) == []


def test_given_429s_after_an_answer_when_read_then_ten_minutes_count_from_that_answer(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    """AAPL is answered after five minutes of 429s; MSFT then meets only 429s: the sync goes
    on until ten minutes after AAPL's answer, not ten minutes after the start, and AAPL's
    records and state are saved."""
    requests_mock.get(AAPL_URL, [failure(429)] * 11 + [ok()])
    requests_mock.get(MSFT_URL, [failure(429)])

    output = read_stream(ConfigBuilder().with_tickers("AAPL", "MSFT").build(), expect_failure=True)

    # AAPL: 11 429s, answered at 303 s. MSFT from 303 s: its first wait is the one that let
    # AAPL through (a minute), and its 429 at 903 s is the first ten minutes after 303 s.
    assert waits(sleeps) == DOUBLING + [60.0] * 5 + [60.0] * 10
    assert requests_mock.call_count == 12 + 11
    assert [r["stock_ticker"] for r in records(output)] == ["AAPL"]
    assert states(output)[-1] == saved_state(AAPL="2024-03-08T05:00:00Z")
    assert error_traces(output)[0] == (FailureType.transient_error, GAVE_UP)


def test_given_500s_that_persist_when_read_then_backoff_doubles_up_to_a_minute(
    requests_mock: rm.Mocker, sleeps: list[float]
) -> None:
    requests_mock.get(AAPL_URL, [failure(500)])

    read_stream(ConfigBuilder().build(), expect_failure=True)

    assert waits(sleeps) == [2.0, 3.0, 5.0, 9.0, 17.0, 33.0, 61.0, 61.0]


@pytest.mark.parametrize(("configured", "sent"), [(None, (10, 30)), (7, (10, 7))])
def test_given_request_timeout_when_read_then_every_request_carries_it(
    requests_mock: rm.Mocker, configured: int | None, sent: tuple[int, int]
) -> None:
    requests_mock.get(AAPL_URL, [ok()])
    builder = ConfigBuilder()
    if configured is not None:
        builder.with_request_timeout_seconds(configured)

    read_stream(builder.build())

    assert [request.timeout for request in requests_mock.request_history] == [sent]


def test_given_null_results_when_read_then_no_record_and_no_error(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(AAPL_URL, json={"ticker": "AAPL", "resultsCount": 0, "results": None})

    output = read_stream(ConfigBuilder().build())

    assert records(output) == []
    assert output.errors == []

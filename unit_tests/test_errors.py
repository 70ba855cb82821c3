"""api.py, messages.py and errors.py: the API's reasons, what a user is told, how long to wait."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers.response_models import ResponseAction

from source_stock_ticker_api.messages import answer_message, as_sentence
from source_stock_ticker_api.polygon.bodies import ParsedBodies, api_reason
from source_stock_ticker_api.polygon.congestion import Congestion
from source_stock_ticker_api.polygon.endpoints import describe_price_request
from source_stock_ticker_api.polygon.errors import (
    MAX_RETRIES,
    PolygonBackoffStrategy,
    PolygonErrorHandler,
    Refusal,
    refusal_of,
)

AGGS_URL = (
    "http://127.0.0.1:8999/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-03-11"
    "?adjusted=true&sort=asc&limit=50000"
)


def response(
    status: int,
    body: Any = None,
    *,
    content: bytes | None = None,
    headers: dict[str, str] | None = None,
    reason: str = "",
    url: str = AGGS_URL,
) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer.reason = reason
    answer._content = content if content is not None else json.dumps(body).encode()
    answer.headers.update(headers or {})
    answer.request = requests.Request("GET", url).prepare()
    answer.url = url
    return answer


class TestApiReason:
    def test_prefers_the_error_field(self) -> None:
        assert api_reason(response(401, {"status": "ERROR", "error": "Unknown API Key"})) == (
            "Unknown API Key"
        )

    def test_falls_back_to_the_message_field(self) -> None:
        body = {"status": "NOT_AUTHORIZED", "message": "You are not entitled to this data."}
        assert api_reason(response(403, body)) == "You are not entitled to this data."

    def test_without_json_reason_uses_the_status_line(self) -> None:
        assert (
            api_reason(response(502, content=b"<html>", reason="Bad Gateway"))
            == "HTTP 502 Bad Gateway"
        )
        assert api_reason(response(500, {"error": ""})) == "HTTP 500"
        assert api_reason(response(500, ["not", "an", "object"])) == "HTTP 500"


@pytest.mark.parametrize(
    ("text", "sentence"),
    [
        ("Unknown API Key", "Unknown API Key."),
        (
            "Your plan doesn't include this data timeframe.",
            "Your plan doesn't include this data timeframe.",
        ),
        ("Wait!  ", "Wait!"),
        ("Why?", "Why?"),
    ],
)
def test_as_sentence_adds_a_full_stop_only_when_missing(text: str, sentence: str) -> None:
    assert as_sentence(text) == sentence


@pytest.mark.parametrize(
    ("url", "description"),
    [
        (AGGS_URL, "AAPL day bars from 2024-03-01 to 2024-03-11"),
        (
            "http://h/v2/aggs/ticker/BRK.A/range/5/minute/1709908260000/2024-03-11?cursor=x",
            "BRK.A 5-minute bars from 2024-03-08T14:31:00Z to 2024-03-11",
        ),
        (
            "http://h/v2/aggs/ticker/C%3AEURUSD/range/1/hour/2024-01-02/2024-01-03",
            ("C:EURUSD hour bars from 2024-01-02 to 2024-01-03"),
        ),
        (
            "https://proxy.example/polygon/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-01-03",
            "AAPL day bars from 2024-01-02 to 2024-01-03",
        ),
        ("http://h/v2/aggs/ticker/AAPL/prev", "the request"),
        ("http://h/v3/reference/conditions", "the request"),
        (None, "the request"),
    ],
)
def test_describe_request_names_ticker_and_range_never_the_query(
    url: str | None, description: str
) -> None:
    assert describe_price_request(url) == description


def handler_of(bodies: ParsedBodies, congestion: Congestion | None = None) -> PolygonErrorHandler:
    return PolygonErrorHandler(
        logging.getLogger("test"),
        "http://127.0.0.1:8999",
        bodies,
        describe_price_request,
        congestion or Congestion(requests_per_minute=5, max_concurrent_requests=10),
    )


class TestErrorHandler:
    bodies = ParsedBodies()
    handler = handler_of(bodies)

    def test_allows_as_many_retries_as_documented(self) -> None:
        assert self.handler.max_retries == MAX_RETRIES == 8

    def test_valid_200_succeeds_and_keeps_the_parsed_body(self) -> None:
        answer = response(200, {"results": [], "status": "OK"})
        resolution = self.handler.interpret_response(answer)
        assert resolution.response_action == ResponseAction.SUCCESS
        assert self.bodies.of(answer) == {"results": [], "status": "OK"}

    def test_truncated_200_is_retried_as_transient(self) -> None:
        resolution = self.handler.interpret_response(response(200, content=b'{"results": [{"o"'))
        assert resolution.response_action == ResponseAction.RETRY
        assert resolution.failure_type == FailureType.transient_error
        assert resolution.error_message == (
            "The API sent an incomplete or malformed body for "
            "AAPL day bars from 2024-03-01 to 2024-03-11."
        )

    @pytest.mark.parametrize(
        ("status", "body", "message", "action"),
        [
            (
                401,
                {"status": "ERROR", "error": "Unknown API Key"},
                "The API rejected the API key (Unknown API Key). "
                "Check api_key: copy it again from your Polygon.io / Massive.com dashboard.",
                ResponseAction.FAIL,
            ),
            (
                403,
                {
                    "status": "NOT_AUTHORIZED",
                    "message": "You are not entitled to this data. "
                    "Please upgrade your plan at https://polygon.io/pricing",
                },
                "The API key works, but the plan does not cover AAPL day bars from 2024-03-01 "
                "to 2024-03-11: You are not entitled to this data. Please upgrade your plan at "
                "https://polygon.io/pricing. "
                "Choose a timespan and start_date your plan includes, or upgrade the plan.",
                ResponseAction.IGNORE,
            ),
            (
                400,
                {
                    "status": "ERROR",
                    "error": "The parameter 'to' cannot be a time that occurs before 'from'",
                },
                "The API could not serve AAPL day bars from 2024-03-01 to 2024-03-11: The "
                "parameter 'to' cannot be a time that occurs before 'from'. Check the ticker, "
                "dates, timespan and api_url in the configuration.",
                ResponseAction.IGNORE,
            ),
            (
                404,
                {"status": "NOT_FOUND", "message": "Not found."},
                "The API could not serve AAPL day bars from 2024-03-01 to 2024-03-11: Not found. "
                "Check the ticker, dates, timespan and api_url in the configuration.",
                ResponseAction.FAIL,
            ),
        ],
    )
    def test_client_errors_are_config_errors_quoting_the_api(
        self, status: int, body: dict[str, str], message: str, action: ResponseAction
    ) -> None:
        """401 and 404 would refuse every ticker: they stop the sync. 400 and 403 refuse one
        ticker: the answer is ignored, and the stream reads it as a refusal in the same words,
        reads the other tickers and fails at the end."""
        answer = response(status, body)
        resolution = self.handler.interpret_response(answer)
        assert resolution.response_action == action
        assert resolution.failure_type == FailureType.config_error
        assert resolution.error_message == message
        refused = Refusal(status, message) if action == ResponseAction.IGNORE else None
        assert refusal_of(answer, describe_price_request) == refused

    @pytest.mark.parametrize("status", [413, 499, 500, 502, 503, 504])
    def test_server_trouble_is_retried(self, status: int) -> None:
        resolution = self.handler.interpret_response(response(status, {}))
        assert resolution.response_action == ResponseAction.RETRY
        assert resolution.failure_type == FailureType.transient_error

    def test_429_is_let_through_to_be_asked_again_after_the_congestions_wait(self) -> None:
        """fetch asks again (congestion.py): the CDK must neither retry it nor count it."""
        congestion = Congestion(requests_per_minute=5, max_concurrent_requests=10)
        handler = handler_of(ParsedBodies(), congestion)
        resolution = handler.interpret_response(response(429, {"status": "ERROR"}))
        assert resolution.response_action == ResponseAction.IGNORE
        assert resolution.failure_type == FailureType.transient_error
        assert resolution.error_message == (
            "The API's rate limit was reached: HTTP 429. "
            "Other programs using the same key share its limit. Retrying in 12 s."
        )
        assert congestion.limit == 1
        handler.interpret_response(response(200, {"results": [], "status": "OK"}))
        assert congestion.limit == 2

    def test_429_honours_retry_after(self) -> None:
        answer = response(429, {}, headers={"Retry-After": "7"})
        resolution = handler_of(ParsedBodies()).interpret_response(answer)
        assert resolution.error_message is not None
        assert resolution.error_message.endswith(" Retrying in 7 s.")

    def test_server_trouble_names_the_status_and_the_request(self) -> None:
        resolution = self.handler.interpret_response(response(502, content=b"<html>"))
        assert resolution.error_message == (
            "The API answered HTTP 502 (HTTP 502) for AAPL day bars from 2024-03-01 to "
            "2024-03-11. Try again later."
        )

    @pytest.mark.parametrize(
        "exception",
        [
            requests.exceptions.ConnectTimeout("connect timed out"),
            requests.exceptions.ReadTimeout("read timed out"),
            requests.exceptions.ConnectionError("connection reset"),
            requests.exceptions.ChunkedEncodingError("truncated chunk"),
        ],
    )
    def test_network_failures_are_retried(self, exception: requests.RequestException) -> None:
        resolution = self.handler.interpret_response(exception)
        assert resolution.response_action == ResponseAction.RETRY
        assert resolution.failure_type == FailureType.transient_error
        assert resolution.error_message == (
            f"Could not reach http://127.0.0.1:8999 ({type(exception).__name__}). "
            "Check api_url and the network path to the API."
        )


def backoff(answer: Any, attempt: int) -> float | None:
    """The wait PolygonBackoffStrategy asks for before retry `attempt` (never of a 429:
    unit_tests/test_congestion.py)."""
    return PolygonBackoffStrategy().backoff_time(answer, attempt_count=attempt)


class TestBackoffStrategy:
    def test_retry_after_is_honoured_on_503_and_capped_at_five_minutes(self) -> None:
        assert backoff(response(503, {}, headers={"Retry-After": "2.5"}), 1) == 2.5
        assert backoff(response(503, {}, headers={"Retry-After": "3600"}), 1) == 300
        # A Retry-After of zero or less says nothing: the pause of a first retry without one.
        assert backoff(response(503, {}, headers={"Retry-After": "-3"}), 1) == 1.0

    def test_unreadable_retry_after_falls_back_to_doubling(self) -> None:
        answer = response(503, {}, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})
        assert backoff(answer, 2) == 2.0

    def test_other_failures_back_off_exponentially_up_to_a_minute(self) -> None:
        waits = [backoff(response(500, {}), attempt) for attempt in range(1, 9)]
        assert waits == [1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 60.0, 60.0]

    def test_exceptions_without_response_back_off_exponentially(self) -> None:
        assert backoff(requests.exceptions.ReadTimeout("read timed out"), 3) == 4.0
        assert backoff(None, 1) == 1.0


@pytest.mark.parametrize("status", [400, 401, 403, 404, 429, 500, 502])
def test_check_and_sync_tell_the_same_words_for_the_same_status(status: int) -> None:
    """The one table: what a sync's error handler says is what check says (a 429's line
    adds the wait before the request is asked again)."""
    answer = response(status, {"status": "ERROR", "error": "Why not."})
    handler = handler_of(ParsedBodies())
    told = answer_message(status, "Why not.", "AAPL day bars from 2024-03-01 to 2024-03-11")
    retry = " Retrying in 12 s." if status == 429 else ""
    assert handler.interpret_response(answer).error_message == told + retry

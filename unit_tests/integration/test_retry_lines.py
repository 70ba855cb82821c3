"""What a person reads while a request is retried: one line per retry, saying what happened and
how long the pause is, and nothing else.

These run through the installed CDK's retry loop (airbyte_cdk/sources/streams/http/
rate_limiting.py), whose own line errors.RetryLines rewrites: if the CDK words that line
differently, its raw text ("UserDefinedBackoffException: Rate limit exceeded ...") shows up here
and these tests fail.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

from unit_tests.config_builder import ConfigBuilder
from unit_tests.helpers import log_messages, read_stream, records, waits
from unit_tests.integration.api_failures import (
    RATE_LIMITED,
    answered,
    failure,
    malformed,
    unreachable,
)
from unit_tests.integration.request_builder import AAPL_URL
from unit_tests.integration.response_builder import AggsResponseBuilder

pytestmark = pytest.mark.now()


def ok() -> dict[str, Any]:
    return {"json": AggsResponseBuilder("AAPL").with_bars(1709874000000).build_json()}


def lines_while_fetching(output: EntrypointOutput) -> list[str]:
    """Every log line between the sync's plan and its first record."""
    lines = log_messages(output)
    start = next(i for i, line in enumerate(lines) if line.startswith("Plan: "))
    end = lines.index("Marking stream stock_prices as RUNNING")
    return lines[start + 1 : end]


def retrying(message: str, seconds: int) -> str:
    return f"{message} Retrying in {seconds} s."


@pytest.mark.parametrize(
    ("failures", "requests_per_minute", "expected_lines", "expected_waits"),
    [
        pytest.param([failure(502)], 6000, [retrying(answered(502), 2)], [2.0], id="502"),
        pytest.param(
            [failure(500), failure(503)],
            6000,
            [retrying(answered(500), 2), retrying(answered(503), 3)],
            [2.0, 3.0],
            id="500-then-503",
        ),
        pytest.param(
            [{"exc": requests.exceptions.ReadTimeout("read timed out")}],
            6000,
            [retrying(unreachable("ReadTimeout"), 2)],
            [2.0],
            id="read-timeout",
        ),
        pytest.param(
            [{"status_code": 200, "text": '{"ticker":"AAPL","results":[{"o":170.76,"h'}],
            6000,
            [retrying(malformed(), 2)],
            [2.0],
            id="truncated-200",
        ),
        pytest.param(
            [failure(429, Retry_After="7")],
            6000,
            [retrying(RATE_LIMITED, 7)],
            [7.0],
            id="429-retry-after",
        ),
        # "Retry after 0 s" says nothing: the pause is the one without Retry-After, and
        # the retry goes through the same path (the CDK's other paths log the body).
        pytest.param(
            [failure(503, Retry_After="0")],
            6000,
            [retrying(answered(503), 2)],
            [2.0],
            id="503-retry-after-0",
        ),
        # On the free plan's pace, a 429 without Retry-After waits one slot of 12 s.
        pytest.param(
            [failure(429)], 5, [retrying(RATE_LIMITED, 12)], [12.0], id="429-free-plan-slot"
        ),
    ],
)
def test_given_retried_failures_when_read_then_one_true_line_per_retry_with_its_pause(
    requests_mock: rm.Mocker,
    sleeps: list[float],
    failures: list[dict[str, Any]],
    requests_per_minute: int,
    expected_lines: list[str],
    expected_waits: list[float],
) -> None:
    requests_mock.get(AAPL_URL, [*failures, ok()])

    output = read_stream(ConfigBuilder().with_requests_per_minute(requests_per_minute).build())

    assert lines_while_fetching(output) == expected_lines
    assert waits(sleeps) == expected_waits  # the pause each line names is the pause taken
    assert len(records(output)) == 1

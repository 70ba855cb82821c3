"""`check`: one cheap request that proves the key, the plan and the history, with requests-mock."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import FailureType, Status

from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import check, connection_status, error_traces, waits
from unit_tests.integration.api_failures import (
    RATE_LIMITED,
    REFUSALS,
    failure,
    server_error,
    unreachable,
)
from unit_tests.integration.request_builder import AAPL_URL, AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder

pytestmark = pytest.mark.now()


def test_given_valid_key_when_check_then_succeed_with_exactly_one_request(
    requests_mock: rm.Mocker, tmp_path: Path
) -> None:
    requests_mock.get(AAPL_URL, json=AggsResponseBuilder().with_bars(1709874000000).build_json())

    output = check(ConfigBuilder().with_tickers("AAPL", "MSFT").build(), tmp_path)

    assert connection_status(output) == (Status.SUCCEEDED, None)
    [request] = requests_mock.request_history
    assert urlsplit(request.url).path == "/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-03-11"
    assert request.qs == {"adjusted": ["true"], "sort": ["asc"], "limit": ["1"]}
    assert request.headers["Authorization"] == f"Bearer {API_KEY}"
    assert request.timeout == (10, 30)


def test_given_minute_unadjusted_config_when_check_then_ask_for_what_the_sync_will_read(
    requests_mock: rm.Mocker, tmp_path: Path
) -> None:
    url = AggsRequestBuilder.aggs("MSFT", "2024-03-01", "2024-03-11").with_timespan("minute", 5).url
    requests_mock.get(url, json={"ticker": "MSFT", "resultsCount": 0, "status": "OK"})

    output = check(
        ConfigBuilder()
        .with_tickers("msft")
        .with_timespan("minute", 5)
        .with_adjusted(False)
        .with_request_timeout_seconds(9)
        .build(),
        tmp_path,
    )

    assert connection_status(output) == (Status.SUCCEEDED, None)
    [request] = requests_mock.request_history
    assert request.qs == {"adjusted": ["false"], "sort": ["asc"], "limit": ["1"]}
    assert request.timeout == (10, 9)


FAILED_CHECKS = [
    *REFUSALS,
    pytest.param(failure(429, Retry_After="30"), RATE_LIMITED, id="429"),
    pytest.param(failure(500), server_error(500, "Internal server error"), id="500"),
    pytest.param(
        {"status_code": 502, "text": "<html>Bad Gateway</html>", "reason": "Bad Gateway"},
        server_error(502, "HTTP 502 Bad Gateway"),
        id="502-html",
    ),
    pytest.param(
        {"exc": requests.exceptions.ConnectionError("Failed to establish a new connection")},
        unreachable("ConnectionError"),
        id="connection-error",
    ),
    pytest.param(
        {"exc": requests.exceptions.ConnectTimeout("connect timed out")},
        unreachable("ConnectTimeout"),
        id="connect-timeout",
    ),
    pytest.param(
        {"exc": requests.exceptions.ReadTimeout("read timed out")},
        unreachable("ReadTimeout"),
        id="read-timeout",
    ),
]


@pytest.mark.parametrize(("answer", "message"), FAILED_CHECKS)
def test_given_failure_when_check_then_failed_status_with_the_exact_reason_and_no_retry(
    requests_mock: rm.Mocker,
    tmp_path: Path,
    sleeps: list[float],
    answer: dict[str, Any],
    message: str,
) -> None:
    requests_mock.get(AAPL_URL, [answer])

    output = check(ConfigBuilder().build(), tmp_path)

    assert connection_status(output) == (Status.FAILED, message)
    assert error_traces(output) == [(FailureType.config_error, message)]
    assert requests_mock.call_count == 1
    assert waits(sleeps) == []


def test_given_unreachable_host_when_check_then_failed_status(tmp_path: Path) -> None:
    # A real connection attempt to a closed port on this machine: refused at once.
    output = check(ConfigBuilder().with_api_url("http://127.0.0.1:1").build(), tmp_path)

    assert connection_status(output) == (
        Status.FAILED,
        unreachable("ConnectionError", "http://127.0.0.1:1"),
    )

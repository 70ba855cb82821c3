"""The API key reaches the API in the Authorization header and nowhere else.

Every message the connector prints (records, state, logs, traces, connection status) is searched
for the key, on success and on each kind of failure, and every request URL is checked too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import requests_mock as rm
from airbyte_cdk.models import FailureType, Status

from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import (
    all_output,
    check,
    command_line,
    error_traces,
    read_stream,
    records,
    run_cli,
)
from unit_tests.integration.request_builder import AAPL_URL, AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder, template

pytestmark = pytest.mark.now()


def assert_key_only_in_the_header(requests_mock: rm.Mocker) -> None:
    assert requests_mock.request_history, "no request was sent"
    for request in requests_mock.request_history:
        assert API_KEY not in request.url
        assert "apikey" not in request.url.lower()
        assert request.headers["Authorization"] == f"Bearer {API_KEY}"


def test_given_successful_read_when_read_then_key_is_in_no_message(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(
        AAPL_URL,
        json=AggsResponseBuilder().with_bars(1709874000000).build_json(),
        headers={"X-Echo": API_KEY},  # even a server echoing the key back stays masked
    )

    output = read_stream(ConfigBuilder().build())

    assert len(records(output)) == 1
    assert API_KEY not in all_output(output)
    assert_key_only_in_the_header(requests_mock)


def test_given_debug_logs_when_read_from_the_command_line_then_key_is_masked(
    requests_mock: rm.Mocker, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    requests_mock.get(AAPL_URL, json=AggsResponseBuilder().with_bars(1709874000000).build_json())

    # --debug logs every request with its headers: the Authorization header must be masked.
    result = run_cli([*command_line("read", tmp_path, ConfigBuilder().build()), "--debug"], capfd)

    assert result.exit_code == 0
    assert "Making outbound API request" in result.stdout
    assert "Bearer ****" in result.stdout
    assert API_KEY not in result.stdout
    assert_key_only_in_the_header(requests_mock)


@pytest.mark.parametrize("status", [401, 403])
def test_given_rejected_key_or_plan_when_read_then_key_is_in_no_message(
    requests_mock: rm.Mocker, status: int
) -> None:
    requests_mock.get(AAPL_URL, status_code=status, json=template(str(status)))

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    assert error_traces(output)[0][0] == FailureType.config_error
    assert API_KEY not in all_output(output)
    assert_key_only_in_the_header(requests_mock)


def test_given_failed_check_when_check_then_key_is_in_no_message(
    requests_mock: rm.Mocker, tmp_path: Path
) -> None:
    requests_mock.get(AAPL_URL, status_code=401, json=template("401"))

    output = check(ConfigBuilder().build(), tmp_path)

    assert output.connection_status_messages[0].connectionStatus.status == Status.FAILED  # type: ignore[union-attr]
    assert API_KEY not in all_output(output)
    assert_key_only_in_the_header(requests_mock)


def test_given_exception_quoting_the_request_deep_in_the_http_stack_then_key_is_masked(
    requests_mock: rm.Mocker,
) -> None:
    def explode(request: Any, context: Any) -> Any:
        raise RuntimeError(f"adapter failure on {request.url} with headers {dict(request.headers)}")

    requests_mock.get(AAPL_URL, text=explode)

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    failure_type, _ = error_traces(output)[0]
    assert failure_type == FailureType.system_error
    text = all_output(output)
    assert "adapter failure on http://127.0.0.1:8999/v2/aggs/ticker/AAPL" in text
    assert API_KEY not in text


def test_given_network_errors_quoting_the_url_until_retries_run_out_then_key_in_no_message(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(
        AAPL_URL,
        exc=requests.exceptions.ConnectionError(
            "HTTPConnectionPool(host='127.0.0.1', port=8999): Max retries exceeded with url: "
            f"{urlsplit(AAPL_URL).path}?adjusted=true&sort=asc&limit=50000"
        ),
    )

    output = read_stream(ConfigBuilder().build(), expect_failure=True)

    assert error_traces(output)[0][0] == FailureType.transient_error
    assert API_KEY not in all_output(output)
    assert_key_only_in_the_header(requests_mock)


def test_given_next_url_on_another_host_with_a_key_when_read_then_only_our_host_is_asked(
    requests_mock: rm.Mocker,
) -> None:
    page_2 = AggsRequestBuilder.aggs("AAPL", "1709528400000", "2024-03-11")
    requests_mock.get(
        AAPL_URL,
        json=AggsResponseBuilder()
        .with_bars(1709269200000)
        .with_next_url(
            f"https://collector.example.com{page_2.path}?cursor=Y3Vyc29yMg&apiKey=stolen"
        )
        .build_json(),
    )
    requests_mock.get(page_2.url, json=AggsResponseBuilder().with_bars(1709528400000).build_json())

    output = read_stream(ConfigBuilder().build())

    assert [r["date"] for r in records(output)] == ["2024-03-01", "2024-03-04"]
    assert [request.netloc for request in requests_mock.request_history] == [
        "127.0.0.1:8999",
        "127.0.0.1:8999",
    ]
    assert requests_mock.request_history[1].qs == {
        "cursor": ["y3vyc29ymg"],  # requests-mock lower-cases query values
        "adjusted": ["true"],
        "sort": ["asc"],
        "limit": ["50000"],
    }
    assert_key_only_in_the_header(requests_mock)


def test_given_rate_limit_then_rejected_key_when_run_from_the_command_line_then_stdout_is_clean(
    requests_mock: rm.Mocker, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    # What the platform actually reads: raw stdout, including lines the CDK prints directly.
    requests_mock.get(
        AAPL_URL,
        [
            {"status_code": 429, "json": template("429"), "headers": {"Retry-After": "1"}},
            {"status_code": 401, "json": template("401")},
        ],
    )

    result = run_cli(command_line("read", tmp_path, ConfigBuilder().build()), capfd)

    assert result.exit_code == 1
    assert '"RATE_LIMITED"' in result.stdout
    assert "The API rejected the API key (Unknown API Key)." in result.stdout
    assert API_KEY not in result.stdout
    assert_key_only_in_the_header(requests_mock)

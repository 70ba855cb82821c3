"""Inputs that used to end in a traceback or the wrong words: each a clear config_error now."""

from __future__ import annotations

from pathlib import Path

import pytest
import requests_mock as rm
from airbyte_cdk.models import FailureType, Status

from source_stock_ticker_api.config import ConfigError, parse_config
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import check, connection_status, error_traces, read_stream

NON_LATIN_KEY_MESSAGE = (
    "api_key contains characters a key never has (such as a curly quote or €): "
    "paste the key alone, as the dashboard shows it."
)


pytestmark = pytest.mark.now()


@pytest.mark.parametrize("key", [f"“{API_KEY}”", f"{API_KEY}€", f"{API_KEY}é"])
def test_given_a_key_with_a_pasted_curly_quote_when_check_then_failed_status_and_no_request(
    key: str, requests_mock: rm.Mocker, tmp_path: Path
) -> None:
    output = check(ConfigBuilder().with_api_key(key).build(), tmp_path)

    assert connection_status(output) == (Status.FAILED, NON_LATIN_KEY_MESSAGE)
    assert error_traces(output) == [(FailureType.config_error, NON_LATIN_KEY_MESSAGE)]
    assert requests_mock.call_count == 0


def test_given_a_key_with_a_euro_sign_when_read_then_config_error_and_no_request(
    requests_mock: rm.Mocker,
) -> None:
    output = read_stream(ConfigBuilder().with_api_key(f"{API_KEY}€").build(), expect_failure=True)

    assert error_traces(output) == [(FailureType.config_error, NON_LATIN_KEY_MESSAGE)]
    assert requests_mock.call_count == 0


@pytest.mark.parametrize(
    "url",
    [
        "http://api.polygon.io",
        "http://10.0.0.5:8080",
        "http://[2001:db8::1]",
        "http://localhost.example.com",
    ],
)
def test_given_plain_http_to_another_machine_then_refused_naming_the_risk(url: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_config(ConfigBuilder().with_api_url(url).build())
    assert error.value.message == (
        f"api_url {url} uses http://, which would send the API key unencrypted: use https://. "
        "Plain http is accepted only for this machine (localhost, 127.0.0.1), where the sandbox "
        "runs."
    )
    assert error.value.failure_type == FailureType.config_error


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8999",
        "http://127.8.9.10",
        "http://localhost:8000",
        "http://LOCALHOST",
        "http://[::1]:8999",
        "https://api.massive.com",
        "https://10.0.0.5:8443/polygon",
    ],
)
def test_given_https_or_plain_http_on_this_machine_then_accepted(url: str) -> None:
    assert parse_config(ConfigBuilder().with_api_url(url).build()).api_url == url


def test_given_timespan_null_then_the_default_day_like_every_other_null_field() -> None:
    assert parse_config(ConfigBuilder().with_field("timespan", None).build()).timespan == "day"

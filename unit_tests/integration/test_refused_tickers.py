"""A ticker the API refuses no longer stops the others, with requests-mock.

A 403 (the plan lacks that market or symbol) or a 400 (a request the API will not serve for that
symbol) ends that ticker's part of the sync only: every other ticker is read and saved, then the
stream fails with one config_error naming each refused ticker. A 401 (the key) or a 404 (the
path) would refuse every ticker alike: they still stop the sync at once.
"""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from airbyte_cdk.models import AirbyteStreamStatus, FailureType, Type
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import (
    STREAM,
    all_output,
    error_traces,
    log_messages,
    read_stream,
    records,
    saved_state,
    states,
)
from unit_tests.integration.api_failures import (
    BAD_FROM,
    UNKNOWN_KEY,
    bars_of,
    cannot_serve,
    not_in_plan,
    refused,
)
from unit_tests.integration.request_builder import AggsRequestBuilder
from unit_tests.integration.response_builder import AggsResponseBuilder, template

FRI_2024_03_08 = 1709874000000  # a daily bar's start, 00:00 in New York
THU_2024_02_15_15H = 1708027200000  # an hour bar's start, 15:00 in New York
THU_2024_03_07_15H = 1709841600000
NOT_ENTITLED = (
    "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing. "
    "Choose a timespan and start_date your plan includes, or upgrade the plan."
)
NOT_IN_PLAN = not_in_plan("You are not entitled to this data.", bars_of("MSFT"))
ADVICE = "Fix or remove each refused ticker: the next sync resumes it where it stopped."
SUMMARY = "During the sync, the following streams did not sync successfully: stock_prices."


pytestmark = pytest.mark.now()


def daily_url(ticker: str) -> str:
    return AggsRequestBuilder.aggs(ticker, "2024-03-01", "2024-03-11").url


def hourly_url(ticker: str, start: str, end: str) -> str:
    return AggsRequestBuilder.aggs(ticker, start, end).with_timespan("hour").url


def bars(ticker: str, *starts: int) -> dict[str, Any]:
    return {"json": AggsResponseBuilder(ticker).with_bars(*starts).build_json()}


def refusal(status: int, name: str | None = None) -> dict[str, Any]:
    return {"status_code": status, "json": template(name or str(status))}


def asked(requests_mock: rm.Mocker) -> list[str]:
    """The path of each request, in order."""
    return [request.path for request in requests_mock.request_history]


def path(url: str) -> str:
    return url.split("8999", 1)[1].lower()


def traces_and_states(output: EntrypointOutput) -> list[str]:
    """'STATE' or the trace's type ('ERROR', 'STREAM_STATUS', ...) of each such message."""
    kinds: list[str] = []
    for message in output.get_message_iterator():
        if message.type == Type.STATE:
            kinds.append("STATE")
        elif message.type == Type.TRACE:
            kinds.append(message.trace.type.value)  # type: ignore[union-attr]
    return kinds


def test_given_the_middle_ticker_refused_when_read_then_the_others_are_read_and_saved_then_one_config_error(  # noqa: E501
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(daily_url("AAPL"), [bars("AAPL", FRI_2024_03_08)])
    requests_mock.get(daily_url("MSFT"), [refusal(403)])
    requests_mock.get(daily_url("NVDA"), [bars("NVDA", FRI_2024_03_08)])

    output = read_stream(
        ConfigBuilder().with_tickers("AAPL", "MSFT", "NVDA").build(), expect_failure=True
    )

    assert [(r["stock_ticker"], r["timestamp"], r["close"]) for r in records(output)] == [
        ("AAPL", "2024-03-08T05:00:00Z", 172.75),
        ("NVDA", "2024-03-08T05:00:00Z", 172.75),
    ]
    aapl = saved_state(AAPL="2024-03-08T05:00:00Z")
    both = saved_state(AAPL="2024-03-08T05:00:00Z", NVDA="2024-03-08T05:00:00Z")
    # One checkpoint per window, as in any sync; MSFT's refused window leaves the state as it was.
    assert states(output) == [aapl, aapl, both]
    assert asked(requests_mock) == [path(daily_url(t)) for t in ("AAPL", "MSFT", "NVDA")]
    # The stream's one error. The CDK's test wrapper prints the error a read ends with too: the
    # summary naming the failed streams (cdk/failures.py), which `run` does not print.
    assert error_traces(output) == [
        (
            FailureType.config_error,
            refused("MSFT", 3, f"{NOT_IN_PLAN} {ADVICE}"),
        ),
        (
            FailureType.config_error,
            SUMMARY,
        ),
    ]
    # Every STATE is out before the error, and the stream is not reported complete.
    sequence = traces_and_states(output)
    assert max(i for i, kind in enumerate(sequence) if kind == "STATE") < sequence.index("ERROR")
    assert output.get_stream_statuses(STREAM) == [
        AirbyteStreamStatus.STARTED,
        AirbyteStreamStatus.RUNNING,
        AirbyteStreamStatus.INCOMPLETE,
    ]
    assert log_messages(output, "WARN") == [
        "MSFT: refused from 2024-03-01 to 2024-03-11 (reason above). Its later pages are "
        "skipped; the other tickers are read, then the sync fails naming MSFT."
    ]
    assert API_KEY not in all_output(output)


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        pytest.param(
            refusal(403, "403_timeframe"),
            not_in_plan("Your plan doesn't include this data timeframe.", bars_of("MSFT")),
            id="403-timeframe",
        ),
        pytest.param(
            refusal(400),
            cannot_serve(BAD_FROM, bars_of("MSFT")),
            id="400",
        ),
        pytest.param(
            {"status_code": 403, "text": "<html>Forbidden</html>", "reason": "Forbidden"},
            "The API key works, but the plan does not cover MSFT day bars from 2024-03-01 to "
            "2024-03-11: HTTP 403 Forbidden. Choose a timespan and start_date your plan "
            "includes, or upgrade the plan.",
            id="403-from-a-proxy-without-json",
        ),
    ],
)
def test_given_a_400_or_another_403_when_read_then_refused_like_a_plan_without_the_ticker(
    requests_mock: rm.Mocker, answer: dict[str, Any], reason: str
) -> None:
    requests_mock.get(daily_url("MSFT"), [answer])
    requests_mock.get(daily_url("AAPL"), [bars("AAPL", FRI_2024_03_08)])

    output = read_stream(ConfigBuilder().with_tickers("MSFT", "AAPL").build(), expect_failure=True)

    assert [r["stock_ticker"] for r in records(output)] == ["AAPL"]
    assert states(output) == [saved_state(), saved_state(AAPL="2024-03-08T05:00:00Z")]
    assert error_traces(output)[0] == (
        FailureType.config_error,
        refused("MSFT", 2, f"{reason} {ADVICE}"),
    )
    assert requests_mock.call_count == 2


@pytest.mark.parametrize(
    ("answer", "message"),
    [
        pytest.param(refusal(401), UNKNOWN_KEY, id="401-the-key"),
        pytest.param(
            refusal(404),
            cannot_serve("The requested resource was not found.", bars_of("MSFT")),
            id="404-the-path",
        ),
    ],
)
@pytest.mark.parametrize(
    ("in_flight", "tickers_asked"),
    [
        # One request at a time: NVDA is never asked.
        pytest.param(1, ["AAPL", "MSFT"], id="one-at-a-time"),
        # All three at once: NVDA's page had been asked for already; it is not written.
        pytest.param(10, ["AAPL", "MSFT", "NVDA"], id="in-flight"),
    ],
)
def test_given_a_401_or_404_on_the_middle_ticker_when_read_then_stop_at_once(
    requests_mock: rm.Mocker,
    answer: dict[str, Any],
    message: str,
    in_flight: int,
    tickers_asked: list[str],
) -> None:
    """Every ticker would get the same answer: asking for each would only spend the plan's
    requests (5 a minute on the free plan)."""
    requests_mock.get(daily_url("AAPL"), [bars("AAPL", FRI_2024_03_08)])
    requests_mock.get(daily_url("MSFT"), [answer])
    requests_mock.get(daily_url("NVDA"), [bars("NVDA", FRI_2024_03_08)])

    config = ConfigBuilder().with_tickers("AAPL", "MSFT", "NVDA")
    output = read_stream(
        config.with_field("max_concurrent_requests", in_flight).build(), expect_failure=True
    )

    written = [r["stock_ticker"] for r in records(output)]
    friday = "2024-03-08T05:00:00Z"
    if in_flight == 1:
        assert written == ["AAPL"]
        assert states(output) == [saved_state(AAPL=friday)]
    else:  # NVDA's page is written only if it arrived before MSFT's answer: never after
        assert written in (["AAPL"], ["AAPL", "NVDA"], ["NVDA", "AAPL"])
        cursors: dict[str, str] = dict.fromkeys(written, friday)
        assert states(output)[-1] == saved_state("day", 1, True, **cursors)
    assert error_traces(output)[0] == (FailureType.config_error, message)
    assert sorted(asked(requests_mock)) == [path(daily_url(t)) for t in tickers_asked]
    assert output.get_stream_statuses(STREAM)[-1] == AirbyteStreamStatus.INCOMPLETE


def paged(ticker: str, start: int, following: str) -> dict[str, Any]:
    """A page of one hour bar whose next_url points at `following` (a path)."""
    page = AggsResponseBuilder(ticker).with_bars(start)
    page.with_next_url(f"https://api.polygon.io{following}?cursor=Y3Vyc29yMg")
    return {"json": page.build_json()}


def test_given_a_ticker_refused_on_its_first_page_when_read_then_no_later_page_is_asked(
    requests_mock: rm.Mocker,
) -> None:
    """Hour bars from 2023-12-01 to 2024-03-08: each ticker's whole range is asked at once."""
    whole = ("2023-12-01", "2024-03-08")
    aapl_next = AggsRequestBuilder.aggs("AAPL", "1708030800000", "2024-03-08").with_timespan("hour")
    requests_mock.get(hourly_url("MSFT", *whole), [refusal(403)])
    requests_mock.get(
        hourly_url("AAPL", *whole), [paged("AAPL", THU_2024_02_15_15H, aapl_next.path)]
    )
    requests_mock.get(aapl_next.url, [bars("AAPL", THU_2024_03_07_15H)])
    config = (
        ConfigBuilder()
        .with_tickers("MSFT", "AAPL")
        .with_timespan("hour")
        .with_dates(*whole)
        .build()
    )

    output = read_stream(config, expect_failure=True)

    assert asked(requests_mock) == [
        path(hourly_url("MSFT", *whole)),
        path(hourly_url("AAPL", *whole)),
        path(aapl_next.url),
    ]
    assert [(r["stock_ticker"], r["timestamp"]) for r in records(output)] == [
        ("AAPL", "2024-02-15T20:00:00Z"),
        ("AAPL", "2024-03-07T20:00:00Z"),
    ]
    # A checkpoint after each page, the refused one too, as after an empty page.
    assert states(output) == [
        saved_state("hour"),
        saved_state("hour", AAPL="2024-02-15T20:00:00Z"),
        saved_state("hour", AAPL="2024-03-07T20:00:00Z"),
    ]
    failure_type, message = error_traces(output)[0]
    assert failure_type == FailureType.config_error
    msft = bars_of("MSFT", "hour", *whole)
    assert message.startswith(
        refused("MSFT", 2, f"The API key works, but the plan does not cover {msft}:")
    )


def test_given_a_ticker_refused_on_its_second_page_when_read_then_its_first_is_saved(
    requests_mock: rm.Mocker,
) -> None:
    """MSFT's plan stops covering it at its second page: its cursor stays on the first page's
    last bar, for the next sync to resume from, and no later page is asked."""
    dec_13_15h = 1702497600000
    second = AggsRequestBuilder.aggs("MSFT", "1702501200000", "2024-03-08").with_timespan("hour")
    requests_mock.get(
        hourly_url("MSFT", "2023-10-02", "2024-03-08"), [paged("MSFT", dec_13_15h, second.path)]
    )
    requests_mock.get(second.url, [refusal(403)])
    config = (
        ConfigBuilder()
        .with_tickers("MSFT")
        .with_timespan("hour")
        .with_dates("2023-10-02", "2024-03-08")
        .build()
    )

    output = read_stream(config, expect_failure=True)

    assert asked(requests_mock) == [
        path(hourly_url("MSFT", "2023-10-02", "2024-03-08")),
        path(second.url),
    ]
    assert [r["timestamp"] for r in records(output)] == ["2023-12-13T20:00:00Z"]
    saved = saved_state("hour", MSFT="2023-12-13T20:00:00Z")
    assert states(output) == [saved, saved]
    # One ticker configured: the API's words alone, as when a refusal stopped the sync.
    assert error_traces(output)[0] == (
        FailureType.config_error,
        "The API key works, but the plan does not cover MSFT hour bars from "
        f"2023-12-13T21:00:00Z to 2024-03-08: {NOT_ENTITLED}",
    )


def test_given_every_ticker_refused_when_read_then_one_error_quoting_each(
    requests_mock: rm.Mocker,
) -> None:
    requests_mock.get(daily_url("MSFT"), [refusal(403)])
    requests_mock.get(daily_url("TSLA"), [refusal(403, "403_timeframe")])

    output = read_stream(ConfigBuilder().with_tickers("MSFT", "TSLA").build(), expect_failure=True)

    assert records(output) == []
    assert error_traces(output)[0] == (
        FailureType.config_error,
        "The API refused all 2 tickers (MSFT, TSLA). The API key works, but the plan does not "
        f"cover MSFT day bars from 2024-03-01 to 2024-03-11: {NOT_ENTITLED} The API key works, "
        "but the plan does not cover TSLA day bars from 2024-03-01 to 2024-03-11: Your plan "
        "doesn't include this data timeframe. Please upgrade your plan at "
        "https://polygon.io/pricing. Choose a timespan and start_date your plan includes, or "
        f"upgrade the plan. {ADVICE}",
    )
    assert requests_mock.call_count == 2

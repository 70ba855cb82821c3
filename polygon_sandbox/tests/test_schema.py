"""Real sandbox responses validate against the project's own response schemas.

Every endpoint, page, empty answer and JSON error the sandbox serves goes through the schemas in
polygon_sandbox/response_schemas, so a sandbox change that a client of the real API would notice
fails here. Each case also names the optional parts of the shape it shows, so no case passes
without reaching what it is there for.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import requests

from polygon_sandbox import Faults, Sandbox
from polygon_sandbox.response_schemas import (
    CUSTOM_BARS,
    GROUPED_DAILY,
    PREVIOUS_CLOSE,
    error_validator,
    validator,
)

from .helpers import DAILY, FREE, NOW, follow_pages, get

GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"
MINUTE_RANGE = "/v2/aggs/ticker/AAPL/range/1/minute/2024-02-29/2024-02-29"
# 2024-02-29 09:30 to 09:40 New York, as Unix ms: ten minutes of second bars.
OPEN_MS = int(datetime(2024, 2, 29, 14, 30, tzinfo=timezone.utc).timestamp() * 1000)


@pytest.fixture(scope="module")
def served() -> Iterator[Sandbox]:
    """One sandbox for the read-only 200 cases: it builds its market once, not once per case."""
    with Sandbox(now=NOW) as sb:
        yield sb


def _shape(bodies: list[dict[str, Any]]) -> set[str]:
    """Which optional parts of the documented shape these bodies show."""
    bars = [bar for body in bodies for bar in body.get("results", [])]
    seen = {key for body in bodies for key in ("next_url", "count") if key in body}
    seen |= {f"no {key}" for bar in bars for key in ("vw", "n") if key not in bar}
    if any(bar.get("otc") for bar in bars):
        seen.add("otc")
    if any(body["resultsCount"] == 0 for body in bodies):
        seen.add("empty")
    return seen


def _check_counts(body: dict[str, Any]) -> None:
    """What no schema can say: resultsCount counts the bars served."""
    assert body["resultsCount"] == len(body.get("results", []))


@pytest.mark.parametrize(
    ("path", "params", "pages", "shape"),
    [
        ("AAPL/range/1/day/2024-01-02/2024-02-29", {"limit": 5}, 9, {"next_url"}),
        # Backwards from today, whose bars are still forming.
        (
            "MSFT/range/15/minute/2024-02-29/2024-03-01",
            {"sort": "desc", "limit": 900},
            2,
            {"next_url"},
        ),
        ("AAPL/range/1/day/2015-01-01/2024-03-01", {"limit": 50000}, 1, {"no vw", "no n"}),
        ("NVDA/range/1/week/2023-01-01/2024-03-01", {"adjusted": "false"}, 1, set()),
        ("TCEHY/range/1/day/2024-02-01/2024-02-29", {}, 1, {"otc"}),
        (
            f"META/range/2/second/{OPEN_MS}/{OPEN_MS + 599_999}",
            {"limit": 3},
            4,
            {"next_url", "count"},
        ),
        ("SPY/range/1/hour/2024-02-26/2024-03-01", {"limit": 2000}, 3, {"next_url"}),
        ("GOOGL/range/1/month/2020-01-01/2024-03-01", {}, 1, {"count"}),
        ("AMZN/range/1/quarter/2015-01-01/2024-03-01", {}, 1, set()),
        ("TSLA/range/1/year/2015-01-01/2024-03-01", {}, 1, set()),
        ("NOPE/range/1/day/2024-01-02/2024-02-29", {}, 1, {"empty"}),  # unknown ticker
        ("AAPL/range/1/day/2024-01-13/2024-01-15", {}, 1, {"empty"}),  # weekend + holiday
        ("AAPL/range/1/day/2010-01-01/2014-12-31", {}, 1, {"empty"}),  # before the history
        ("AAPL/range/1/minute/2024-03-04/2024-03-05", {}, 1, {"empty"}),  # after now
    ],
)
def test_every_page_of_custom_bars(
    served: Sandbox,
    http: requests.Session,
    path: str,
    params: dict[str, Any],
    pages: int,
    shape: set[str],
) -> None:
    bodies = follow_pages(http, f"{served.url}/v2/aggs/ticker/{path}", **params)
    for body in bodies:
        validator(CUSTOM_BARS).validate(body)
        _check_counts(body)
    assert len(bodies) == pages
    assert shape <= _shape(bodies)


def test_the_api_key_sent_as_a_parameter_stays_out_of_next_url(
    served: Sandbox, http: requests.Session
) -> None:
    url = f"{served.url}/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"
    query: dict[str, str | int] = {
        "apiKey": "sandbox-unlimited-key",
        "adjusted": "false",
        "limit": 5,
    }
    body = http.get(url, params=query).json()
    validator(CUSTOM_BARS).validate(body)  # next_url carries the cursor alone
    assert "next_url" in body


@pytest.mark.parametrize(
    ("ticker", "params", "shape"),
    [
        ("AAPL", {}, set()),
        ("NVDA", {"adjusted": "false"}, set()),
        ("TCEHY", {}, {"otc"}),
        ("NOPE", {}, {"empty"}),
    ],
)
def test_previous_close(
    served: Sandbox, http: requests.Session, ticker: str, params: dict[str, Any], shape: set[str]
) -> None:
    body = get(http, f"{served.url}/v2/aggs/ticker/{ticker}/prev", **params).json()
    validator(PREVIOUS_CLOSE).validate(body)
    _check_counts(body)
    assert shape <= _shape([body])


@pytest.mark.parametrize(
    ("day", "params", "shape"),
    [
        ("2024-02-29", {}, set()),
        ("2024-02-29", {"include_otc": "true", "adjusted": "false"}, {"otc"}),
        ("2024-03-01", {}, set()),  # today: bars still forming
        ("2024-03-02", {}, {"empty"}),  # Saturday
        ("2024-03-04", {}, {"empty"}),  # after now
    ],
)
def test_grouped_daily(
    served: Sandbox, http: requests.Session, day: str, params: dict[str, Any], shape: set[str]
) -> None:
    body = get(http, served.url + GROUPED + day, **params).json()
    validator(GROUPED_DAILY).validate(body)
    _check_counts(body)
    assert shape <= _shape([body])


def test_the_bars_leave_out_vw_and_n_in_grouped_daily_too(
    served: Sandbox, http: requests.Session
) -> None:
    """One date's bars are too few to be sure of a missing vw: a month of dates is not."""
    bodies = [get(http, f"{served.url}{GROUPED}2024-02-{day:02d}").json() for day in range(1, 30)]
    for body in bodies:
        validator(GROUPED_DAILY).validate(body)
    assert {"no vw", "no n", "empty"} <= _shape(bodies)


@pytest.mark.parametrize(
    ("method", "path", "headers", "params", "status"),
    [
        ("GET", MINUTE_RANGE, {}, {}, 401),  # no key
        ("GET", MINUTE_RANGE, {"Authorization": "Bearer nope"}, {}, 401),
        ("GET", MINUTE_RANGE, {}, {"apiKey": "nope"}, 401),
        ("GET", MINUTE_RANGE, DAILY, {}, 403),  # not entitled to intraday bars
        ("GET", "/v2/aggs/ticker/AAPL/range/1/day/2021-01-04/2024-02-29", FREE, {}, 403),
        ("GET", GROUPED + "2020-03-02", FREE, {}, 403),  # beyond the plan's history
        ("GET", "/v2/aggs/ticker/AAPL/range/1/day/2024-13-01/2024-02-29", None, {}, 400),
        ("GET", "/v2/aggs/ticker/AAPL/range/1/day/2024-03-01/2024-02-01", None, {}, 400),
        ("GET", "/v2/aggs/ticker/AAPL/range/1/days/2024-01-01/2024-02-29", None, {}, 400),
        ("GET", "/v2/aggs/ticker/AAPL/range/0/day/2024-01-01/2024-02-29", None, {}, 400),
        ("GET", MINUTE_RANGE, None, {"limit": "many"}, 400),
        ("GET", MINUTE_RANGE, None, {"sort": "up"}, 400),
        ("GET", MINUTE_RANGE, None, {"adjusted": "maybe"}, 400),
        ("GET", MINUTE_RANGE, None, {"cursor": "_w"}, 400),  # not UTF-8 once decoded
        ("GET", "/v2/aggs/ticker/AAPL/prev", None, {"adjusted": "maybe"}, 400),
        ("GET", GROUPED + "yesterday", None, {}, 400),
        ("GET", "/v2/nothing", None, {}, 404),
        ("GET", "/v3/reference/nothing", None, {}, 404),
        ("POST", "/v2/aggs/ticker/AAPL/prev", None, {}, 404),
    ],
)
def test_error_bodies(
    sandbox: Sandbox,
    http: requests.Session,
    method: str,
    path: str,
    headers: dict[str, str] | None,
    params: dict[str, Any],
    status: int,
) -> None:
    sent = {"Authorization": "Bearer sandbox-unlimited-key"} if headers is None else headers
    response = http.request(method, sandbox.url + path, headers=sent, params=params)
    assert response.status_code == status
    assert response.headers["Content-Type"] == "application/json"
    error_validator(status).validate(response.json())


def test_rate_limit_bodies_of_the_plan_and_of_the_fault(http: requests.Session) -> None:
    with Sandbox(now=NOW, faults=Faults(rate_limit=1, retry_after=True)) as sb:
        responses = [get(http, sb.url + MINUTE_RANGE) for _ in range(2)]
        assert [r.status_code for r in responses] == [200, 429]
        assert "Retry-After" in responses[1].headers
        error_validator(429).validate(responses[1].json())
    with Sandbox(now=NOW) as sb:  # the free plan's own 5 a minute
        url = sb.url + "/v2/aggs/ticker/AAPL/prev"
        responses = [get(http, url, headers=FREE) for _ in range(6)]
        assert [r.status_code for r in responses] == [200] * 5 + [429]
        error_validator(429).validate(responses[5].json())


def test_forbidden_ticker_body(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_faults(Faults(forbid_ticker="AAPL", forbid_after=1))
    responses = [get(http, sandbox.url + MINUTE_RANGE) for _ in range(2)]
    assert [r.status_code for r in responses] == [200, 403]
    error_validator(403).validate(responses[1].json())


def test_server_errors_are_json_from_the_api_and_html_from_gateways(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.set_faults(Faults(error_rate=1.0))
    by_status = {}
    for _ in range(40):
        response = get(http, sandbox.url + MINUTE_RANGE)
        by_status[response.status_code] = response
    assert sorted(by_status) == [500, 502, 503, 504]
    for status in (500, 503):
        error_validator(status).validate(by_status[status].json())
    for status in (502, 504):
        assert by_status[status].headers["Content-Type"] == "text/html"
        assert by_status[status].text.startswith("<html>")

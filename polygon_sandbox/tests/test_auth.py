"""Keys, plans and their limits: header vs query auth, 401/403/429 bodies."""

from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from polygon_sandbox import FREE_HISTORY_DAYS, Plan, Sandbox

from .helpers import DAILY, FREE, NOW, UNLIMITED, get

PREV = "/v2/aggs/ticker/AAPL/prev"
DAILY_RANGE = "/v2/aggs/ticker/AAPL/range/1/day/2024-02-01/2024-02-29"
MINUTE_RANGE = "/v2/aggs/ticker/AAPL/range/1/minute/2024-02-29/2024-02-29"
UPGRADE = "Please upgrade your plan at https://polygon.io/pricing"


@pytest.fixture
def fast_window() -> Iterator[Sandbox]:
    """Rate windows of 0.5 s instead of a minute."""
    with Sandbox(now=NOW, rate_window_seconds=0.5) as sb:
        yield sb


def test_bearer_header_and_query_key_both_work(sandbox: Sandbox, http: requests.Session) -> None:
    assert get(http, sandbox.url + PREV).status_code == 200
    by_query = http.get(sandbox.url + PREV, params={"apiKey": "sandbox-unlimited-key"})
    assert by_query.status_code == 200
    header, query = sandbox.requests
    assert (header.auth, header.api_key_valid) == ("header", True)
    assert (query.auth, query.api_key_valid) == ("query", True)
    assert "apiKey=sandbox-unlimited-key" in query.url and query.url == f"{PREV}?{query.query}"


def test_missing_key_is_401(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.get(sandbox.url + DAILY_RANGE)
    assert response.status_code == 401
    body = response.json()
    assert body["status"] == "ERROR" and body["error"] == "API Key was not provided"
    assert len(body["request_id"]) == 32
    assert sandbox.requests[-1].auth is None and not sandbox.requests[-1].api_key_valid


def test_unknown_key_is_401(sandbox: Sandbox, http: requests.Session) -> None:
    for headers, params in (({"Authorization": "Bearer wrong"}, {}), ({}, {"apiKey": "wrong"})):
        response = http.get(sandbox.url + DAILY_RANGE, headers=headers, params=params)
        assert response.status_code == 401
        assert response.json()["error"] == "Unknown API Key"
    assert [r.auth for r in sandbox.requests] == ["header", "query"]
    assert not any(r.api_key_valid for r in sandbox.requests)


def test_malformed_authorization_header_counts_as_missing(
    sandbox: Sandbox, http: requests.Session
) -> None:
    response = http.get(sandbox.url + PREV, headers={"Authorization": "sandbox-unlimited-key"})
    assert response.status_code == 401
    assert response.json()["error"] == "API Key was not provided"


def test_daily_plan_has_no_intraday_bars(sandbox: Sandbox, http: requests.Session) -> None:
    response = get(http, sandbox.url + MINUTE_RANGE, headers=DAILY)
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == "NOT_AUTHORIZED"
    assert body["message"] == f"You are not entitled to this data. {UPGRADE}"
    assert get(http, sandbox.url + DAILY_RANGE, headers=DAILY).status_code == 200
    url = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/hour/2024-02-29/2024-02-29"
    assert get(http, url, headers=DAILY).status_code == 403


def test_free_plan_history_is_limited(sandbox: Sandbox, http: requests.Session) -> None:
    old = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2021-01-04/2024-02-29"
    response = get(http, old, headers=FREE)
    assert response.status_code == 403
    body = response.json()
    assert body["status"] == "NOT_AUTHORIZED"
    assert body["message"] == f"Your plan doesn't include this data timeframe. {UPGRADE}"
    assert get(http, old).status_code == 200  # the unlimited key reaches back to 2015
    assert FREE_HISTORY_DAYS == 730
    recent = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2022-03-02/2024-02-29"
    assert get(http, recent, headers=FREE).status_code == 200
    too_old = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2022-03-01/2024-02-29"
    assert get(http, too_old, headers=FREE).status_code == 403
    grouped = sandbox.url + "/v2/aggs/grouped/locale/us/market/stocks/2020-03-02"
    assert get(http, grouped, headers=FREE).status_code == 403


def test_free_plan_allows_five_requests_per_window(
    fast_window: Sandbox, http: requests.Session
) -> None:
    statuses = [get(http, fast_window.url + PREV, headers=FREE).status_code for _ in range(6)]
    assert statuses == [200] * 5 + [429]
    limited = get(http, fast_window.url + PREV, headers=FREE)
    assert limited.status_code == 429 and "Retry-After" not in limited.headers
    assert limited.json() == {
        "status": "ERROR",
        "request_id": limited.json()["request_id"],
        "error": "You've exceeded the maximum requests per minute, please wait or upgrade "
        "your subscription to continue.",
    }
    assert fast_window.requests[-1].fault is None  # the plan's own limit is not a fault
    # Other keys are not affected, and the window slides.
    assert get(http, fast_window.url + PREV).status_code == 200
    time.sleep(0.6)
    assert get(http, fast_window.url + PREV, headers=FREE).status_code == 200


def test_custom_keys_replace_the_built_in_ones(http: requests.Session) -> None:
    keys = {"mine": Plan(requests_per_window=None, history_days=10, intraday=False)}
    with Sandbox(now=NOW, keys=keys) as sb:
        assert get(http, sb.url + PREV, headers={"Authorization": "Bearer mine"}).status_code == 200
        assert get(http, sb.url + PREV, headers=UNLIMITED).status_code == 401
        old = sb.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"
        assert get(http, old, headers={"Authorization": "Bearer mine"}).status_code == 403


def test_next_url_never_carries_the_key(sandbox: Sandbox, http: requests.Session) -> None:
    url = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"
    params: dict[str, str | int] = {"apiKey": "sandbox-unlimited-key", "limit": 3}
    body = http.get(url, params=params).json()
    assert "sandbox-unlimited-key" not in body["next_url"]
    again = http.get(body["next_url"])  # following it without authenticating again fails
    assert again.status_code == 401


def test_rate_limit_holds_under_concurrency() -> None:
    # A window far longer than the burst takes, however loaded the machine is.
    with Sandbox(now=NOW, rate_window_seconds=60) as sandbox:

        def call(_: int) -> int:
            return requests.get(sandbox.url + PREV, headers=FREE, timeout=10).status_code

        with ThreadPoolExecutor(max_workers=10) as pool:
            codes = list(pool.map(call, range(10)))
    assert sorted(codes) == [200] * 5 + [429] * 5

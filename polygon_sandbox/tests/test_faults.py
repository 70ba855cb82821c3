"""Injected faults: each one, how it is recorded, and how it is switched on."""

from __future__ import annotations

import json
import time

import pytest
import requests

from polygon_sandbox import Faults, Sandbox

from .helpers import NOW, get

PREV = "/v2/aggs/ticker/AAPL/prev"
RANGE = "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"


def test_injected_rate_limit_applies_to_every_key_with_retry_after(
    http: requests.Session,
) -> None:
    faults = Faults(rate_limit=2, retry_after=True)
    with Sandbox(now=NOW, faults=faults, rate_window_seconds=30) as sb:
        statuses = [get(http, sb.url + PREV).status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = get(http, sb.url + PREV)
        assert limited.status_code == 429
        assert 1 <= int(limited.headers["Retry-After"]) <= 30
        assert "exceeded the maximum requests per minute" in limited.json()["error"]
        assert [r.fault for r in sb.requests] == [None, None, "rate_limit", "rate_limit"]
        sb.set_faults(Faults())  # switching faults off clears the injected limit
        assert get(http, sb.url + PREV).status_code == 200


def test_error_schedule_gives_502s(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_faults(Faults(error_schedule=[2, 3]))
    statuses = [get(http, sandbox.url + RANGE).status_code for _ in range(4)]
    assert statuses == [200, 502, 502, 200]
    assert [r.fault for r in sandbox.requests] == [None, "error", "error", None]
    assert [r.data_seq for r in sandbox.requests] == [1, 2, 3, 4]


def test_gateway_errors_are_html_and_api_errors_json(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.set_faults(Faults(error_rate=1.0))
    seen: dict[int, str] = {}
    for _ in range(40):
        response = get(http, sandbox.url + PREV)
        seen[response.status_code] = response.headers["Content-Type"]
        if response.status_code in (500, 503):
            assert response.json()["status"] == "ERROR"
    assert set(seen) == {500, 502, 503, 504}
    assert seen[502] == seen[504] == "text/html"


def test_error_rate_is_deterministic_for_a_seed(http: requests.Session) -> None:
    def run(seed: int) -> list[int]:
        with Sandbox(now=NOW, seed=seed, faults=Faults(error_rate=0.5)) as sb:
            return [get(http, sb.url + PREV).status_code for _ in range(20)]

    first = run(7)
    assert first == run(7)
    assert 200 in first and any(code >= 500 for code in first)


def test_slow_schedule_delays_the_response(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_faults(Faults(slow_schedule=[1], slow_seconds=0.3))
    started = time.monotonic()
    assert get(http, sandbox.url + PREV).status_code == 200
    assert time.monotonic() - started >= 0.3
    started = time.monotonic()
    get(http, sandbox.url + PREV)
    assert time.monotonic() - started < 0.3
    assert [r.fault for r in sandbox.requests] == ["slow", None]


def test_drop_closes_the_connection_without_a_response(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.set_faults(Faults(drop_schedule=[1]))
    with pytest.raises(requests.ConnectionError):
        get(http, sandbox.url + PREV)
    assert get(http, sandbox.url + PREV).status_code == 200
    dropped = sandbox.requests[0]
    assert (dropped.status, dropped.fault) == (0, "drop")


def test_truncate_sends_half_a_body(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_faults(Faults(truncate_schedule=[1]))
    response = get(http, sandbox.url + RANGE)
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) == len(response.content)
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)
    whole = get(http, sandbox.url + RANGE)
    assert len(whole.content) // 2 == len(response.content)
    assert [r.fault for r in sandbox.requests] == ["truncate", None]


def test_forbid_ticker_after_some_successes(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_faults(Faults(forbid_ticker="AAPL", forbid_after=2))
    codes = [get(http, sandbox.url + RANGE).status_code for _ in range(4)]
    assert codes == [200, 200, 403, 403]
    forbidden = get(http, sandbox.url + PREV)
    assert forbidden.status_code == 403
    assert forbidden.json()["message"].startswith("You are not entitled to this data.")
    assert get(http, sandbox.url + "/v2/aggs/ticker/MSFT/prev").status_code == 200
    assert [r.fault for r in sandbox.requests][2:5] == ["forbid", "forbid", "forbid"]


def test_clear_requests_restarts_numbering(sandbox: Sandbox, http: requests.Session) -> None:
    get(http, sandbox.url + PREV)
    get(http, sandbox.url + PREV)
    sandbox.clear_requests()
    sandbox.set_faults(Faults(error_schedule=[1]))
    assert get(http, sandbox.url + PREV).status_code == 502
    assert sandbox.requests[0].data_seq == 1


def test_faults_via_the_control_endpoint(sandbox: Sandbox, http: requests.Session) -> None:
    response = http.post(
        sandbox.url + "/_sandbox/control", json={"faults": {"error_schedule": [1]}}
    )
    assert response.status_code == 200
    assert response.json()["faults"]["error_schedule"] == [1]
    assert sandbox.faults.error_schedule == [1]
    assert get(http, sandbox.url + PREV).status_code == 502
    bad = http.post(sandbox.url + "/_sandbox/control", json={"faults": {"explode": True}})
    assert bad.status_code == 400 and "explode" in bad.json()["error"]
    bad = http.post(sandbox.url + "/_sandbox/control", json={"faults": {"error_rate": 2}})
    assert bad.status_code == 400


def test_faults_validate() -> None:
    with pytest.raises(ValueError):
        Faults.from_dict({"drop_rate": -0.1})
    with pytest.raises(ValueError):
        Faults.from_dict({"rate_limit": 0})
    assert Faults.from_dict({"forbid_ticker": "AAPL"}).forbid_ticker == "AAPL"

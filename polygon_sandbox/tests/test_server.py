"""The request log, the /_sandbox control endpoints, routing and the server lifecycle."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import requests

from polygon_sandbox import Sandbox

from .helpers import NOW, UNLIMITED, get


def test_request_log_records_what_was_received(sandbox: Sandbox, http: requests.Session) -> None:
    url = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-02-01/2024-02-29"
    get(http, url, adjusted="true", limit=5)
    http.get(sandbox.url + "/_sandbox/health")  # control calls are not logged
    (record,) = sandbox.requests
    assert record.seq == 1 and record.data_seq == 1
    assert record.method == "GET"
    assert record.path == "/v2/aggs/ticker/AAPL/range/1/day/2024-02-01/2024-02-29"
    assert record.query == "adjusted=true&limit=5"
    assert record.url == record.path + "?adjusted=true&limit=5"
    assert (record.auth, record.api_key_valid, record.status) == ("header", True, 200)
    assert (record.ticker, record.timespan, record.results_count) == ("AAPL", "day", 5)
    assert record.fault is None
    assert sandbox.data_requests() == [record]


def test_unknown_paths_are_404(sandbox: Sandbox, http: requests.Session) -> None:
    for path in ("/v3/trades/AAPL", "/v2/aggs/ticker/AAPL", "/favicon.ico"):
        response = get(http, sandbox.url + path)
        assert response.status_code == 404
        body = response.json()
        assert (body["status"], body["message"]) == ("NOT_FOUND", "Not found")
        assert body["request_id"]
    assert (
        http.post(sandbox.url + "/v2/aggs/ticker/AAPL/prev", headers=UNLIMITED).status_code == 404
    )
    assert [r.data_seq for r in sandbox.requests] == [None, 1, None, 2]
    assert len(sandbox.data_requests()) == 2


def test_control_endpoints(sandbox: Sandbox, http: requests.Session) -> None:
    health = http.get(sandbox.url + "/_sandbox/health").json()
    assert health["status"] == "OK" and health["now"] == NOW.isoformat()
    get(http, sandbox.url + "/v2/aggs/ticker/AAPL/prev")
    logged = http.get(sandbox.url + "/_sandbox/requests").json()
    assert [r["path"] for r in logged] == ["/v2/aggs/ticker/AAPL/prev"]
    assert logged[0]["auth"] == "header" and logged[0]["ticker"] == "AAPL"
    assert http.post(sandbox.url + "/_sandbox/requests/clear").status_code == 200
    assert http.get(sandbox.url + "/_sandbox/requests").json() == []

    moved = http.post(sandbox.url + "/_sandbox/control", json={"now": "2024-03-04T15:00:00Z"})
    assert moved.json()["now"] == "2024-03-04T15:00:00+00:00"
    http.post(sandbox.url + "/_sandbox/control", json={"advance_days": 1, "advance_hours": 2})
    assert sandbox.now == datetime(2024, 3, 5, 17, 0, tzinfo=timezone.utc)
    assert http.post(sandbox.url + "/_sandbox/control", data=b"[1]").status_code == 400
    assert http.post(sandbox.url + "/_sandbox/control", json={"bogus": 1}).status_code == 400
    assert http.get(sandbox.url + "/_sandbox/nothing").status_code == 404


def test_clock_moves_only_when_told(sandbox: Sandbox) -> None:
    assert sandbox.now == NOW
    sandbox.advance(days=1, hours=3)
    assert sandbox.now == NOW + timedelta(days=1, hours=3)
    sandbox.set_now(datetime(2024, 1, 2, 12, 0))  # naive means UTC
    assert sandbox.now == datetime(2024, 1, 2, 12, 0, tzinfo=timezone.utc)


def test_live_clock_by_default() -> None:
    sb = Sandbox()
    assert abs((sb.now - datetime.now(timezone.utc)).total_seconds()) < 5


def test_start_stop_and_url() -> None:
    sb = Sandbox(now=NOW)
    sb.start()
    try:
        assert sb.url.startswith("http://127.0.0.1:") and not sb.url.endswith("/")
        assert sb.port > 0
        assert requests.get(sb.url + "/_sandbox/health", timeout=5).status_code == 200
    finally:
        sb.stop()
    sb.stop()  # idempotent


def test_next_url_uses_the_host_header(sandbox: Sandbox, http: requests.Session) -> None:
    url = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29"
    body = http.get(url, headers={**UNLIMITED, "Host": "api.example.test"}, params={"limit": 2})
    assert body.json()["next_url"].startswith("http://api.example.test/v2/aggs/ticker/AAPL/")

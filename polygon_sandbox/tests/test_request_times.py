"""The request log's arrival times: on the clock the rate windows use, so tests can check the
spacing the API saw."""

from __future__ import annotations

import time

import requests

from polygon_sandbox import Sandbox

from .helpers import FREE, get


def test_each_request_is_logged_with_its_arrival_on_the_monotonic_clock(
    sandbox: Sandbox, http: requests.Session
) -> None:
    before = time.monotonic()
    get(http, sandbox.url + "/v2/aggs/ticker/AAPL/range/1/day/2024-02-26/2024-03-01")
    between = time.monotonic()
    get(http, sandbox.url + "/v2/aggs/ticker/MSFT/range/1/day/2024-02-26/2024-03-01", FREE)
    after = time.monotonic()

    first, second = sandbox.requests
    assert before <= first.received_at <= between <= second.received_at <= after
    logged = http.get(sandbox.url + "/_sandbox/requests").json()
    assert [r["received_at"] for r in logged] == [first.received_at, second.received_at]

"""Timing sanity check (printed, not asserted): one 50000-minute-bar page over HTTP."""

from __future__ import annotations

import time

import requests

from polygon_sandbox import Sandbox

from .helpers import get


def test_a_50000_minute_bar_page(sandbox: Sandbox, http: requests.Session) -> None:
    url = sandbox.url + "/v2/aggs/ticker/AMZN/range/1/minute/2023-06-01/2024-03-01"
    get(http, sandbox.url + "/v2/aggs/ticker/AMZN/prev")  # load the calendar and daily walk
    started = time.perf_counter()
    response = get(http, url, limit=50_000)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    again = get(http, url, limit=50_000)
    warm = time.perf_counter() - started
    started = time.perf_counter()
    body = again.json()
    parse = time.perf_counter() - started
    assert response.status_code == 200 and body["resultsCount"] == 50_000
    print(
        f"\n50000-minute-bar page: {cold:.3f}s cold (generating 52 trading days), "
        f"{warm:.3f}s with the days cached, {len(again.content) / 1e6:.1f} MB, "
        f"client json parse {parse:.3f}s"
    )

"""Bodies validate against the vendor's OpenAPI (3.0.3) response schemas."""

from __future__ import annotations

from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator

from polygon_sandbox import OTC_TICKERS, Sandbox

from .helpers import DAILY, get

RANGE_PATH = "/v2/aggs/ticker/{stocksTicker}/range/{multiplier}/{timespan}/{from}/{to}"
PREV_PATH = "/v2/aggs/ticker/{stocksTicker}/prev"
GROUPED_PATH = "/v2/aggs/grouped/locale/us/market/stocks/{date}"

# The vendor file documents no error schema ("default: Unexpected error"); polygon-api.md says
# every error body carries `status` and `request_id`, plus `error` or `message`.
ERROR_SCHEMA = {
    "type": "object",
    "required": ["status", "request_id"],
    "properties": {
        "status": {"type": "string", "enum": ["ERROR", "NOT_AUTHORIZED", "NOT_FOUND"]},
        "request_id": {"type": "string"},
        "error": {"type": "string"},
        "message": {"type": "string"},
    },
    "oneOf": [{"required": ["error"]}, {"required": ["message"]}],
}


def _validator(openapi: dict[str, Any], path: str) -> OAS30Validator:
    schema = openapi["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]
    return OAS30Validator(schema["schema"])


@pytest.mark.parametrize(
    ("path", "params"),
    [
        ("/v2/aggs/ticker/AAPL/range/1/day/2024-01-02/2024-02-29", {"limit": 5}),  # next_url
        ("/v2/aggs/ticker/AAPL/range/1/day/2015-01-01/2024-03-01", {}),  # bars without vw/n
        ("/v2/aggs/ticker/MSFT/range/15/minute/2024-02-29/2024-03-01", {"sort": "desc"}),
        ("/v2/aggs/ticker/NVDA/range/1/week/2023-01-01/2024-03-01", {"adjusted": "false"}),
        (f"/v2/aggs/ticker/{OTC_TICKERS[0]}/range/1/day/2024-02-01/2024-02-29", {}),
        ("/v2/aggs/ticker/AAPL/range/2/second/2024-02-29/2024-02-29", {"limit": 3}),
        ("/v2/aggs/ticker/NOPE/range/1/day/2024-01-02/2024-02-29", {}),  # empty
        ("/v2/aggs/ticker/AAPL/range/1/day/2024-01-13/2024-01-15", {}),  # empty
    ],
)
def test_range_bodies(
    openapi: dict[str, Any],
    sandbox: Sandbox,
    http: requests.Session,
    path: str,
    params: dict[str, Any],
) -> None:
    response = get(http, sandbox.url + path, **params)
    assert response.status_code == 200
    body = response.json()
    _validator(openapi, RANGE_PATH).validate(body)
    assert body["status"] == "OK"
    if body["resultsCount"] == 0:
        assert "results" not in body


def test_the_validator_does_reject_broken_bodies(openapi: dict[str, Any]) -> None:
    validator = _validator(openapi, RANGE_PATH)
    bar = {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1.0, "t": 1}
    good = {"ticker": "X", "status": "OK", "adjusted": True, "queryCount": 1, "resultsCount": 1}
    good.update({"request_id": "r", "results": [bar]})
    validator.validate(good)
    broken = {**good, "results": [{"h": 1, "l": 1, "c": 1, "v": 1.0, "t": 1}]}
    assert not validator.is_valid(broken)
    assert not validator.is_valid({k: v for k, v in good.items() if k != "request_id"})


def test_prev_and_grouped_bodies(
    openapi: dict[str, Any], sandbox: Sandbox, http: requests.Session
) -> None:
    for ticker in ("AAPL", "NOPE"):
        body = get(http, f"{sandbox.url}/v2/aggs/ticker/{ticker}/prev").json()
        _validator(openapi, PREV_PATH).validate(body)
    grouped = _validator(openapi, GROUPED_PATH)
    cases: list[tuple[str, dict[str, Any]]] = [
        ("2024-02-29", {}),
        ("2024-02-29", {"include_otc": "true"}),
        ("2024-03-02", {}),
    ]
    for day, params in cases:
        body = get(http, f"{sandbox.url}/v2/aggs/grouped/locale/us/market/stocks/{day}", **params)
        grouped.validate(body.json())


def test_error_bodies(openapi: dict[str, Any], sandbox: Sandbox, http: requests.Session) -> None:
    responses = openapi["paths"][RANGE_PATH]["get"]["responses"]
    assert "content" not in responses["default"]  # nothing more specific to validate against
    validator = OAS30Validator(ERROR_SCHEMA)
    url = sandbox.url + "/v2/aggs/ticker/AAPL/range/1/minute/2024-02-29/2024-02-29"
    cases = [
        (http.get(url), 401),
        (get(http, url, headers={"Authorization": "Bearer nope"}), 401),
        (get(http, url, headers=DAILY), 403),
        (get(http, url.replace("2024-02-29/", "someday/")), 400),
        (get(http, sandbox.url + "/v2/nothing"), 404),
    ]
    for response, status in cases:
        assert response.status_code == status
        validator.validate(response.json())

"""The response schemas reject the sandbox regressions they are there to catch.

Each case takes a real sandbox body, breaks it the way a regression would, and names where the
schema must object (JSON path) and which rule objects (the JSON Schema keyword).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests

from polygon_sandbox import Sandbox
from polygon_sandbox.response_schemas import (
    CUSTOM_BARS,
    GROUPED_DAILY,
    PREVIOUS_CLOSE,
    error_validator,
    registry,
    validator,
)

from .helpers import DAILY, NOW, get

Body = dict[str, Any]
Breaks = Callable[[Body], None]
RANGE = "/v2/aggs/ticker/{}/range/1/day/2024-02-01/2024-02-29"


@pytest.fixture(scope="module")
def bodies() -> Iterator[dict[str, Body]]:
    """A real body of each kind, as the sandbox serves it today (grouped: built from prev)."""
    with Sandbox(now=NOW) as sb, requests.Session() as http:
        minute = sb.url + "/v2/aggs/ticker/AAPL/range/1/minute/2024-02-29/2024-02-29"
        prev = get(http, sb.url + "/v2/aggs/ticker/AAPL/prev").json()
        yield {
            "page": get(http, sb.url + RANGE.format("AAPL"), limit=5).json(),
            "otc": get(http, sb.url + RANGE.format("TCEHY")).json(),
            "prev": prev,
            # A grouped body of one bar: a real one costs seconds (every ticker's history).
            "grouped": {key: value for key, value in prev.items() if key != "ticker"},
            "401": get(http, minute, headers={}).json(),
            "403": get(http, minute, headers=DAILY).json(),
            "404": get(http, sb.url + "/v2/nothing").json(),
        }


def _emptied(results: Any) -> Breaks:
    """The page as an empty range that still sends `results`, with this value."""

    def breaks(body: Body) -> None:
        body.update(resultsCount=0, queryCount=0, results=results)
        del body["next_url"]

    return breaks


def _set(key: str, value: Any) -> Breaks:
    return lambda body: body.update({key: value})


def _bar(key: str, value: Any) -> Breaks:
    return lambda body: body["results"][0].update({key: value})


def _drop(key: str) -> Breaks:
    return lambda body: body.pop(key)


def _drop_from_bar(key: str) -> Breaks:
    return lambda body: body["results"][0].pop(key)


def _next_url(change: Callable[[str], str]) -> Breaks:
    return lambda body: body.update(next_url=change(body["next_url"]))


def _second_bar(body: Body) -> None:
    body["results"].append(body["results"][0])


# (case, base body, how it breaks, where the schema must object, which rule objects)
PAGE_BREAKS: list[tuple[str, str, Breaks, str, str]] = [
    ("bar without c", "page", _drop_from_bar("c"), "$.results[0]", "required"),
    ("bar without t", "page", _drop_from_bar("t"), "$.results[0]", "required"),
    ("close as text", "page", _bar("c", "187.5"), "$.results[0].c", "type"),
    ("vw as null", "page", _bar("vw", None), "$.results[0].vw", "type"),
    ("fractional n", "page", _bar("n", 12.5), "$.results[0].n", "type"),
    ("fractional t", "page", _bar("t", 1706763600000.5), "$.results[0].t", "type"),
    ("t off a second", "page", _bar("t", 1706763600001), "$.results[0].t", "multipleOf"),
    ("otc false", "page", _bar("otc", False), "$.results[0].otc", "const"),
    ("otc as text", "otc", _bar("otc", "true"), "$.results[0].otc", "const"),
    ("unknown bar field", "page", _bar("T", "AAPL"), "$.results[0]", "unevaluatedProperties"),
    ("results null", "page", _emptied(None), "$.results", "type"),
    ("results empty list", "page", _emptied([]), "$.results", "minItems"),
    ("results but count 0", "page", _set("resultsCount", 0), "$", "not"),
    ("count but no results", "page", _drop("results"), "$", "required"),
    ("no request_id", "page", _drop("request_id"), "$", "required"),
    ("no adjusted", "page", _drop("adjusted"), "$", "required"),
    ("status not OK", "page", _set("status", "DELAYED"), "$.status", "const"),
    ("unknown field", "page", _set("error", "x"), "$", "additionalProperties"),
    ("key in next_url", "page", _next_url(lambda url: url + "&apiKey=k"), "$.next_url", "pattern"),
    (
        "adjusted in next_url",
        "page",
        _next_url(lambda url: url + "&adjusted=false"),
        "$.next_url",
        "pattern",
    ),
    (
        "relative next_url",
        "page",
        _next_url(lambda url: "/" + url.split("/", 3)[3]),
        "$.next_url",
        "pattern",
    ),
]
PREV_BREAKS: list[tuple[str, str, Breaks, str, str]] = [
    ("prev bar without T", "prev", _drop_from_bar("T"), "$.results[0]", "required"),
    ("two prev bars", "prev", _second_bar, "$.results", "maxItems"),
    ("prev results empty list", "prev", _set("results", []), "$.results", "minItems"),
]
GROUPED_BREAKS: list[tuple[str, str, Breaks, str, str]] = [
    ("grouped bar without T", "grouped", _drop_from_bar("T"), "$.results[0]", "required"),
    ("grouped next_url", "grouped", _set("next_url", "http://h/x"), "$", "additionalProperties"),
    ("grouped ticker", "grouped", _set("ticker", "AAPL"), "$", "additionalProperties"),
    ("grouped results null", "grouped", _set("results", None), "$.results", "type"),
]
CASES = (
    [(CUSTOM_BARS, *case) for case in PAGE_BREAKS]
    + [(PREVIOUS_CLOSE, *case) for case in PREV_BREAKS]
    + [(GROUPED_DAILY, *case) for case in GROUPED_BREAKS]
)


@pytest.mark.parametrize(
    ("schema", "base", "breaks", "path", "rule"),
    [(schema, *rest) for schema, _, *rest in CASES],
    ids=[case[1] for case in CASES],
)
def test_broken_bodies_are_rejected(
    bodies: dict[str, Body], schema: str, base: str, breaks: Breaks, path: str, rule: str
) -> None:
    check = validator(schema)
    check.validate(bodies[base])  # the real body is fine...
    broken = copy.deepcopy(bodies[base])
    breaks(broken)
    objections = {(error.json_path, error.validator) for error in check.iter_errors(broken)}
    assert (path, rule) in objections  # ...and the schema objects where it broke


def _renamed(old: str, new: str) -> Breaks:
    return lambda body: body.update({new: body.pop(old)})


# (case, HTTP status and its real body, how it breaks, where the schema must object, which rule)
ERROR_BREAKS: list[tuple[str, int, Breaks, str, str]] = [
    ("401 without request_id", 401, _drop("request_id"), "$", "required"),
    ("401 short request_id", 401, _set("request_id", "abc"), "$.request_id", "pattern"),
    ("401 with message", 401, _renamed("error", "message"), "$", "required"),
    ("401 empty error", 401, _set("error", ""), "$.error", "minLength"),
    ("403 with error", 403, _renamed("message", "error"), "$", "required"),
    ("403 as ERROR", 403, _set("status", "ERROR"), "$.status", "const"),
    ("404 as ERROR", 404, _set("status", "ERROR"), "$.status", "const"),
    ("404 with error too", 404, _set("error", "x"), "$", "additionalProperties"),
]


@pytest.mark.parametrize(
    ("status", "breaks", "path", "rule"),
    [case[1:] for case in ERROR_BREAKS],
    ids=[case[0] for case in ERROR_BREAKS],
)
def test_broken_error_bodies_are_rejected(
    bodies: dict[str, Body], status: int, breaks: Breaks, path: str, rule: str
) -> None:
    check = error_validator(status)
    check.validate(bodies[str(status)])
    broken = copy.deepcopy(bodies[str(status)])
    breaks(broken)
    objections = {(error.json_path, error.validator) for error in check.iter_errors(broken)}
    assert (path, rule) in objections


def test_every_schema_file_is_registered_under_its_id() -> None:
    ids = {uri for uri in registry() if uri.startswith("urn:polygon-sandbox:")}
    assert ids == {
        "urn:polygon-sandbox:bar",
        "urn:polygon-sandbox:custom-bars",
        "urn:polygon-sandbox:errors",
        "urn:polygon-sandbox:grouped-daily",
        "urn:polygon-sandbox:previous-close",
    }

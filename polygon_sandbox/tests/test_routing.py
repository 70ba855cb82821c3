"""The routing table: how a method and a raw path find a route and its parameters."""

from __future__ import annotations

from polygon_sandbox.http.replies import Reply
from polygon_sandbox.http.routing import Family, Request, Route, RouteTable


def _handler(data: None, request: Request) -> Reply:
    return Reply(200, b"")


BARS = Route("GET", "/v2/bars/{ticker}/{day}", _handler)
LIST = Route("GET", "/v3/things", _handler)
ONE = Route("GET", "/v3/things/{ticker}", _handler, nonempty=("ticker",))
FAMILIES = [
    Family("bars", "/v2/", (BARS,)),
    Family("things", "/v3/", (LIST, ONE)),
    Family("more things", "/v3/", ()),  # a prefix shared by two families counts once
]
TABLE: RouteTable[None] = RouteTable(FAMILIES)


def test_parameters_are_decoded_segments() -> None:
    assert TABLE.match("GET", "/v2/bars/AAPL/2024-03-01") == (
        BARS,
        {"ticker": "AAPL", "day": "2024-03-01"},
    )
    # split before decoding: an encoded "/" stays inside its parameter
    assert TABLE.match("GET", "/v2/bars/BRK%2FB/x") == (BARS, {"ticker": "BRK/B", "day": "x"})
    assert TABLE.match("GET", "/v2/bars/X%3ABTCUSD/x") == (BARS, {"ticker": "X:BTCUSD", "day": "x"})


def test_segment_counts_literals_and_methods_must_match() -> None:
    for path in ("/v2/bars/AAPL", "/v2/bars/AAPL/x/", "/v2/bar/AAPL/x", "/v2/bars/AAPL/x/y"):
        assert TABLE.match("GET", path) is None, path
    assert TABLE.match("POST", "/v2/bars/AAPL/x") is None
    assert TABLE.match("GET", "x/v2/bars/AAPL/x") is None  # not origin-form: no route


def test_a_parameter_matches_an_empty_segment_unless_it_is_nonempty() -> None:
    assert TABLE.match("GET", "/v2/bars//x") == (BARS, {"ticker": "", "day": "x"})
    assert TABLE.match("GET", "/v3/things/") is None
    assert TABLE.match("GET", "/v3/things/AAPL") == (ONE, {"ticker": "AAPL"})


def test_a_pattern_without_parameters_is_compared_with_the_decoded_path() -> None:
    assert TABLE.match("GET", "/v3/things") == (LIST, {})
    assert TABLE.match("GET", "/v3/%74hings") == (LIST, {})
    assert TABLE.match("GET", "/v3%2Fthings") == (LIST, {})
    assert TABLE.match("GET", "/v3/things/") is None


def test_data_prefixes_come_from_the_families() -> None:
    assert TABLE.data_prefixes == ("/v2/", "/v3/")
    assert TABLE.is_data_path("/v2/anything") and TABLE.is_data_path("/v3/things")
    assert not TABLE.is_data_path("/v1/things") and not TABLE.is_data_path("/_sandbox/health")

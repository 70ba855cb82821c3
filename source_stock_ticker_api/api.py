"""What the Polygon.io / Massive.com API is: its paths, its query, its bodies, and its reasons.

Nothing here decides what to do or what to tell a user (see errors.py and messages.py): it only
knows the API's own shapes, so check and read speak to it in the same words.
"""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

import orjson
import requests

from source_stock_ticker_api.reference_api import describe_reference_request

# Query parameters the connector sets itself; a next_url may not override them, nor add a key.
OWN_PARAMS = frozenset({"adjusted", "sort", "limit", "apikey"})


def aggs_path(ticker: str, multiplier: int, timespan: str, start: object, end: object) -> str:
    """Path of the custom-bars endpoint, relative to the API's base URL."""
    return f"v2/aggs/ticker/{quote(ticker, safe='.:-')}/range/{multiplier}/{timespan}/{start}/{end}"


def aggs_params(adjusted: bool | None, limit: int) -> dict[str, Any]:
    """The custom-bars query, oldest bar first; `adjusted` None leaves it out (index bars,
    whose endpoint does not take it).

    Sent again with every `next_url`: whether its cursor keeps `adjusted=false` is undocumented.
    """
    params: dict[str, Any] = {"sort": "asc", "limit": limit}
    if adjusted is not None:
        params = {"adjusted": "true" if adjusted else "false", **params}
    return params


class MalformedBody(ValueError):
    """A 200 whose body is not whole JSON: a truncated or garbled transfer, worth a retry."""


class ParsedBodies:
    """Each page's JSON, parsed once and kept as long as its response lives.

    The error handler parses a body to tell a whole page from a truncated one; the stream reads
    the same parse for the page's bars and its next_url.
    """

    def __init__(self) -> None:
        self._bodies: weakref.WeakKeyDictionary[requests.Response, Mapping[str, Any]] = (
            weakref.WeakKeyDictionary()
        )

    def of(self, response: requests.Response) -> Mapping[str, Any]:
        """The body as a mapping (empty when the API sent some other JSON value)."""
        body = self._bodies.get(response)
        if body is None:
            try:
                parsed = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                raise MalformedBody from None
            body = parsed if isinstance(parsed, Mapping) else {}
            self._bodies[response] = body
        return body


def next_page(body: Mapping[str, Any]) -> tuple[str, list[tuple[str, str]]] | None:
    """The path and cursor query of the body's `next_url`, without parameters of our own.

    Only the path is kept, so the key's header stays on the configured host whatever host the
    API names; the connector sets its own parameters again.
    """
    next_url = body.get("next_url")
    if not next_url:
        return None
    parts = urlsplit(str(next_url))
    query = [(k, v) for k, v in parse_qsl(parts.query) if k.lower() not in OWN_PARAMS]
    return parts.path, query


def api_reason(response: requests.Response) -> str:
    """The API's own words for a failure (`error` or `message`), or the HTTP status."""
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        body = None
    if isinstance(body, dict):
        for field in ("error", "message"):
            if isinstance(body.get(field), str) and body[field]:
                return str(body[field])
    return f"HTTP {response.status_code} {response.reason or ''}".strip()


def describe_request(url: str | None) -> str:
    """'AAPL day bars from 2024-01-02 to 2024-03-01' from a custom-bars URL, 'the grouped daily
    bars of 2024-03-04' from a grouped one; never the query.

    The path may sit below a prefix of the configured api_url (a proxy's, say).
    """
    parts = unquote(urlsplit(url or "").path).split("/")
    if "aggs" not in parts:
        return describe_reference_request(url) or "the request"
    at = parts.index("aggs")
    # .../v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}
    found = parts[at:]
    if len(found) >= 8 and found[1] == "ticker" and found[3] == "range":
        ticker, multiplier, timespan, start, end = found[2], found[4], found[5], found[6], found[7]
        size = timespan if multiplier == "1" else f"{multiplier}-{timespan}"
        return f"{ticker} {size} bars from {readable_point(start)} to {readable_point(end)}"
    # .../v2/aggs/grouped/locale/{locale}/market/{market}/{date}
    if len(found) >= 7 and found[1] == "grouped":
        return f"the grouped daily bars of {found[6]}"
    return "the request"


def readable_point(point: str) -> str:
    """Dates stay as they are; Unix ms become an ISO instant."""
    if point.isdigit():
        moment = datetime.fromtimestamp(int(point) / 1000, timezone.utc)
        return moment.isoformat().replace("+00:00", "Z")
    return point

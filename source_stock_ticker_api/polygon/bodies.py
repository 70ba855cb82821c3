"""What the API sends back: each body parsed once, and the API's own reason for a failure."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

import orjson
import requests


class MalformedBody(ValueError):
    """A 200 whose body is not whole JSON: a truncated or garbled transfer, worth a retry."""


class ParsedBodies:
    """Each page's JSON, parsed once and kept as long as its response lives.

    The error handler parses a body to tell a whole page from a truncated one; the stream reads
    the same parse for the page's rows and its next_url.
    """

    def __init__(self) -> None:
        self._bodies: weakref.WeakKeyDictionary[requests.Response, Any] = (
            weakref.WeakKeyDictionary()
        )

    def json(self, response: requests.Response) -> Any:
        """The body as the API sent it: an object, or (market holidays) a bare array."""
        if response in self._bodies:
            return self._bodies[response]
        try:
            parsed = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise MalformedBody from None
        self._bodies[response] = parsed
        return parsed

    def of(self, response: requests.Response) -> Mapping[str, Any]:
        """The body as a mapping (empty when the API sent some other JSON value)."""
        body = self.json(response)
        return body if isinstance(body, Mapping) else {}


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

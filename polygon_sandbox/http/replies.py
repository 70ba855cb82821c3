"""Replies and the vendor's error bodies and messages.

Bodies mirror the vendor's: JSON with `status` and `request_id`, and either `error` or
`message`; gateways' 502/504 are HTML pages.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .encoding import dumps

NO_KEY = "API Key was not provided"
UNKNOWN_KEY = "Unknown API Key"
NOT_ENTITLED = (
    "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing"
)
OUT_OF_TIMEFRAME = (
    "Your plan doesn't include this data timeframe. "
    "Please upgrade your plan at https://polygon.io/pricing"
)
RATE_LIMITED = (
    "You've exceeded the maximum requests per minute, "
    "please wait or upgrade your subscription to continue."
)
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


@dataclass
class Reply:
    """An HTTP answer plus what the request log wants to know about it."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    ticker: str | None = None
    timespan: str | None = None
    results_count: int = 0


def json_reply(status: int, payload: Any, **extra: Any) -> Reply:
    return Reply(status, dumps(payload), **extra)


def error_reply(
    status: int,
    request_id: str,
    *,
    error: str | None = None,
    message: str | None = None,
    status_word: str = "ERROR",
) -> Reply:
    """Vendor error body: `status`, `request_id` and either `error` or `message`."""
    payload: dict[str, Any] = {"status": status_word, "request_id": request_id}
    if error is not None:
        payload["error"] = error
    if message is not None:
        payload["message"] = message
    return json_reply(status, payload)


def server_error_reply(status: int, request_id: str) -> Reply:
    """Injected 5xx: gateways (502/504) answer with an HTML page, the API itself with JSON."""
    reason = _REASONS.get(status, "Server Error")
    if status in (502, 504):
        page = _GATEWAY_PAGE.format(status=status, reason=reason)
        return Reply(status, page.encode(), content_type="text/html")
    return error_reply(status, request_id, error=reason)

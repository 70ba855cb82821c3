"""How the connector reacts to each API answer: retry, wait, or stop with a clear message.

Built on the CDK's HttpStatusErrorHandler. The API's own reason (its `error` or `message` field)
and the ticker go into every message a user sees; the key never does (it travels in a header).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import quote, unquote, urlsplit

import orjson
import requests
from airbyte_cdk.models import FailureType
from airbyte_cdk.sources.streams.http.error_handlers import BackoffStrategy, HttpStatusErrorHandler
from airbyte_cdk.sources.streams.http.error_handlers.default_error_mapping import (
    DEFAULT_ERROR_MAPPING,
)
from airbyte_cdk.sources.streams.http.error_handlers.response_models import (
    ErrorResolution,
    ResponseAction,
)

MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=20)
MAX_BACKOFF_SECONDS = 60.0
# Where a parsed body is kept on the response, so each page is parsed once.
PARSED_BODY = "_stock_ticker_parsed_body"

ERROR_MAPPING: Mapping[int | str | type[Exception], ErrorResolution] = {
    **DEFAULT_ERROR_MAPPING,
    429: ErrorResolution(
        response_action=ResponseAction.RATE_LIMITED,
        failure_type=FailureType.transient_error,
        error_message="The API's rate limit was reached.",
    ),
    413: ErrorResolution(
        response_action=ResponseAction.RETRY,
        failure_type=FailureType.transient_error,
        error_message="HTTP 413 from the API.",
    ),
    499: ErrorResolution(
        response_action=ResponseAction.RETRY,
        failure_type=FailureType.transient_error,
        error_message="HTTP 499 from the API.",
    ),
}


PLAN_ADVICE = "Choose a timespan and start_date your plan includes, or upgrade the plan."


def rejected_key_message(response: requests.Response) -> str:
    """What a 401 tells the user, in check and in a sync alike."""
    return (
        f"The API rejected the API key ({api_reason(response)}). "
        "Check api_key: copy it again from your Polygon.io / Massive.com dashboard."
    )


def aggs_path(ticker: str, multiplier: int, timespan: str, start: object, end: object) -> str:
    """Path of the custom-bars endpoint, relative to the API's base URL."""
    return f"v2/aggs/ticker/{quote(ticker, safe='.:-')}/range/{multiplier}/{timespan}/{start}/{end}"


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


def as_sentence(text: str) -> str:
    """`text` ending with a full stop, so another sentence can follow it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def describe_request(url: str | None) -> str:
    """'AAPL day bars from 2024-01-02 to 2024-03-01' from an aggregates URL; never the query."""
    parts = unquote(urlsplit(url or "").path).split("/")
    # /v2/aggs/ticker/{ticker}/range/{multiplier}/{timespan}/{from}/{to}
    if len(parts) >= 10 and parts[2] == "aggs" and parts[3] == "ticker" and parts[5] == "range":
        ticker, multiplier, timespan, start, end = parts[4], parts[6], parts[7], parts[8], parts[9]
        size = timespan if multiplier == "1" else f"{multiplier}-{timespan}"
        return f"{ticker} {size} bars from {_readable(start)} to {_readable(end)}"
    if len(parts) >= 5 and parts[2] == "aggs" and parts[3] == "ticker":
        return f"{parts[4]} previous-day bar"
    return "the API"


def _readable(point: str) -> str:
    """Dates stay as they are; Unix ms become an ISO instant."""
    if point.isdigit():
        return datetime.fromtimestamp(int(point) / 1000, timezone.utc).isoformat()
    return point


class PolygonErrorHandler(HttpStatusErrorHandler):
    """Turns 4xx into config errors that quote the API, and malformed 200 bodies into retries."""

    def __init__(self, logger: logging.Logger) -> None:
        super().__init__(
            logger=logger,
            error_mapping=ERROR_MAPPING,
            max_retries=MAX_RETRIES,
            max_time=MAX_RETRY_TIME,
        )

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        resolution = self._resolve(response_or_exception)
        if resolution.response_action in (ResponseAction.RETRY, ResponseAction.RATE_LIMITED):
            # The CDK's own retry log calls every retry a rate limit; say what really happened.
            self._logger.info(f"{resolution.error_message} Retrying after a pause.")
        return resolution

    def _resolve(
        self, response_or_exception: requests.Response | Exception | None
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response):
            return self._interpret(response_or_exception)
        if isinstance(response_or_exception, requests.RequestException):
            # The CDK maps exception classes exactly; timeouts and dropped connections are
            # subclasses it would call "unexpected". They are transient: retry them.
            name = type(response_or_exception).__name__
            return ErrorResolution(
                response_action=ResponseAction.RETRY,
                failure_type=FailureType.transient_error,
                error_message=f"Could not get a response from the API ({name}).",
            )
        return super().interpret_response(response_or_exception)

    def _interpret(self, response: requests.Response) -> ErrorResolution:
        status = response.status_code
        what = describe_request(response.request.url if response.request else None)
        if response.ok:
            try:
                setattr(response, PARSED_BODY, orjson.loads(response.content))
            except orjson.JSONDecodeError:
                return ErrorResolution(
                    response_action=ResponseAction.RETRY,
                    failure_type=FailureType.transient_error,
                    error_message=f"The API sent an incomplete or malformed body for {what}.",
                )
            return ErrorResolution(response_action=ResponseAction.SUCCESS)
        if status == 401:
            return _config_error(rejected_key_message(response))
        if status == 403:
            return _config_error(
                f"The API refused {what}: {as_sentence(api_reason(response))} {PLAN_ADVICE}"
            )
        if status in (400, 404):
            return _config_error(
                f"The API could not serve {what}: {as_sentence(api_reason(response))} "
                "Check the ticker, dates, timespan and api_url in the configuration."
            )
        return super().interpret_response(response)


def _config_error(message: str) -> ErrorResolution:
    return ErrorResolution(
        response_action=ResponseAction.FAIL,
        failure_type=FailureType.config_error,
        error_message=message,
    )


class PolygonBackoffStrategy(BackoffStrategy):
    """Honours Retry-After; otherwise waits in proportion to the plan's pace, doubling each time."""

    def __init__(self, requests_per_minute: int) -> None:
        self._slot_seconds = 60.0 / requests_per_minute

    def backoff_time(
        self,
        response_or_exception: requests.Response | requests.RequestException | None,
        attempt_count: int,
    ) -> float | None:
        response = (
            response_or_exception.response
            if isinstance(response_or_exception, requests.RequestException)
            else response_or_exception
        )
        if response is not None:
            retry_after = _retry_after_seconds(response.headers)
            if retry_after is not None:
                return min(retry_after, MAX_BACKOFF_SECONDS * 5)
            if response.status_code == 429:
                # The free plan's window is a minute: wait a slot, then two, four...
                return min(self._slot_seconds * 2 ** (attempt_count - 1), MAX_BACKOFF_SECONDS)
        return min(float(2 ** (attempt_count - 1)), MAX_BACKOFF_SECONDS)


def _retry_after_seconds(headers: Mapping[str, Any]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except (TypeError, ValueError):
        return None

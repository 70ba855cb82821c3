"""How the connector reacts to each API answer: retry, wait, note a refusal, or stop.

Built on the CDK's HttpStatusErrorHandler. What a user reads comes from messages.py, the same
table check uses; the key never appears in it (it travels in a header).

A refusal (REFUSES_ONE_REQUEST) does not stop a sync: the handler lets the answer through, and
`refusal_of` turns it into a `Refusal` value, the one way every stream learns of one.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

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
from airbyte_cdk.sources.streams.http.exceptions import UserDefinedBackoffException

from source_stock_ticker_api.messages import (
    USER_MUST_FIX,
    answer_message,
    retry_message,
    unreachable_message,
)
from source_stock_ticker_api.polygon.bodies import MalformedBody, ParsedBodies, api_reason
from source_stock_ticker_api.polygon.congestion import Congestion

MAX_RETRIES = 8
MAX_RETRY_TIME = timedelta(minutes=20)
MAX_BACKOFF_SECONDS = 60.0

# Answers about one request's data: a plan without that market or that symbol (403), a request
# the API will not serve for that symbol (400, e.g. an index given `adjusted`). The other tickers
# may well be readable. A 401 (the key) or a 404 (the path: the API answers an unknown symbol
# with 200 and no bars, so a 404 means api_url is not the API) would refuse every ticker alike.
REFUSES_ONE_REQUEST = frozenset({400, 403})

# Names a request in a person's words from its URL (endpoints.describe_price_request, ...).
Describe = Callable[[str | None], str]


@dataclass(frozen=True)
class Refusal:
    """The API refused one request: its status, and what the user is told of it."""

    status: int
    message: str


def refusal_of(response: requests.Response, describe: Describe) -> Refusal | None:
    """The refusal a response let through by the error handler stands for, if it is one."""
    status = response.status_code
    if status not in REFUSES_ONE_REQUEST:
        return None
    what = describe(response.request.url if response.request else None)
    return Refusal(status, answer_message(status, api_reason(response), what))


# The words of every failure come from messages.py (see PolygonErrorHandler._interpret).
ERROR_MAPPING: Mapping[int | str | type[Exception], ErrorResolution] = {
    **DEFAULT_ERROR_MAPPING,
    413: ErrorResolution(
        response_action=ResponseAction.RETRY,
        failure_type=FailureType.transient_error,
    ),
    499: ErrorResolution(
        response_action=ResponseAction.RETRY,
        failure_type=FailureType.transient_error,
    ),
}


# What airbyte_cdk/sources/streams/http/rate_limiting.py logs before each of our retries (our
# backoff strategy always names a pause, so every retry takes that path). It calls any retry a
# rate limit, and the pause it names is the one it sleeps.
CDK_RETRY_LINE = re.compile(
    r"UserDefinedBackoffException: Rate limit exceeded(?: \(HTTP \d+\))?\. "
    r"Retrying in (?P<seconds>\d+(?:\.\d+)?) seconds\."
)


class RetryLines(logging.Filter):
    """Rewrites the CDK's line for a retry into ours: what happened, and the pause.

    The CDK logs it while handling the retry's exception, whose message is the error handler's
    (messages.py): the filter reads it where the CDK does, from `sys.exc_info()`.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = sys.exc_info()[1]
        if not isinstance(error, UserDefinedBackoffException):
            return True
        match = CDK_RETRY_LINE.fullmatch(record.getMessage())
        if match:
            record.msg = retry_message(str(error), float(match["seconds"]))
            record.args = ()
        return True


RETRY_LINES = RetryLines()


class PolygonErrorHandler(HttpStatusErrorHandler):
    """Turns 4xx into config errors that quote the API, and malformed 200 bodies into retries.

    Each retry gets one log line, from the CDK's logger rewritten by RetryLines. A refusal
    (REFUSES_ONE_REQUEST) does not stop the sync: the CDK is told to ignore the answer, which
    the stream reads as a `Refusal` (`refusal_of`), so it can read the other requests first and
    fail once at the end. `not_found_is_empty` lets a 404 through too, as a page without rows,
    for endpoints where it means an unknown symbol (ticker details). A 429 is let through too,
    after `congestion` (congestion.py) has set its wait and said it: `PolygonStream.fetch` asks
    again, with fewer requests in flight, as long as the congestion allows.
    """

    def __init__(
        self,
        logger: logging.Logger,
        api_url: str,
        bodies: ParsedBodies,
        describe: Describe,
        congestion: Congestion,
        not_found_is_empty: bool = False,
    ) -> None:
        # The CDK logs retries on the "airbyte" logger; adding the same filter again is a no-op.
        logging.getLogger("airbyte").addFilter(RETRY_LINES)
        super().__init__(
            logger=logger,
            error_mapping=ERROR_MAPPING,
            max_retries=MAX_RETRIES,
            max_time=MAX_RETRY_TIME,
        )
        self._api_url = api_url
        self._bodies = bodies
        self._describe = describe
        self._congestion = congestion
        self._not_found_is_empty = not_found_is_empty

    def interpret_response(
        self, response_or_exception: requests.Response | Exception | None = None
    ) -> ErrorResolution:
        if isinstance(response_or_exception, requests.Response):
            return self._interpret(response_or_exception)
        if isinstance(response_or_exception, requests.RequestException):
            # The CDK maps exception classes exactly; timeouts and dropped connections are
            # subclasses it would call "unexpected". They are transient: retry them.
            return ErrorResolution(
                response_action=ResponseAction.RETRY,
                failure_type=FailureType.transient_error,
                error_message=unreachable_message(self._api_url, response_or_exception),
            )
        return super().interpret_response(response_or_exception)

    def _interpret(self, response: requests.Response) -> ErrorResolution:
        status = response.status_code
        what = self._describe(response.request.url if response.request else None)
        if status == 429:
            # The CDK logs error_message (at info) and hands the answer on; fetch asks again.
            wait = self._congestion.rate_limited(_retry_after_seconds(response.headers))
            message = answer_message(status, api_reason(response), what)
            return ErrorResolution(
                response_action=ResponseAction.IGNORE,
                failure_type=FailureType.transient_error,
                error_message=retry_message(message, round(wait, 2)),
            )
        if status < 500:
            self._congestion.answered()
        if status == 404 and self._not_found_is_empty:
            return ErrorResolution(response_action=ResponseAction.IGNORE)
        if response.ok:
            try:
                self._bodies.of(response)
            except MalformedBody:
                return ErrorResolution(
                    response_action=ResponseAction.RETRY,
                    failure_type=FailureType.transient_error,
                    error_message=f"The API sent an incomplete or malformed body for {what}.",
                )
            return ErrorResolution(response_action=ResponseAction.SUCCESS)
        message = answer_message(status, api_reason(response), what)
        if status in REFUSES_ONE_REQUEST:
            # The CDK logs error_message (at info) and hands the answer on as a page without bars.
            return ErrorResolution(
                response_action=ResponseAction.IGNORE,
                failure_type=FailureType.config_error,
                error_message=message,
            )
        if status in USER_MUST_FIX:
            return ErrorResolution(
                response_action=ResponseAction.FAIL,
                failure_type=FailureType.config_error,
                error_message=message,
            )
        resolution = super().interpret_response(response)
        return ErrorResolution(
            response_action=resolution.response_action,
            failure_type=resolution.failure_type,
            error_message=message,
        )


class PolygonBackoffStrategy(BackoffStrategy):
    """Honours Retry-After; otherwise waits 1 s, doubling each time, up to a minute. (A 429
    never gets here: congestion.py decides its wait.)

    Always a pause above zero: with none, the CDK would retry through another path that logs the
    response body and a pause of its own.
    """

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
        seconds = min(float(2 ** (attempt_count - 1)), MAX_BACKOFF_SECONDS)
        if response is not None:
            retry_after = _retry_after_seconds(response.headers)
            if retry_after is not None:
                seconds = min(retry_after, MAX_BACKOFF_SECONDS * 5)
        return seconds


def _retry_after_seconds(headers: Mapping[str, Any]) -> float | None:
    value = headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return None
    return seconds if seconds > 0 else None  # "now" says nothing: back off as without it

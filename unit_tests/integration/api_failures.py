"""API failures and the exact messages users get for them, shared by the check and read tests.

`check` and `read` must tell a user the same thing about the same failure, so both test files
take their answers and expected messages from here. The messages are spelled out as the user
reads them, for the default ConfigBuilder request (AAPL day bars, 2024-03-01 to 2024-03-11).
"""

from __future__ import annotations

from typing import Any

import pytest

from unit_tests.config_builder import API_URL
from unit_tests.integration.response_builder import template


def bars_of(
    ticker: str = "AAPL", timespan: str = "day", start: str = "2024-03-01", end: str = "2024-03-11"
) -> str:
    """How messages name one request: `AAPL day bars from 2024-03-01 to 2024-03-11`."""
    return f"{ticker} {timespan} bars from {start} to {end}"


REQUEST = bars_of()
PRICING = "Please upgrade your plan at https://polygon.io/pricing."
UNKNOWN_KEY = (
    "The API rejected the API key (Unknown API Key). "
    "Check api_key: copy it again from your Polygon.io / Massive.com dashboard."
)
RATE_LIMITED = (
    "The API's rate limit was reached: You've exceeded the maximum requests per minute, "
    "please wait or upgrade your subscription to continue. https://polygon.io/pricing. "
    "Other programs using the same key share its limit."
)
BAD_FROM = "Could not parse the time parameter: 'from'. Use YYYY-MM-DD or Unix MS Timestamps."


def failure(status: int, name: str | None = None, **headers: str) -> dict[str, Any]:
    """A requests-mock answer with the API's error body for `status` (or template `name`)."""
    reasons = {429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway"}
    return {
        "status_code": status,
        # Every 5xx shares the 500.json body.
        "json": template(name or str(min(status, 500))),
        "headers": {k.replace("_", "-"): v for k, v in headers.items()},
        "reason": reasons.get(status, ""),
    }


def not_in_plan(detail: str, request: str = REQUEST) -> str:
    """A 403: the key is fine, the plan is not."""
    return (
        f"The API key works, but the plan does not cover {request}: {detail} {PRICING} "
        "Choose a timespan and start_date your plan includes, or upgrade the plan."
    )


def cannot_serve(detail: str, request: str = REQUEST) -> str:
    """A 400 or 404: something in the request is wrong."""
    return (
        f"The API could not serve {request}: {detail} "
        "Check the ticker, dates, timespan and api_url in the configuration."
    )


def refused(ticker: str, tickers: int, reason: str) -> str:
    """How a sync that read every other ticker names the one the API refused."""
    return (
        f"The API refused {ticker} (1 of {tickers} tickers); every other ticker was read and "
        f"saved. {reason}"
    )


def answered(status: int, reason: str = "Internal server error") -> str:
    """A 5xx, as a retry's log line and the final error both start."""
    return f"The API answered HTTP {status} ({reason}) for {REQUEST}."


def server_error(status: int, reason: str) -> str:
    return f"{answered(status, reason)} Try again later."


def malformed() -> str:
    return f"The API sent an incomplete or malformed body for {REQUEST}."


def unreachable(error: str, api_url: str = API_URL) -> str:
    return f"Could not reach {api_url} ({error}). Check api_url and the network path to the API."


def exhausted(message: str) -> str:
    """What the CDK makes of a message once every retry has failed."""
    return (
        "Exhausted available request attempts. Please see logs for more details. "
        f"Exception: {message}"
    )


# Refusals that `check` and `read` both report as a config_error, at once and without retrying.
REFUSALS = [
    pytest.param(failure(401), UNKNOWN_KEY, id="401"),
    pytest.param(failure(403), not_in_plan("You are not entitled to this data."), id="403-plan"),
    pytest.param(
        failure(403, "403_timeframe"),
        not_in_plan("Your plan doesn't include this data timeframe."),
        id="403-timeframe",
    ),
    pytest.param(failure(400), cannot_serve(BAD_FROM), id="400"),
]

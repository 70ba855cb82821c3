"""What a user is told about an API answer: one table, used by `check` and by a sync alike.

The same status gives the same words wherever it happens. `what` names the request in a
person's terms ("AAPL day bars from 2024-03-01 to 2024-03-11"), `reason` is the API's own.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

PLAN_ADVICE = "Choose a timespan and start_date your plan includes, or upgrade the plan."
RATE_LIMIT_ADVICE = "Other programs using the same key share its limit."
TRY_LATER = "Try again later."
REFUSED_ADVICE = "Fix or remove each refused ticker: the next sync resumes it where it stopped."


def reset_advice(stream: str) -> str:
    """What to do with a saved state that cannot be used: reset the stream it belongs to."""
    return f"Reset the {stream} stream to start over from start_date."


def as_sentence(text: str) -> str:
    """`text` ending with a full stop, so another sentence can follow it."""
    text = text.rstrip()
    return text if text.endswith((".", "!", "?")) else f"{text}."


def _rejected_key(reason: str, what: str) -> str:
    return (
        f"The API rejected the API key ({reason}). "
        "Check api_key: copy it again from your Polygon.io / Massive.com dashboard."
    )


def _not_in_plan(reason: str, what: str) -> str:
    return (
        f"The API key works, but the plan does not cover {what}: {as_sentence(reason)} "
        f"{PLAN_ADVICE}"
    )


def needs_plan_message(stream: str, plan: str) -> str:
    """What a refused stream needs, said after the API's refusal: the user's choice is to
    deselect the stream or to change plans."""
    return f"The stream {stream} needs the {plan} plan or higher; deselect it, or upgrade the plan."


def without_plan_advice(refused: str) -> str:
    """A refusal's words without the bar advice (timespan and start_date) of a price request,
    for a stream that says what it needs instead."""
    return refused.removesuffix(f" {PLAN_ADVICE}")


def stream_refused_message(refused: str, stream: str, plan: str) -> str:
    """A refusal's words for a declared stream: what the stream needs, not the bar advice."""
    return f"{without_plan_advice(refused)} {needs_plan_message(stream, plan)}"


def market_not_in_plan_message(covered: Sequence[str], market: str, reason: str, what: str) -> str:
    """The check's words when the API refuses one market after serving others: "Your plan
    includes stocks but not crypto"."""
    return (
        f"Your plan includes {' and '.join(covered)} but not {market} (the API refused {what}): "
        f"{as_sentence(reason)} Remove the {market} tickers from tickers, or add {market} to "
        "the plan."
    )


def _cannot_serve(reason: str, what: str) -> str:
    return (
        f"The API could not serve {what}: {as_sentence(reason)} "
        "Check the ticker, dates, timespan and api_url in the configuration."
    )


def _rate_limited(reason: str, what: str) -> str:
    return f"The API's rate limit was reached: {as_sentence(reason)} {RATE_LIMIT_ADVICE}"


# Answers the user must act on; anything else is the API's trouble (see `answer_message`).
_TOLD: Mapping[int, Callable[[str, str], str]] = {
    400: _cannot_serve,
    401: _rejected_key,
    403: _not_in_plan,
    404: _cannot_serve,
    429: _rate_limited,
}
USER_MUST_FIX = frozenset({400, 401, 403, 404})


def unknown_fields_message(fields: Sequence[str]) -> str:
    """The one warning for config fields the connector does not know, which it ignores."""
    return (
        f"The configuration has {counted(len(fields), 'field')} the connector does not know, "
        f"and ignores: {', '.join(fields)}. Check the spelling against the spec "
        "(start_date, end_date, tickers, ...)."
    )


def no_bars_warning(ticker: str, first: str, last: str) -> str:
    """The one warning for a ticker whose range with trading days held no bar at all: a symbol
    the API does not know answers exactly so."""
    return (
        f"{ticker}: the API returned no bars from {first} to {last}, a range with trading days. "
        "Check the symbol."
    )


def counted(count: int, noun: str) -> str:
    """'1 bar', '0 bars', '2 bars': a count with its noun in the right number."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def answer_message(status: int, reason: str, what: str) -> str:
    """The words for a non-200 answer from the API."""
    told = _TOLD.get(status)
    if told is not None:
        return told(reason, what)
    return f"The API answered HTTP {status} ({reason}) for {what}. {TRY_LATER}"


def retry_message(what_happened: str, pause_seconds: float) -> str:
    """The words for one retry: what happened, then the pause before the next attempt.

    The advice to try later is left out: the connector is doing just that.
    """
    happened = as_sentence(what_happened.removesuffix(f" {TRY_LATER}"))
    return f"{happened} Retrying in {pause_seconds:g} s."


def unreachable_message(api_url: str, error: Exception) -> str:
    """The words for a request that got no answer at all."""
    return (
        f"Could not reach {api_url} ({type(error).__name__}). "
        "Check api_url and the network path to the API."
    )


# Refusals quoted in full in the one error of a sync; the log holds every one of them.
REFUSALS_QUOTED = 3


def refused_tickers_message(refusals: Mapping[str, str], ticker_count: int) -> str:
    """The one error of a sync in which the API refused some tickers and the others were read.

    `refusals` maps each refused ticker to the words of its refusal, in the order they came.
    With one ticker configured, those words alone, as when a refusal stopped the sync. Words
    said for several tickers (one refused grouped day) are quoted once.
    """
    told = list(dict.fromkeys(refusals.values()))
    if ticker_count == 1:
        return told[0]
    names = ", ".join(refusals)
    if len(refusals) == ticker_count:
        head = f"The API refused all {ticker_count} tickers ({names})."
    else:
        head = (
            f"The API refused {names} ({len(refusals)} of {ticker_count} tickers); "
            "every other ticker was read and saved."
        )
    more = ["The log has the reason for each of the others."] if told[REFUSALS_QUOTED:] else []
    return " ".join([head, *told[:REFUSALS_QUOTED], *more, REFUSED_ADVICE])


def rate_limit_gave_up_message(
    minutes: int, requests_per_minute: int, max_concurrent_requests: int
) -> str:
    """The one error of a sync that met only 429s for too long (polygon/congestion.py)."""
    return (
        f"The API answered every request with 429 (rate limit) for {minutes} minutes, so the "
        "sync stopped; everything read so far is saved, and the next sync resumes there. "
        f"Set requests_per_minute (now {requests_per_minute}) to the plan's limit, lower "
        f"max_concurrent_requests (now {max_concurrent_requests}), or stop other programs "
        "using the same API key."
    )


def unknown_streams_message(unknown: list[str], known: list[str]) -> str:
    """A catalog naming streams this connector does not have: a typo, or another connector's."""
    names = ", ".join(unknown)
    noun = "stream" if len(unknown) == 1 else "streams"
    return (
        f"The catalog selects the {noun} {names}, which this connector does not have. Its "
        f"streams are: {', '.join(known)} (discover lists them with their schemas)."
    )

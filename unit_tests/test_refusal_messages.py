"""messages.py: the one error of a sync in which the API refused some tickers, and counted nouns."""

from __future__ import annotations

import pytest

from source_stock_ticker_api.messages import (
    answer_message,
    counted,
    refused_tickers_message,
    stream_refused_message,
)

ADVICE = "Fix or remove each refused ticker: the next sync resumes it where it stopped."


def refusals(*tickers: str) -> dict[str, str]:
    return {ticker: f"{ticker} was refused." for ticker in tickers}


def test_one_ticker_configured_gets_the_apis_words_alone() -> None:
    assert refused_tickers_message(refusals("MSFT"), 1) == "MSFT was refused."


def test_some_refused_are_named_and_quoted_after_saying_the_others_were_saved() -> None:
    assert refused_tickers_message(refusals("MSFT", "TSLA"), 5) == (
        "The API refused MSFT, TSLA (2 of 5 tickers); every other ticker was read and saved. "
        f"MSFT was refused. TSLA was refused. {ADVICE}"
    )


def test_beyond_three_refusals_the_rest_are_named_and_left_to_the_log() -> None:
    """100 tickers refused for the plan's history would otherwise make an error of 25 kB."""
    assert refused_tickers_message(refusals("A", "B", "C", "D", "E"), 6) == (
        "The API refused A, B, C, D, E (5 of 6 tickers); every other ticker was read and saved. "
        "A was refused. B was refused. C was refused. "
        f"The log has the reason for each of the others. {ADVICE}"
    )


def test_all_refused_says_so() -> None:
    assert refused_tickers_message(refusals("A", "B", "C", "D"), 4) == (
        "The API refused all 4 tickers (A, B, C, D). A was refused. B was refused. C was refused. "
        f"The log has the reason for each of the others. {ADVICE}"
    )


@pytest.mark.parametrize(
    ("count", "words"), [(0, "0 bars"), (1, "1 bar"), (2, "2 bars"), (49920, "49920 bars")]
)
def test_counted_puts_the_noun_in_the_right_number(count: int, words: str) -> None:
    assert counted(count, "bar") == words


def test_a_declared_streams_refusal_names_what_the_stream_needs_instead_of_bar_advice() -> None:
    refused = answer_message(403, "You are not entitled to this data.", "ratios of MSFT")
    assert stream_refused_message(refused, "financial_ratios", "Stocks Starter") == (
        "The API key works, but the plan does not cover ratios of MSFT: You are not entitled to "
        "this data. The stream financial_ratios needs the Stocks Starter plan or higher; "
        "deselect it, or upgrade the plan."
    )

"""news, ticker_events and related_companies read in-process against the sandbox: records,
requests, states, a resume after a kill, unknown tickers.

The expected records come from the sandbox itself, asked directly in one unpaged request per
ticker, never from the connector's code.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import pytest
from airbyte_cdk.models import FailureType

from integration_tests.declared_syncs import (
    AT_MONDAY,
    FULL_REFRESH,
    INCREMENTAL,
    api,
    errors,
    final_state,
    killed_after_state,
    records,
    sent,
    stream_state,
    sync,
    warnings,
    with_page_size,
)
from integration_tests.helpers import sandbox_config
from polygon_sandbox import Faults, Sandbox
from source_stock_ticker_api.reference.news_events import NEWS

WEDNESDAY = datetime(2026, 11, 25, 21, 30, tzinfo=timezone.utc)
START = "2026-11-01"
NEWS_QUERY = {"sort": "published_utc", "order": "asc", "limit": "1000"}

pytestmark = AT_MONDAY


def news_of(sandbox: Sandbox, ticker: str, start: str = START) -> list[dict[str, Any]]:
    """The sandbox's own answer: every article naming `ticker` from `start`, oldest first."""
    query = {"ticker": ticker, "published_utc.gte": start, "order": "asc", "limit": 1000}
    return list(api(sandbox, "/v2/reference/news", **query)["results"])


def once(*answers: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The answers in order, an article named in an earlier one left out."""
    seen: set[str] = set()
    kept = []
    for article in (a for answer in answers for a in answer):
        if article["id"] not in seen:
            seen.add(article["id"])
            kept.append(article)
    return kept


def news_state(**cursors: str) -> dict[str, Any]:
    return {ticker: {"published_utc": day} for ticker, day in cursors.items()}


# -- news ------------------------------------------------------------------------------------


def test_news_pages_through_each_ticker_and_writes_an_article_naming_both_once(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_page_size(monkeypatch, NEWS, 10)
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date=START)

    output = sync(config, {"news": INCREMENTAL})
    requests_sent = sent(sandbox)

    aapl, msft = news_of(sandbox, "AAPL"), news_of(sandbox, "MSFT")
    both = [a["id"] for a in aapl if "MSFT" in a["tickers"]]
    assert (len(aapl), len(msft), len(both)) == (46, 46, 20)
    assert records(output, "news") == once(aapl, msft)
    assert len(records(output, "news")) == 46 + 46 - 20
    first = [(path, q) for path, q in requests_sent if "cursor" not in q]
    assert first == [
        (
            "/v2/reference/news",
            {"ticker": t, "published_utc.gte": START, **NEWS_QUERY, "limit": "10"},
        )
        for t in ("AAPL", "MSFT")
    ]
    assert len(requests_sent) == 5 + 5  # 46 articles each, 10 a page
    assert final_state(output, "news") == news_state(AAPL="2026-11-23", MSFT="2026-11-23")
    assert errors(output) == []


def test_a_sync_killed_after_the_first_tickers_state_reads_the_rest_again_and_loses_nothing(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date=START)
    whole = sync(config, {"news": INCREMENTAL})
    killed = killed_after_state(whole, "news", 1)
    aapl, msft = news_of(sandbox, "AAPL"), news_of(sandbox, "MSFT")
    assert killed.saved == aapl and killed.state == news_state(AAPL="2026-11-23")
    sandbox.clear_requests()

    resumed = sync(config, {"news": INCREMENTAL}, stream_state("news", killed.state))

    # MSFT, never saved, from start_date; AAPL again from its cursor less the two-day look-back.
    assert sent(sandbox) == [
        ("/v2/reference/news", {"ticker": "MSFT", "published_utc.gte": START, **NEWS_QUERY}),
        ("/v2/reference/news", {"ticker": "AAPL", "published_utc.gte": "2026-11-21", **NEWS_QUERY}),
    ]
    look_back = news_of(sandbox, "AAPL", "2026-11-21")
    assert records(resumed, "news") == once(msft, look_back)
    again = [r for r in records(resumed, "news") if r["id"] in {a["id"] for a in aapl}]
    assert {r["id"] for r in again} == {a["id"] for a in look_back} | {
        m["id"] for m in msft if "AAPL" in m["tickers"]
    }
    kept = {r["id"] for r in killed.saved} | {r["id"] for r in records(resumed, "news")}
    assert kept == {r["id"] for r in records(whole, "news")}
    assert final_state(resumed, "news") == news_state(AAPL="2026-11-23", MSFT="2026-11-23")


@pytest.mark.sandbox_now(datetime(2026, 11, 12, 21, 30, tzinfo=timezone.utc))
def test_the_look_back_brings_an_article_that_reached_the_api_after_the_last_sync(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None]
) -> None:
    """An article published on November 11 reaches the API late on the 12th, after the first
    sync: the second, a day later, reads from two days before its cursor and gets it."""
    fixed_now(sandbox.now)
    config = sandbox_config(sandbox, tickers=["AAPL"], start_date=START)
    first = sync(config, {"news": INCREMENTAL})
    assert final_state(first, "news") == news_state(AAPL="2026-11-12")
    thursday = datetime(2026, 11, 13, 21, 30, tzinfo=timezone.utc)
    sandbox.set_now(thursday)
    fixed_now(thursday)
    sandbox.clear_requests()

    second = sync(config, {"news": INCREMENTAL}, stream_state("news", final_state(first, "news")))

    assert [q["published_utc.gte"] for _, q in sent(sandbox)] == ["2026-11-10"]
    seen_first = {r["id"] for r in records(first, "news")}
    late = [r for r in records(second, "news") if r["id"] not in seen_first]
    published_before = [r for r in late if r["published_utc"] < "2026-11-12T21:30:00Z"]
    # The second would come from the cursor's day on; the first only thanks to the look-back.
    assert [r["published_utc"] for r in published_before] == [
        "2026-11-11T16:33:06Z",
        "2026-11-12T01:41:11Z",
    ]
    assert records(second, "news") == news_of(sandbox, "AAPL", "2026-11-10")
    assert final_state(second, "news") == news_state(AAPL="2026-11-13")


def test_news_of_an_unknown_ticker_is_empty_and_the_others_are_read(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["ZZZZ", "AAPL"], start_date=START)

    output = sync(config, {"news": INCREMENTAL})

    # The endpoint cannot tell an unknown ticker from a quiet one: no article, no warning.
    assert [q["ticker"] for _, q in sent(sandbox)] == ["ZZZZ", "AAPL"]
    assert records(output, "news") == news_of(sandbox, "AAPL")
    assert (errors(output), warnings(output)) == ([], [])
    assert final_state(output, "news") == news_state(ZZZZ="2026-11-23", AAPL="2026-11-23")


# -- ticker_events and related_companies -----------------------------------------------------


def test_ticker_events_give_one_record_per_event_with_the_tickers_identity(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["META", "ZZZZ", "AAPL", "X:BTCUSD"])

    output = sync(config, {"ticker_events": FULL_REFRESH})
    paths = [path for path, _ in sent(sandbox)]

    expected = []
    for ticker in ("META", "AAPL"):
        results = api(sandbox, f"/vX/reference/tickers/{ticker}/events")["results"]
        identity = {k: results[k] for k in ("name", "cik", "composite_figi")}
        expected += [{"ticker": ticker, **identity, **event} for event in results["events"]]
    assert records(output, "ticker_events") == expected
    assert [(r["ticker"], r["date"], r["ticker_change"]["ticker"]) for r in expected] == [
        ("META", "2022-06-09", "META"),
        ("META", "2012-05-18", "FB"),
        ("AAPL", "1980-12-12", "AAPL"),
    ]
    assert warnings(output) == [
        "ZZZZ: the API has no ticker events for this symbol (404 Not Found); the other tickers "
        "are read. Check the symbol."
    ]
    assert paths == [
        "/vX/reference/tickers/META/events",
        "/vX/reference/tickers/ZZZZ/events",
        "/vX/reference/tickers/AAPL/events",
    ]
    assert errors(output) == []


def test_related_companies_carry_the_configured_ticker(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "ZZZZ", "ABUL", "C:EURUSD"])

    output = sync(config, {"related_companies": FULL_REFRESH})
    paths = [path for path, _ in sent(sandbox)]

    expected = [
        {"stock_symbol": ticker, **row}
        for ticker in ("AAPL", "ABUL")
        for row in api(sandbox, f"/v1/related-companies/{ticker}")["results"]
    ]
    assert records(output, "related_companies") == expected and len(expected) == 7 + 4
    assert warnings(output) == [
        "ZZZZ: the API has no related companies for this symbol; the other tickers are read. "
        "Check the symbol."
    ]
    assert paths == [
        "/v1/related-companies/AAPL",
        "/v1/related-companies/ZZZZ",
        "/v1/related-companies/ABUL",
    ]


def test_every_field_the_api_sends_is_in_a_record(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["META", "MSFT"], start_date=START)
    streams = {
        "news": INCREMENTAL,
        "ticker_events": FULL_REFRESH,
        "related_companies": FULL_REFRESH,
    }

    output = sync(config, streams)

    written = {r["id"]: r for r in records(output, "news")}
    for ticker in ("META", "MSFT"):
        for article in news_of(sandbox, ticker):
            assert written[article["id"]] == article
        results = api(sandbox, f"/vX/reference/tickers/{ticker}/events")["results"]
        events = [r for r in records(output, "ticker_events") if r["ticker"] == ticker]
        assert [
            {k: r[k] for k in event} for r, event in zip(events, results["events"], strict=True)
        ] == (results["events"])
        assert all(
            {k: r[k] for k in ("name", "cik", "composite_figi")}
            == {k: results[k] for k in ("name", "cik", "composite_figi")}
            for r in events
        )
        related = api(sandbox, f"/v1/related-companies/{ticker}")["results"]
        mine = [r for r in records(output, "related_companies") if r["stock_symbol"] == ticker]
        assert [{"ticker": r["ticker"]} for r in mine] == related


def test_only_the_selected_stream_asks_and_only_for_stock_tickers(sandbox: Sandbox) -> None:
    config = sandbox_config(
        sandbox, tickers=["X:BTCUSD", "AAPL", "C:EURUSD", "I:SPX", "O:AAPL250117C00150000"]
    )
    config["start_date"] = "2026-11-20"

    sync(config, {"related_companies": FULL_REFRESH})
    assert [path for path, _ in sent(sandbox)] == ["/v1/related-companies/AAPL"]
    sandbox.clear_requests()
    sync(config, {"news": INCREMENTAL})
    assert [(path, q["ticker"]) for path, q in sent(sandbox)] == [("/v2/reference/news", "AAPL")]


def test_a_refused_request_fails_the_stream_once_after_the_others_are_read_and_saved(
    sandbox: Sandbox,
) -> None:
    """Every plan has these endpoints (reference data); a 403 all the same (the sandbox
    refuses MSFT's path) is one config_error at the end, the other streams read and saved."""
    sandbox.set_faults(Faults(forbid_ticker="MSFT"))
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date=START)
    streams = {"related_companies": FULL_REFRESH, "news": INCREMENTAL}

    output = sync(config, streams, expect_failure=True)

    assert [(r.path, r.status) for r in sandbox.data_requests()] == [
        ("/v1/related-companies/AAPL", 200),
        ("/v1/related-companies/MSFT", 403),
        ("/v2/reference/news", 200),
        ("/v2/reference/news", 200),
    ]
    assert [r["stock_symbol"] for r in records(output, "related_companies")] == ["AAPL"] * 7
    assert records(output, "news") == once(news_of(sandbox, "AAPL"), news_of(sandbox, "MSFT"))
    assert final_state(output, "news") == news_state(AAPL="2026-11-23", MSFT="2026-11-23")
    assert errors(output) == [
        (
            FailureType.config_error,
            "The API key works, but the plan does not cover companies related to MSFT: You are "
            "not entitled to this data. Please upgrade your plan at https://polygon.io/pricing. "
            "Choose a timespan and start_date your plan includes, or upgrade the plan.",
        ),
        (
            FailureType.config_error,
            "During the sync, the following streams did not sync successfully: related_companies.",
        ),
    ]

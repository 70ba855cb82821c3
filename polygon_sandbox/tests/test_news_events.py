"""News, ticker events and related companies as the sandbox serves them: the `massive`
client's models name every field it sends (and it sends every one of them), the client pages
through the news, and the inactive listings tell the story the ticker events tell."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import pytest
import requests
from massive import RESTClient
from massive.rest.models.tickers import (
    Insight,
    Publisher,
    RelatedCompany,
    TickerChangeEvent,
    TickerChangeResults,
    TickerNews,
)

from polygon_sandbox import FREE_KEY, UNLIMITED_KEY, Sandbox

from .helpers import api_json, model_fields

NOW = datetime(2026, 11, 23, 21, 30, tzinfo=timezone.utc)


@pytest.fixture
def sandbox(loopback_only: None) -> Iterator[Sandbox]:
    with Sandbox(now=NOW, seed=1) as server:
        yield server


def november_news(sandbox: Sandbox, ticker: str = "AAPL") -> list[dict[str, Any]]:
    query = {"ticker": ticker, "published_utc.gte": "2026-11-01", "order": "asc", "limit": 1000}
    return list(api_json(sandbox, "/v2/reference/news", **query)["results"])


def test_news_fields_are_the_models_fields(sandbox: Sandbox) -> None:
    articles = november_news(sandbox)

    assert len(articles) == 46
    assert set().union(*articles) == model_fields(TickerNews)
    assert all(set(a) >= model_fields(TickerNews) - {"amp_url"} for a in articles)
    assert {key for a in articles for key in a["publisher"]} == model_fields(Publisher)
    assert {key for a in articles for i in a["insights"] for key in i} == model_fields(Insight)
    assert all(a["tickers"] == [i["ticker"] for i in a["insights"]] for a in articles)


def test_events_and_related_fields_are_the_models_fields(sandbox: Sandbox) -> None:
    results = api_json(sandbox, "/vX/reference/tickers/META/events")["results"]
    related = api_json(sandbox, "/v1/related-companies/AAPL")

    assert set(results) == model_fields(TickerChangeResults)
    assert {key for event in results["events"] for key in event} == model_fields(TickerChangeEvent)
    assert {key for row in related["results"] for key in row} == model_fields(RelatedCompany)
    assert related["stock_symbol"] == "AAPL"


def test_the_client_pages_through_a_tickers_news(sandbox: Sandbox, client: RESTClient) -> None:
    articles = list(
        client.list_ticker_news(
            ticker="AAPL", published_utc_gte="2026-11-01", order="asc", limit=10
        )
    )

    expected = november_news(sandbox)
    assert [a.id for a in articles] == [e["id"] for e in expected]
    assert [a.published_utc for a in articles] == sorted(e["published_utc"] for e in expected)
    assert [r.status for r in sandbox.requests] == [200] * 6  # five pages of 10, one check


def test_the_client_reads_ticker_events_and_related_companies(client: RESTClient) -> None:
    events = client.get_ticker_events("META")
    related = client.get_related_companies("AAPL")

    assert isinstance(events, TickerChangeResults)
    assert events.name == "Meta Platforms, Inc. Class A Common Stock"
    assert [(e["date"], e["ticker_change"]["ticker"]) for e in events.events or []] == [
        ("2022-06-09", "META"),
        ("2012-05-18", "FB"),
    ]
    assert [r.ticker for r in related] == ["MSFT", "NVDA", "META", "AMZN", "SPY", "TSLA", "GOOGL"]


def test_an_article_is_news_of_every_ticker_it_names(sandbox: Sandbox) -> None:
    aapl, msft = november_news(sandbox, "AAPL"), november_news(sandbox, "MSFT")

    both = [a for a in aapl if "MSFT" in a["tickers"]]
    assert both and both == [m for m in msft if "AAPL" in m["tickers"]]
    assert all("AAPL" in a["tickers"] for a in aapl)


def test_published_utc_bounds_take_a_date_or_an_instant(sandbox: Sandbox) -> None:
    everything = november_news(sandbox)
    moment = everything[10]["published_utc"]

    def asked(**bounds: str) -> list[str]:
        query = {"ticker": "AAPL", "order": "asc", "limit": 1000, **bounds}
        return [a["id"] for a in api_json(sandbox, "/v2/reference/news", **query)["results"]]

    assert asked(**{"published_utc.gt": moment, "published_utc.lt": "2026-11-30"}) == [
        a["id"] for a in everything[11:]
    ]
    assert asked(**{"published_utc.gte": "2026-11-01", "published_utc.lte": moment}) == [
        a["id"] for a in everything[:11]
    ]
    newest_first = api_json(sandbox, "/v2/reference/news", ticker="AAPL", limit=3)["results"]
    assert [a["id"] for a in newest_first] == [a["id"] for a in everything[::-1][:3]]


def test_an_article_is_served_once_it_has_reached_the_api(sandbox: Sandbox) -> None:
    """A day after NOW, the sandbox serves articles published before NOW that had not arrived."""
    before = {a["id"] for a in november_news(sandbox)}
    sandbox.set_now(datetime(2026, 11, 25, 21, 30, tzinfo=timezone.utc))
    later = [a for a in november_news(sandbox) if a["published_utc"] < "2026-11-23T21:30:00Z"]

    late = [a for a in later if a["id"] not in before]
    assert len(late) == 1 and late[0]["published_utc"] > "2026-11-22"
    assert before <= {a["id"] for a in later}


def test_inactive_listings_are_the_former_symbols_of_the_ticker_events(
    sandbox: Sandbox, client: RESTClient
) -> None:
    inactive = list(client.list_tickers(market="stocks", active=False, limit=1000))
    active = api_json(sandbox, "/v3/reference/tickers", market="stocks", limit=1000)["results"]
    by_symbol = {row["ticker"]: row for row in active}

    changes = 0
    for ticker, listing in by_symbol.items():
        response = requests.get(
            f"{sandbox.url}/vX/reference/tickers/{ticker}/events",
            headers={"Authorization": f"Bearer {UNLIMITED_KEY}"},
        )
        results = response.json()["results"]
        assert results["composite_figi"] == listing["composite_figi"]
        newest, *older = results["events"]
        assert newest["ticker_change"]["ticker"] == ticker
        for event, former in zip(results["events"], older, strict=False):
            gone = [t for t in inactive if t.ticker == former["ticker_change"]["ticker"]]
            assert [(t.composite_figi, t.delisted_utc) for t in gone] == [
                (listing["composite_figi"], event["date"] + "T00:00:00Z")
            ]
            changes += 1
    assert changes == 15 and len(inactive) == 21
    reused = [t for t in inactive if t.ticker in by_symbol]
    assert len(reused) == 6
    assert all(t.composite_figi != by_symbol[t.ticker]["composite_figi"] for t in reused)
    assert all(t.active is False and t.delisted_utc for t in inactive)


def test_an_unknown_symbol_has_no_events_and_no_related_companies(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {UNLIMITED_KEY}"}
    events = requests.get(f"{sandbox.url}/vX/reference/tickers/FB/events", headers=headers)

    assert (events.status_code, events.json()["status"]) == (404, "NOT_FOUND")
    assert api_json(sandbox, "/v1/related-companies/ZZZZ")["results"] == []


def test_news_needs_a_ticker_and_a_limit_up_to_1000(sandbox: Sandbox) -> None:
    headers = {"Authorization": f"Bearer {UNLIMITED_KEY}"}

    def status(**params: Any) -> int:
        url = f"{sandbox.url}/v2/reference/news"
        return requests.get(url, params=params, headers=headers).status_code

    assert (status(), status(ticker="AAPL", limit=1001), status(ticker="AAPL", limit=1000)) == (
        400,
        400,
        200,
    )


def test_the_free_plan_reads_all_three(sandbox: Sandbox) -> None:
    """Reference data, as the vendor's entitlement names them: no plan tier above basic."""
    headers = {"Authorization": f"Bearer {FREE_KEY}"}
    paths = (
        "/v2/reference/news?ticker=AAPL&limit=1",
        "/vX/reference/tickers/AAPL/events",
        "/v1/related-companies/AAPL",
    )

    statuses = [requests.get(f"{sandbox.url}{p}", headers=headers).status_code for p in paths]

    assert statuses == [200, 200, 200]

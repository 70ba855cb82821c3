"""The five reference streams read in-process against the sandbox: records, requests, states.

The expected records come from the sandbox itself, asked directly over HTTP in one unpaged
request (or from its split table), never from the connector's code.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qs

import pytest
from airbyte_cdk.models import AirbyteStateMessage, FailureType
from airbyte_cdk.test.entrypoint_wrapper import EntrypointOutput

from integration_tests.declared_syncs import (
    AT_MONDAY,
    FULL_REFRESH,
    INCREMENTAL,
    api,
    errors,
    final_state,
    records,
    sent,
    stream_state,
    sync,
    warnings,
)
from integration_tests.helpers import SANDBOX_KEY, sandbox_config
from polygon_sandbox import FREE_KEY, Faults, Sandbox
from source_stock_ticker_api.reference import catalog
from source_stock_ticker_api.reference.endpoints import TICKERS

# Friday 2026-06-05 and, 88 days later, Tuesday 2026-09-01 (after the close).
JUNE_5 = datetime(2026, 6, 5, 21, 30, tzinfo=timezone.utc)
SEPTEMBER_1 = datetime(2026, 9, 1, 21, 30, tzinfo=timezone.utc)

pytestmark = AT_MONDAY


@pytest.fixture
def no_sleep(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[float]]:
    """Retries' pauses, recorded instead of slept."""
    import time

    slept: list[float] = []
    monkeypatch.setattr(time, "sleep", slept.append)
    yield slept


def dividends_state(**cursors: str) -> list[AirbyteStateMessage]:
    return stream_state("dividends", {t: {"ex_dividend_date": day} for t, day in cursors.items()})


# -- tickers ---------------------------------------------------------------------------------


def test_tickers_follows_next_url_through_every_page_of_each_market_of_the_config(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    query = tuple((name, 50 if name == "limit" else value) for name, value in TICKERS.query)
    smaller = tuple(replace(e, query=query) if e is TICKERS else e for e in catalog.ENDPOINTS)
    monkeypatch.setattr(catalog, "ENDPOINTS", smaller)

    output = sync(sandbox_config(sandbox), {"tickers": FULL_REFRESH})
    requests_sent = sent(sandbox)

    listed = [
        *api(sandbox, "/v3/reference/tickers", market="stocks", limit=1000)["results"],
        *api(sandbox, "/v3/reference/tickers", market="stocks", active="false")["results"],
        *api(sandbox, "/v3/reference/tickers", market="otc", limit=1000)["results"],
        *api(sandbox, "/v3/reference/tickers", market="otc", active="false")["results"],
    ]
    assert len(listed) == 122 + 21
    assert records(output, "tickers") == listed
    first = {"sort": "ticker", "order": "asc", "limit": "50"}
    assert [(path, query.get("market"), query.get("active")) for path, query in requests_sent] == [
        ("/v3/reference/tickers", "stocks", "true"),
        ("/v3/reference/tickers", None, None),  # later pages: next_url's cursor alone
        ("/v3/reference/tickers", None, None),
        ("/v3/reference/tickers", "stocks", "false"),  # 21 inactive listings: one page
        ("/v3/reference/tickers", "otc", "true"),
        ("/v3/reference/tickers", "otc", "false"),
    ]
    assert requests_sent[0][1] == {"market": "stocks", "active": "true", **first}
    assert [set(query) for _, query in requests_sent[1:3]] == [{"cursor"}, {"cursor"}]
    assert requests_sent[3][1] == {"market": "stocks", "active": "false", **first}
    assert requests_sent[4][1] == {"market": "otc", "active": "true", **first}
    assert errors(output) == []


def test_tickers_lists_each_market_present_in_the_config_and_none_for_options(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(
        sandbox, tickers=["AAPL", "X:BTCUSD", "C:EURUSD", "I:SPX", "O:AAPL250117C00150000"]
    )

    output = sync(config, {"tickers": FULL_REFRESH})

    assert [(query["market"], query["active"]) for _, query in sent(sandbox)] == [
        (market, active)
        for market in ("stocks", "otc", "crypto", "fx", "indices")
        for active in ("true", "false")
    ]
    listed = records(output, "tickers")
    markets = [(record["market"], record["active"]) for record in listed]
    assert {m: markets.count(m) for m in set(markets)} == {
        ("stocks", True): 121,
        ("stocks", False): 21,
        ("otc", True): 1,
        ("crypto", True): 2,
        ("fx", True): 3,
        ("indices", True): 3,
    }


def test_tickers_lists_a_former_symbol_and_a_reused_one_as_rows_of_their_own(
    sandbox: Sandbox,
) -> None:
    """FB, META's symbol until 2022-06-09, is an inactive listing of the same entity; a
    symbol listed again after a delisting is two rows, told apart by delisted_utc."""
    output = sync(sandbox_config(sandbox), {"tickers": FULL_REFRESH})
    listed = records(output, "tickers")

    def rows(symbol: str) -> list[tuple[Any, ...]]:
        found = [r for r in listed if r["ticker"] == symbol]
        return [(r["active"], r.get("delisted_utc"), r["composite_figi"]) for r in found]

    meta = rows("META")
    assert rows("FB") == [(False, "2022-06-09T00:00:00Z", meta[0][2])]
    assert [(active, delisted) for active, delisted, _ in rows("KUT")] == [
        (True, None),
        (False, "2005-07-11T00:00:00Z"),
    ]
    keys = [tuple(r.get(k) for k in TICKERS.primary_key) for r in listed]
    assert len(set(keys)) == len(keys) == 143


# -- ticker_details --------------------------------------------------------------------------


def test_ticker_details_gives_one_record_per_ticker_and_a_warning_for_an_unknown_one(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "ZZZZ", "MSFT"])

    output = sync(config, {"ticker_details": FULL_REFRESH})
    paths = [path for path, _ in sent(sandbox)]

    assert records(output, "ticker_details") == [
        api(sandbox, "/v3/reference/tickers/AAPL")["results"],
        api(sandbox, "/v3/reference/tickers/MSFT")["results"],
    ]
    assert warnings(output) == [
        "ZZZZ: the API has no ticker details for this symbol (404 Not Found); the other tickers "
        "are read. Check the symbol."
    ]
    assert errors(output) == []
    assert paths == [
        "/v3/reference/tickers/AAPL",
        "/v3/reference/tickers/ZZZZ",
        "/v3/reference/tickers/MSFT",
    ]


# -- dividends and splits --------------------------------------------------------------------


def everything(sandbox: Sandbox, tickers: str, start: str) -> list[dict[str, Any]]:
    """Every dividend of `tickers` from `start` on, as the sandbox serves them now."""
    query = {"ticker.any_of": tickers, "ex_dividend_date.gte": start, "limit": 5000}
    return list(api(sandbox, "/stocks/v1/dividends", **query)["results"])


def latest_versions(*syncs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records as a destination deduplicating on `id` keeps them, in the API's order."""
    latest = {record["id"]: record for records in syncs for record in records}
    return sorted(latest.values(), key=lambda r: (r["ticker"], r["ex_dividend_date"]))


def resume(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None], moment: datetime, config: Any
) -> tuple[EntrypointOutput, EntrypointOutput, list[tuple[str, dict[str, str]]]]:
    """A first dividends sync at the sandbox's now, then one at `moment` from its state."""
    first = sync(config, {"dividends": INCREMENTAL})
    cursors = {t: c["ex_dividend_date"] for t, c in final_state(first, "dividends").items()}
    sandbox.set_now(moment)
    fixed_now(moment)
    sandbox.clear_requests()
    second = sync(config, {"dividends": INCREMENTAL}, dividends_state(**cursors))
    return first, second, sent(sandbox)


@pytest.mark.sandbox_now(datetime(2026, 9, 25, 21, 30, tzinfo=timezone.utc))
def test_dividends_resume_inside_the_look_back_and_repeat_only_what_is_inside_it(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None]
) -> None:
    """No dividend was declared between the two syncs: one request, from 30 days back."""
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "SPY"], start_date="2025-06-02")
    fixed_now(sandbox.now)
    october_1 = datetime(2026, 10, 1, 21, 30, tzinfo=timezone.utc)

    first, second, requests_sent = resume(sandbox, fixed_now, october_1, config)

    assert final_state(first, "dividends") == {
        t: {"ex_dividend_date": "2026-09-25"} for t in ("AAPL", "MSFT", "SPY")
    }
    assert final_state(second, "dividends") == {
        t: {"ex_dividend_date": "2026-10-01"} for t in ("AAPL", "MSFT", "SPY")
    }
    assert requests_sent == [
        (
            "/stocks/v1/dividends",
            {
                "ticker.any_of": "AAPL,MSFT,SPY",
                "ex_dividend_date.gte": "2026-08-26",
                "sort": "ticker.asc,ex_dividend_date.asc",
                "limit": "5000",
            },
        )
    ]
    one, two = records(first, "dividends"), records(second, "dividends")
    assert latest_versions(one, two) == everything(sandbox, "AAPL,MSFT,SPY", "2025-06-02")
    twice = {r["id"] for r in one} & {r["id"] for r in two}
    assert {r["ex_dividend_date"] for r in two} and all(
        r["ex_dividend_date"] >= "2026-08-26" for r in two if r["id"] in twice
    )
    assert len(two) < len(one)


def test_new_dividends_refresh_the_earlier_factors_and_lose_nothing(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None]
) -> None:
    """New dividends between the syncs change every earlier cumulative factor: the tickers
    concerned have their earlier dividends read again, in one more request."""
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "SPY"], start_date="2025-06-02")
    sandbox.set_now(JUNE_5)
    fixed_now(JUNE_5)

    first, second, requests_sent = resume(sandbox, fixed_now, SEPTEMBER_1, config)

    one = records(first, "dividends")
    # Declared ahead: the first sync already held a dividend whose ex-date was still to come.
    assert any(record["ex_dividend_date"] > "2026-06-05" for record in one)
    common = {"ticker.any_of": "AAPL,MSFT,SPY", "sort": "ticker.asc,ex_dividend_date.asc"}
    assert requests_sent == [
        ("/stocks/v1/dividends", {**common, "ex_dividend_date.gte": "2026-05-06", "limit": "5000"}),
        (
            "/stocks/v1/dividends",
            {
                **common,
                "ex_dividend_date.gte": "2025-06-02",
                "ex_dividend_date.lt": "2026-05-06",
                "limit": "5000",
            },
        ),
    ]
    now_served = everything(sandbox, "AAPL,MSFT,SPY", "2025-06-02")
    assert latest_versions(one, records(second, "dividends")) == now_served
    # Without the second request, the first sync's factors would be stale.
    assert latest_versions(one) != [r for r in now_served if r["ex_dividend_date"] < "2026-06"]


def test_a_ticker_added_later_gets_its_whole_history(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date="2025-06-02")

    output = sync(config, {"dividends": INCREMENTAL}, dividends_state(AAPL="2026-11-06"))

    # One request for both, from the earlier start; AAPL's rows before its own start (its
    # cursor less the look-back) were written by the sync before, and are dropped.
    assert [(q["ticker.any_of"], q["ex_dividend_date.gte"]) for _, q in sent(sandbox)] == [
        ("MSFT,AAPL", "2025-06-02"),
    ]
    msft, aapl = (
        api(sandbox, "/stocks/v1/dividends", **{"ticker": ticker, "ex_dividend_date.gte": start})[
            "results"
        ]
        for ticker, start in (("MSFT", "2025-06-02"), ("AAPL", "2026-10-07"))
    )
    assert [r for r in records(output, "dividends") if r["ticker"] == "MSFT"] == msft
    assert [r for r in records(output, "dividends") if r["ticker"] == "AAPL"] == aapl
    assert final_state(output, "dividends") == {
        "AAPL": {"ex_dividend_date": "2026-11-23"},
        "MSFT": {"ex_dividend_date": "2026-11-23"},
    }


def test_split_factors_turn_the_unadjusted_closes_into_the_adjusted_ones(sandbox: Sandbox) -> None:
    """stock_prices unadjusted, splits, stock_prices adjusted: each close recomputed from the
    other two, over years that hold five splits."""
    tickers = ["AAPL", "NVDA", "TSLA", "MSFT"]
    dates = {"start_date": "2020-01-02", "end_date": "2024-12-31"}
    raw_config = sandbox_config(sandbox, tickers=tickers, adjusted=False, **dates)
    raw = records(sync(raw_config, {"stock_prices": FULL_REFRESH}), "stock_prices")
    splits = records(sync(raw_config, {"splits": INCREMENTAL}), "splits")
    adjusted_config = sandbox_config(sandbox, tickers=tickers, **dates)
    adjusted = records(sync(adjusted_config, {"stock_prices": FULL_REFRESH}), "stock_prices")

    assert [(s["ticker"], s["execution_date"], s["split_to"]) for s in splits] == [
        ("AAPL", "2020-08-31", 4.0),
        ("NVDA", "2021-07-20", 4.0),
        ("NVDA", "2024-06-10", 10.0),
        ("TSLA", "2020-08-31", 5.0),
        ("TSLA", "2022-08-25", 3.0),
    ]

    def factor(ticker: str, day: str) -> float:
        """The factor of the first split after `day`: it covers every later one too."""
        later = [s for s in splits if s["ticker"] == ticker and s["execution_date"] > day]
        return later[0]["historical_adjustment_factor"] if later else 1.0

    assert len(raw) == len(adjusted) > 4 * 1000
    changed = 0
    for before, after in zip(raw, adjusted, strict=True):
        assert (before["stock_ticker"], before["date"]) == (after["stock_ticker"], after["date"])
        recomputed = before["close"] * factor(before["stock_ticker"], before["date"])
        assert recomputed == pytest.approx(after["close"], abs=1e-4), before
        changed += before["close"] != after["close"]
    assert changed > 1000  # the relation was put to the test, not trivially true


# -- failures --------------------------------------------------------------------------------


def test_free_plan_reads_the_two_years_it_covers_then_fails_naming_the_start_date(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, api_key=FREE_KEY, tickers=["AAPL", "MSFT"])
    config["start_date"] = "2022-01-03"

    output = sync(config, {"dividends": INCREMENTAL}, expect_failure=True)

    assert [(r.status, parse_qs(r.query)["ex_dividend_date.gte"]) for r in sandbox.requests] == [
        (403, ["2022-01-03"]),
        (200, ["2024-11-24"]),
    ]
    covered = api(
        sandbox,
        "/stocks/v1/dividends",
        **{"ticker.any_of": "AAPL,MSFT", "ex_dividend_date.gte": "2024-11-24", "limit": 5000},
    )["results"]
    assert covered and records(output, "dividends") == covered
    assert errors(output)[0] == (
        FailureType.config_error,
        "The API key works, but the plan does not cover dividends of AAPL, MSFT from 2022-01-03: "
        "Your plan doesn't include this data timeframe. Please upgrade your plan at "
        "https://polygon.io/pricing. The dividends from 2024-11-24 on were read; set "
        "start_date to 2024-11-24 or later, or upgrade the plan, for the sync to succeed.",
    )
    # The cursors stay put: the next sync tries the whole range again.
    assert all(
        not m.state.stream.stream_state.__dict__  # type: ignore[union-attr]
        for m in output.state_messages
    )


def test_an_unknown_key_stops_the_stream_with_a_config_error_and_no_retry(
    sandbox: Sandbox, no_sleep: list[float]
) -> None:
    config = sandbox_config(sandbox, api_key="not-a-sandbox-key")

    output = sync(config, {"market_holidays": FULL_REFRESH}, expect_failure=True)

    assert errors(output)[0] == (
        FailureType.config_error,
        "The API rejected the API key (Unknown API Key). "
        "Check api_key: copy it again from your Polygon.io / Massive.com dashboard.",
    )
    assert len(sandbox.data_requests()) == 1
    assert no_sleep == []


def test_a_server_error_is_retried_with_the_usual_line(
    sandbox: Sandbox, no_sleep: list[float], capfd: pytest.CaptureFixture[str]
) -> None:
    sandbox.set_faults(Faults(error_schedule=[1]))

    output = sync(sandbox_config(sandbox, start_date="2020-01-02"), {"splits": INCREMENTAL})

    assert [r.status for r in sandbox.data_requests()] == [502, 200]
    assert (
        "The API answered HTTP 502 (HTTP 502 Bad Gateway) for splits of AAPL from 2020-01-02. "
        "Retrying in 2 s." in capfd.readouterr().out
    )
    assert [p for p in no_sleep if p] == [2.0]
    assert [r["execution_date"] for r in records(output, "splits")] == ["2020-08-31"]
    assert errors(output) == []


# -- costs and secrets -----------------------------------------------------------------------


def test_a_sync_of_stock_prices_alone_makes_no_reference_request(sandbox: Sandbox) -> None:
    sync(sandbox_config(sandbox, start_date="2026-11-02"), {"stock_prices": INCREMENTAL})

    assert [r.path for r in sandbox.data_requests()] == [
        "/v2/aggs/ticker/AAPL/range/1/day/2026-11-02/2026-11-23"
    ]


def test_every_stream_keeps_the_key_in_the_header_and_out_of_the_output(
    sandbox: Sandbox,
) -> None:
    streams = {
        "tickers": FULL_REFRESH,
        "ticker_details": FULL_REFRESH,
        "dividends": INCREMENTAL,
        "splits": INCREMENTAL,
        "market_holidays": FULL_REFRESH,
    }
    config = sandbox_config(sandbox, tickers=["NVDA", "MSFT"], start_date="2021-01-04")
    output = sync(config, streams)

    assert {m.record.stream for m in output.records if m.record} == set(streams)
    assert all(SANDBOX_KEY not in str(message) for message in output.get_message_iterator())
    assert all(r.auth == "header" and SANDBOX_KEY not in r.url for r in sandbox.requests)

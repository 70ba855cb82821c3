"""Short interest, short volume, float and IPOs read in-process against the sandbox.

The expected records come from the sandbox itself, asked directly in one unpaged request.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

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
    states,
    stream_state,
    sync,
    warnings,
    with_page_size,
)
from integration_tests.helpers import sandbox_config
from polygon_sandbox import FREE_KEY, Sandbox
from source_stock_ticker_api.reference.declarations import Endpoint
from source_stock_ticker_api.reference.short_data import (
    IPOS,
    SHORT_INTEREST,
    SHORT_VOLUME,
    STOCK_FLOAT,
)

# A week later, when the short interest of 2026-11-13 has been revised (14 days after).
NEXT_MONDAY = datetime(2026, 11, 30, 21, 30, tzinfo=timezone.utc)

pytestmark = AT_MONDAY


def served(sandbox: Sandbox, path: str, **query: Any) -> list[dict[str, Any]]:
    """The sandbox's answer in one page of the endpoint's largest size."""
    limit = 1000 if path.endswith("ipos") else 50_000
    return list(api(sandbox, path, limit=limit, **query)["results"])


def test_short_volume_pages_through_next_url_per_ticker(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    with_page_size(monkeypatch, SHORT_VOLUME, 5)
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date="2026-11-02")

    output = sync(config, {"short_volume": INCREMENTAL})
    requests_sent = sent(sandbox)

    # 15 trading days from 2026-11-02 to 2026-11-20 (the 23rd's session is not over).
    expected = [
        *served(sandbox, "/stocks/v1/short-volume", ticker="AAPL", **{"date.gte": "2026-11-02"}),
        *served(sandbox, "/stocks/v1/short-volume", ticker="MSFT", **{"date.gte": "2026-11-02"}),
    ]
    assert len(expected) == 30
    assert records(output, "short_volume") == expected
    first = {"date.gte": "2026-11-02", "sort": "date.asc", "limit": "5"}
    assert [query for _, query in requests_sent] == [
        {"ticker": "AAPL", **first},
        {"cursor": requests_sent[1][1]["cursor"]},
        {"cursor": requests_sent[2][1]["cursor"]},
        {"ticker": "MSFT", **first},
        {"cursor": requests_sent[4][1]["cursor"]},
        {"cursor": requests_sent[5][1]["cursor"]},
    ]
    assert final_state(output, "short_volume") == {
        "AAPL": {"date": "2026-11-23"},
        "MSFT": {"date": "2026-11-23"},
    }
    assert errors(output) == [] and warnings(output) == []


@pytest.mark.parametrize(
    ("endpoint", "path", "query", "rows", "pages"),
    [
        (
            SHORT_INTEREST,
            "/stocks/v1/short-interest",
            {"ticker": "AAPL", "settlement_date.gte": "2026-06-01"},
            11,
            4,
        ),
        (STOCK_FLOAT, "/stocks/vX/float", {"ticker.any_of": "AAPL,MSFT,SPY"}, 3, 2),
        (IPOS, "/vX/reference/ipos", {"order": "asc", "listing_date.gte": "2026-06-01"}, 29, 10),
    ],
)
def test_each_stream_pages_to_the_sandboxs_unpaged_answer(
    sandbox: Sandbox,
    monkeypatch: pytest.MonkeyPatch,
    endpoint: Endpoint,
    path: str,
    query: dict[str, str],
    rows: int,
    pages: int,
) -> None:
    with_page_size(monkeypatch, endpoint, 3 if endpoint is not STOCK_FLOAT else 2)
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "SPY"], start_date="2026-06-01")
    if endpoint is SHORT_INTEREST:
        config["tickers"] = ["AAPL"]
    mode = FULL_REFRESH if endpoint.incremental is None else INCREMENTAL

    output = sync(config, {endpoint.stream: mode})
    requests_sent = len(sent(sandbox))

    expected = served(sandbox, path, **query)
    assert len(expected) == rows
    assert records(output, endpoint.stream) == expected
    assert requests_sent == pages


def test_short_interest_resumed_after_a_kill_reads_again_only_what_was_not_saved(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "SPY"], start_date="2026-06-01")
    first = sync(config, {"short_interest": INCREMENTAL})
    killed = killed_after_state(first, "short_interest", 1)  # AAPL's slice was saved
    sandbox.clear_requests()

    second = sync(
        config, {"short_interest": INCREMENTAL}, stream_state("short_interest", killed.state)
    )
    requests_sent = sent(sandbox)

    def of(ticker: str, start: str) -> list[dict[str, Any]]:
        query = {"ticker": ticker, "settlement_date.gte": start}
        return served(sandbox, "/stocks/v1/short-interest", **query)

    assert killed.state == {"AAPL": {"settlement_date": "2026-11-23"}}
    assert killed.saved == of("AAPL", "2026-06-01")
    # AAPL again from its cursor less the 30-day look-back: its reports of 10-30 and 11-13.
    look_back = of("AAPL", "2026-10-24")
    assert [r["settlement_date"] for r in look_back] == ["2026-10-30", "2026-11-13"]
    assert records(second, "short_interest") == [
        *of("MSFT", "2026-06-01"),
        *of("SPY", "2026-06-01"),
        *look_back,
    ]
    assert [(q["ticker"], q["settlement_date.gte"]) for _, q in requests_sent] == [
        ("MSFT", "2026-06-01"),  # ordered by start: the earliest first
        ("SPY", "2026-06-01"),
        ("AAPL", "2026-10-24"),
    ]
    assert final_state(second, "short_interest") == {
        t: {"settlement_date": "2026-11-23"} for t in ("AAPL", "MSFT", "SPY")
    }
    assert killed.lost == records(first, "short_interest")[len(killed.saved) :]


def test_short_volume_resumed_after_a_kill_reads_again_only_what_was_not_saved(
    sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after AAPL's three pages were saved: MSFT and SPY are read again from the start,
    AAPL only from 7 days before its cursor."""
    with_page_size(monkeypatch, SHORT_VOLUME, 5)
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT", "SPY"], start_date="2026-11-02")
    first = sync(config, {"short_volume": INCREMENTAL})
    killed = killed_after_state(first, "short_volume", 1)
    sandbox.clear_requests()

    second = sync(config, {"short_volume": INCREMENTAL}, stream_state("short_volume", killed.state))
    requests_sent = sent(sandbox)

    def of(ticker: str, start: str) -> list[dict[str, Any]]:
        return served(sandbox, "/stocks/v1/short-volume", ticker=ticker, **{"date.gte": start})

    assert killed.state == {"AAPL": {"date": "2026-11-23"}}
    assert killed.saved == of("AAPL", "2026-11-02")
    look_back = of("AAPL", "2026-11-16")
    assert [r["date"] for r in look_back] == [f"2026-11-{day}" for day in range(16, 21)]
    assert records(second, "short_volume") == [
        *of("MSFT", "2026-11-02"),
        *of("SPY", "2026-11-02"),
        *look_back,
    ]
    assert [(q["ticker"], q["date.gte"]) for _, q in requests_sent if "ticker" in q] == [
        ("MSFT", "2026-11-02"),
        ("SPY", "2026-11-02"),
        ("AAPL", "2026-11-16"),
    ]
    assert final_state(second, "short_volume") == {
        t: {"date": "2026-11-23"} for t in ("AAPL", "MSFT", "SPY")
    }
    assert killed.lost == records(first, "short_volume")[len(killed.saved) :]


def test_the_look_back_brings_the_revised_short_interest(
    sandbox: Sandbox, fixed_now: Callable[[datetime], None]
) -> None:
    config = sandbox_config(sandbox, start_date="2026-10-01")
    first = sync(config, {"short_interest": INCREMENTAL})
    sandbox.set_now(NEXT_MONDAY)
    fixed_now(NEXT_MONDAY)
    sandbox.clear_requests()

    second = sync(
        config,
        {"short_interest": INCREMENTAL},
        stream_state("short_interest", final_state(first, "short_interest")),
    )

    preliminary = {r["settlement_date"]: r for r in records(first, "short_interest")}
    revised = {r["settlement_date"]: r for r in records(second, "short_interest")}
    assert [q["settlement_date.gte"] for _, q in sent(sandbox)] == ["2026-10-24"]
    assert sorted(revised) == ["2026-10-30", "2026-11-13"]
    assert revised["2026-10-30"] == preliminary["2026-10-30"]  # revised before the first sync
    assert revised["2026-11-13"]["short_interest"] != preliminary["2026-11-13"]["short_interest"]
    assert list(revised.values()) == served(
        sandbox, "/stocks/v1/short-interest", ticker="AAPL", **{"settlement_date.gte": "2026-10-24"}
    )


def test_an_unknown_ticker_is_a_warning_and_the_others_are_read(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "ZZZZ", "MSFT"], start_date="2026-11-16")

    output = sync(config, {"short_volume": INCREMENTAL, "stock_float": FULL_REFRESH})

    assert warnings(output) == [
        "ZZZZ: the API has no short volume for this symbol; the other tickers are read. "
        "Check the symbol.",
        "ZZZZ: the API has no float for this symbol; the other tickers are read. "
        "Check the symbol.",
    ]
    assert [r["ticker"] for r in records(output, "stock_float")] == ["AAPL", "MSFT"]
    assert {r["ticker"] for r in records(output, "short_volume")} == {"AAPL", "MSFT"}
    assert errors(output) == []


def test_a_free_key_reads_the_two_years_it_covers_then_asks_for_a_later_start_date(
    sandbox: Sandbox,
) -> None:
    """As dividends do: the API refuses a start before the free plan's two years (403); what
    the plan covers is read, the cursors stay put, and the sync ends with a config_error."""
    config = sandbox_config(sandbox, api_key=FREE_KEY, start_date="2022-01-03")
    streams = {
        "short_interest": INCREMENTAL,
        "short_volume": INCREMENTAL,
        "stock_float": FULL_REFRESH,
        "ipos": INCREMENTAL,
    }

    output = sync(config, streams, expect_failure=True)
    asked = [(r.path, r.status, dict(parse_qsl(r.query))) for r in sandbox.data_requests()]
    starts = [(p, s, q.get("settlement_date.gte") or q.get("date.gte")) for p, s, q in asked]

    def refused(noun: str, stream: str) -> str:
        return (
            f"The API key works, but the plan does not cover {noun} of AAPL from 2022-01-03: "
            "Your plan doesn't include this data timeframe. Please upgrade your plan at "
            f"https://polygon.io/pricing. The {stream} from 2024-11-24 on were read; set "
            "start_date to 2024-11-24 or later, or upgrade the plan, for the sync to succeed."
        )

    assert [row for row in starts if "/short-" in row[0]] == [
        ("/stocks/v1/short-interest", 403, "2022-01-03"),
        ("/stocks/v1/short-interest", 200, "2024-11-24"),  # the free plan's edge: 730 days
        ("/stocks/v1/short-volume", 403, "2022-01-03"),
        ("/stocks/v1/short-volume", 200, "2024-11-24"),
    ]
    assert errors(output) == [
        (FailureType.config_error, refused("short interest", "short_interest")),
        (FailureType.config_error, refused("short volume", "short_volume")),
        (
            FailureType.config_error,
            "During the sync, the following streams did not sync successfully: short_interest, "
            "short_volume.",
        ),
    ]
    covered = {"settlement_date.gte": "2024-11-24"}
    assert records(output, "short_interest") == served(
        sandbox, "/stocks/v1/short-interest", ticker="AAPL", **covered
    )
    short_volume = served(
        sandbox, "/stocks/v1/short-volume", ticker="AAPL", **{"date.gte": "2024-11-24"}
    )
    assert records(output, "short_volume") == short_volume and len(short_volume) > 490
    assert states(output, "short_interest")[-1] == {}  # the cursors stay put
    assert states(output, "short_volume")[-1] == {}
    assert records(output, "stock_float") == served(sandbox, "/stocks/vX/float", ticker="AAPL")
    ipos = served(sandbox, "/vX/reference/ipos", order="asc", **{"listing_date.gte": "2022-01-03"})
    assert records(output, "ipos") == ipos and len(ipos) > 200
    assert final_state(output, "ipos") == {"listing_date": "2026-11-23"}


def test_every_stream_keeps_every_field_of_the_api(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, tickers=["AAPL", "MSFT"], start_date="2026-10-01")
    streams = {
        "short_interest": INCREMENTAL,
        "short_volume": INCREMENTAL,
        "stock_float": FULL_REFRESH,
        "ipos": INCREMENTAL,
    }
    output = sync(config, streams)
    pair = ("AAPL", "MSFT")
    raw = {
        "short_interest": [
            row
            for t in pair
            for row in served(
                sandbox,
                "/stocks/v1/short-interest",
                ticker=t,
                **{"settlement_date.gte": "2026-10-01"},
            )
        ],
        "short_volume": [
            row
            for t in pair
            for row in served(
                sandbox, "/stocks/v1/short-volume", ticker=t, **{"date.gte": "2026-10-01"}
            )
        ],
        "stock_float": served(sandbox, "/stocks/vX/float", **{"ticker.any_of": "AAPL,MSFT"}),
        "ipos": served(sandbox, "/vX/reference/ipos", **{"listing_date.gte": "2026-10-01"}),
    }
    for stream, rows in raw.items():
        found = records(output, stream)
        assert rows and len(found) == len(rows), stream
        for row in rows:  # every field of the API's row, under its own name, with its value
            assert any(all(record.get(k) == v for k, v in row.items()) for record in found), row


def test_requests_are_the_minimum_per_stream_and_none_for_other_markets(
    sandbox: Sandbox,
) -> None:
    config = sandbox_config(
        sandbox, tickers=["AAPL", "X:BTCUSD", "MSFT", "SPY"], start_date="2026-10-01"
    )
    streams = {
        "short_interest": INCREMENTAL,
        "short_volume": INCREMENTAL,
        "stock_float": FULL_REFRESH,
        "ipos": INCREMENTAL,
    }

    output = sync(config, streams)

    assert [(path, query) for path, query in sent(sandbox)] == [
        *(
            (
                "/stocks/v1/short-interest",
                {
                    "ticker": t,
                    "settlement_date.gte": "2026-10-01",
                    "sort": "settlement_date.asc",
                    "limit": "50000",
                },
            )
            for t in ("AAPL", "MSFT", "SPY")
        ),
        *(
            (
                "/stocks/v1/short-volume",
                {"ticker": t, "date.gte": "2026-10-01", "sort": "date.asc", "limit": "50000"},
            )
            for t in ("AAPL", "MSFT", "SPY")
        ),
        (
            "/stocks/vX/float",
            {"ticker.any_of": "AAPL,MSFT,SPY", "sort": "ticker.asc", "limit": "50000"},
        ),
        (
            "/vX/reference/ipos",
            {
                "listing_date.gte": "2026-10-01",
                "sort": "listing_date",
                "order": "asc",
                "limit": "1000",
            },
        ),
    ]
    assert errors(output) == []


def test_a_partition_less_state_is_read_as_saved(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox, start_date="2026-01-05")

    output = sync(
        config, {"ipos": INCREMENTAL}, stream_state("ipos", {"listing_date": "2026-11-10"})
    )

    assert [q["listing_date.gte"] for _, q in sent(sandbox)] == ["2026-10-11"]
    assert records(output, "ipos") == served(
        sandbox, "/vX/reference/ipos", order="asc", **{"listing_date.gte": "2026-10-11"}
    )
    assert final_state(output, "ipos") == {"listing_date": "2026-11-23"}
    logged = [m.log.message for m in output.logs if m.log]
    echoes = [line for line in logged if line.startswith("Setting state")]
    assert echoes == ["Setting state of ipos stream: listing_date 2026-11-10 (30 bytes)"]


def test_a_partition_less_state_of_another_shape_is_a_config_error(sandbox: Sandbox) -> None:
    config = sandbox_config(sandbox)

    output = sync(
        config,
        {"ipos": INCREMENTAL},
        stream_state("ipos", {"AAPL": {"listing_date": "2026-11-10"}}),
        expect_failure=True,
    )

    assert errors(output)[0][0] == FailureType.config_error
    assert errors(output)[0][1].startswith(
        "The saved state of ipos is {'AAPL': {'listing_date': '2026-11-10'}}, not "
        '{"listing_date": "YYYY-MM-DD"}.'
    )
    assert sandbox.data_requests() == []

"""Crypto, forex, index and option bars as the API serves them: each market on its own clock."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import jsonschema
import pytest
import requests

from polygon_sandbox import Sandbox
from polygon_sandbox.response_schemas import CUSTOM_BARS, error_validator, validator

from .helpers import follow_pages, get, results

NEW_YORK = ZoneInfo("America/New_York")
# Saturday 2024-03-09, 18:00 UTC: Saturday's crypto bar is forming; forex is closed.
SATURDAY = datetime(2024, 3, 9, 18, 0, tzinfo=timezone.utc)
OPTION = "O:AAPL261218C00250000"
STOCKS_ONLY = {"Authorization": "Bearer sandbox-stocks-only-key"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(now=SATURDAY) as sb:
        yield sb


@pytest.fixture(scope="module")
def session() -> Iterator[requests.Session]:
    with requests.Session() as s:
        yield s


def url(sandbox: Sandbox, ticker: str, span: str, start: str, end: str) -> str:
    return f"{sandbox.url}/v2/aggs/ticker/{ticker}/range/1/{span}/{start}/{end}"


def utc(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def test_crypto_has_a_bar_every_day_at_midnight_utc_saturday_included(
    sandbox: Sandbox, session: requests.Session
) -> None:
    bars = results(
        follow_pages(session, url(sandbox, "X:BTCUSD", "day", "2024-03-01", "2024-03-09"))
    )

    assert [utc(b["t"]) for b in bars] == [
        datetime(2024, 3, day, tzinfo=timezone.utc) for day in range(1, 10)
    ]
    # Saturday's bar is built from its minutes so far: 18 hours of them.
    minutes = sandbox.expected_bars("X:BTCUSD", 1, "minute", "2024-03-09", "2024-03-09")
    assert len(minutes) == 18 * 60
    assert bars[-1]["o"] == minutes[0]["o"] and bars[-1]["c"] == minutes[-1]["c"]
    assert bars[-1]["n"] == sum(m["n"] for m in minutes)


def test_forex_trades_from_sunday_22_00_to_friday_22_00_utc(sandbox: Sandbox) -> None:
    hours = sandbox.expected_bars("C:EURUSD", 1, "hour", "2024-03-01", "2024-03-04")
    starts = [utc(b["t"]) for b in hours]

    friday, sunday = (
        datetime(2024, 3, 1, tzinfo=timezone.utc),
        datetime(2024, 3, 3, 22, tzinfo=timezone.utc),
    )
    expected = [friday + timedelta(hours=h) for h in range(22)]
    expected += [sunday + timedelta(hours=h) for h in range(2 + 24)]
    assert starts == expected
    assert all(b["v"] == b["n"] for b in hours)  # volume counts quotes


def test_index_bars_carry_no_volume_and_the_body_no_adjusted(
    sandbox: Sandbox, session: requests.Session
) -> None:
    response = get(
        session, url(sandbox, "I:SPX", "day", "2024-03-01", "2024-03-08"), adjusted="maybe"
    )

    assert response.status_code == 200  # the index endpoint does not take `adjusted`: ignored
    body = response.json()
    validator(CUSTOM_BARS).validate(body)
    assert "adjusted" not in body
    assert [set(bar) for bar in body["results"]] == [{"o", "h", "l", "c", "t"}] * 6
    assert [utc(b["t"]).astimezone(NEW_YORK).hour for b in body["results"]] == [0] * 6


def test_the_schema_refuses_an_index_page_with_volume_or_adjusted(
    sandbox: Sandbox, session: requests.Session
) -> None:
    body = get(session, url(sandbox, "I:SPX", "day", "2024-03-01", "2024-03-08")).json()
    with pytest.raises(jsonschema.ValidationError):
        validator(CUSTOM_BARS).validate({**body, "adjusted": True})
    with pytest.raises(jsonschema.ValidationError):
        validator(CUSTOM_BARS).validate({**body, "results": [{**body["results"][0], "v": 1.0}]})


def test_option_minutes_are_sparse_and_inside_the_regular_session(sandbox: Sandbox) -> None:
    minutes = sandbox.expected_bars(OPTION, 1, "minute", "2024-03-08", "2024-03-08")
    local = [utc(b["t"]).astimezone(NEW_YORK) for b in minutes]

    assert 0 < len(minutes) < 390 / 2
    assert all((9, 30) <= (t.hour, t.minute) < (16, 0) for t in local)
    (day,) = sandbox.expected_bars(OPTION, 1, "day", "2024-03-08", "2024-03-08")
    assert day["n"] == sum(b["n"] for b in minutes)
    assert day["v"] == float(int(day["v"]))  # whole contracts


@pytest.mark.parametrize("ticker", ["X:BTCUSD", "C:EURUSD", "I:SPX", OPTION])
def test_every_market_page_fits_the_response_schema(
    sandbox: Sandbox, session: requests.Session, ticker: str
) -> None:
    pages = follow_pages(session, url(sandbox, ticker, "day", "2024-02-01", "2024-03-08"), limit=10)

    assert len(pages) > 1
    for page in pages:
        validator(CUSTOM_BARS).validate(page)
        assert page["ticker"] == ticker


@pytest.mark.parametrize("ticker", ["X:BTCUSD", "C:EURUSD", "I:SPX", OPTION])
def test_a_stocks_only_plan_is_not_entitled_to_other_markets(
    sandbox: Sandbox, session: requests.Session, ticker: str
) -> None:
    refused = get(session, url(sandbox, ticker, "day", "2024-03-01", "2024-03-08"), STOCKS_ONLY)
    served = get(session, url(sandbox, "AAPL", "day", "2024-03-01", "2024-03-08"), STOCKS_ONLY)

    assert refused.status_code == 403
    error_validator(403).validate(refused.json())
    assert refused.json()["message"].startswith("You are not entitled to this data.")
    assert served.status_code == 200


def test_dates_mean_the_markets_own_days(sandbox: Sandbox, session: requests.Session) -> None:
    """A crypto `to` date ends at midnight UTC; an index one at midnight New York."""
    crypto = results(
        follow_pages(session, url(sandbox, "X:BTCUSD", "hour", "2024-03-08", "2024-03-08"))
    )
    index = results(
        follow_pages(session, url(sandbox, "I:SPX", "hour", "2024-03-08", "2024-03-08"))
    )

    assert utc(crypto[0]["t"]) == datetime(2024, 3, 8, 0, tzinfo=timezone.utc)
    assert utc(crypto[-1]["t"]) == datetime(2024, 3, 8, 23, tzinfo=timezone.utc)
    assert [utc(b["t"]).astimezone(NEW_YORK).hour for b in index] == [9, 10, 11, 12, 13, 14, 15]

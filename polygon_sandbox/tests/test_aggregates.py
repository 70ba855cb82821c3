"""Custom bars: pagination, `limit` in base aggregates, adjustment, partial bars, bucketing."""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from polygon_sandbox import OTC_TICKERS, Sandbox
from polygon_sandbox.data.bars import aggregate
from polygon_sandbox.data.trading_calendar import NEW_YORK, date_of_ms, midnight_ms

from .helpers import follow_pages, get, results

NY = NEW_YORK


def _range_url(sandbox: Sandbox, ticker: str, multiplier: int, span: str, a: str, b: str) -> str:
    return f"{sandbox.url}/v2/aggs/ticker/{ticker}/range/{multiplier}/{span}/{a}/{b}"


def _cursor(next_url: str) -> dict[str, list[str]]:
    cursor = parse_qs(urlsplit(next_url).query)["cursor"][0]
    return parse_qs(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode())


@pytest.mark.parametrize(
    ("ticker", "multiplier", "span", "first", "last", "limit"),
    [
        ("AAPL", 1, "day", "2023-06-01", "2024-03-01", 17),
        ("MSFT", 1, "minute", "2024-02-28", "2024-03-01", 500),
        ("SPY", 1, "hour", "2024-02-26", "2024-03-01", 120),
        ("NVDA", 5, "minute", "2024-02-29", "2024-03-01", 333),
        ("AMZN", 1, "week", "2023-01-04", "2024-03-01", 12),
        ("GOOGL", 3, "day", "2023-11-01", "2024-03-01", 10),
        ("TSLA", 1, "month", "2022-01-01", "2024-03-01", 40),
        ("META", 10, "second", "2024-02-29", "2024-02-29", 300),
    ],
)
def test_following_next_url_yields_exactly_the_expected_bars(
    sandbox: Sandbox,
    http: requests.Session,
    ticker: str,
    multiplier: int,
    span: str,
    first: str,
    last: str,
    limit: int,
) -> None:
    url = _range_url(sandbox, ticker, multiplier, span, first, last)
    pages = follow_pages(http, url, limit=limit)
    assert len(pages) > 1
    assert results(pages) == sandbox.expected_bars(ticker, multiplier, span, first, last)
    for page in pages:
        assert page["resultsCount"] == len(page.get("results", []))
        assert page["queryCount"] <= limit or page["resultsCount"] == 1
        if "next_url" in page:
            next_url = page["next_url"]
            assert next_url.startswith(sandbox.url + "/v2/aggs/ticker/")
            assert "apiKey" not in next_url and "sandbox-" not in next_url
            assert "adjusted" not in next_url
            assert _cursor(next_url) == {"limit": [str(limit)], "sort": ["asc"]}
            assert next_url.split("?")[0].endswith(f"/{last}")


def test_descending_pages_walk_back_in_time(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "AAPL", 1, "hour", "2024-02-26", "2024-03-01")
    pages = follow_pages(http, url, limit=200, sort="desc")
    expected = sandbox.expected_bars("AAPL", 1, "hour", "2024-02-26", "2024-03-01")
    assert results(pages) == expected[::-1]
    assert _cursor(pages[0]["next_url"])["sort"] == ["desc"]


def test_cursor_alone_carries_limit_and_sort(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "AAPL", 1, "day", "2024-01-01", "2024-03-01")
    first = get(http, url, limit=5, sort="desc").json()
    second = get(http, first["next_url"]).json()  # no limit/sort: taken from the cursor
    assert second["resultsCount"] == 5
    assert second["results"][0]["t"] < first["results"][-1]["t"]
    third = get(http, first["next_url"], limit=2).json()  # explicit limit wins
    assert third["resultsCount"] == 2


def test_limit_counts_minute_bars_for_hour_requests(
    sandbox: Sandbox, http: requests.Session
) -> None:
    url = _range_url(sandbox, "AAPL", 1, "hour", "2024-02-29", "2024-02-29")
    page = get(http, url, limit=120).json()
    assert page["resultsCount"] == 2 and page["queryCount"] == 120
    assert [datetime.fromtimestamp(b["t"] / 1000, NY).hour for b in page["results"]] == [4, 5]
    assert "next_url" in page


def test_limit_counts_daily_bars_for_week_requests(
    sandbox: Sandbox, http: requests.Session
) -> None:
    url = _range_url(sandbox, "AAPL", 1, "week", "2024-01-07", "2024-03-01")
    page = get(http, url, limit=10).json()
    # Weeks of Jan 7 (5 trading days) and Jan 14 (MLK day: 4) fit; Jan 21 (5) would not.
    assert page["resultsCount"] == 2 and page["queryCount"] == 9


def test_limit_counts_minutes_for_second_requests(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "AAPL", 1, "second", "2024-02-29", "2024-02-29")
    page = get(http, url, limit=3).json()
    minutes = {bar["t"] // 60_000 for bar in page["results"]}
    assert len(minutes) == 3 and page["queryCount"] == 3
    assert page["resultsCount"] > 3


def test_a_bar_larger_than_limit_is_still_served(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "AAPL", 1, "month", "2024-01-01", "2024-03-01")
    page = get(http, url, limit=3).json()
    assert page["resultsCount"] == 1 and page["queryCount"] == 21


def test_limit_is_capped_at_50000(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "AAPL", 1, "day", "2015-01-01", "2024-03-01")
    page = get(http, url, limit=1000).json()
    assert page["resultsCount"] == 1000
    minute_url = _range_url(sandbox, "SPY", 1, "minute", "2023-12-01", "2024-03-01")
    big = get(http, minute_url, limit=80_000).json()
    assert big["queryCount"] == 50_000
    assert _cursor(big["next_url"])["limit"] == ["50000"]


def test_default_limit_is_5000_base_aggregates(sandbox: Sandbox, http: requests.Session) -> None:
    url = _range_url(sandbox, "MSFT", 1, "minute", "2024-02-20", "2024-03-01")
    page = get(http, url).json()
    assert page["queryCount"] == 5000 and page["resultsCount"] == 5000
    assert _cursor(page["next_url"])["limit"] == ["5000"]


def test_adjusted_and_raw_differ_before_the_nvda_split(
    sandbox: Sandbox, http: requests.Session
) -> None:
    sandbox.set_now(datetime(2024, 6, 12, tzinfo=timezone.utc))
    url = _range_url(sandbox, "NVDA", 1, "day", "2024-06-06", "2024-06-11")
    adjusted = get(http, url).json()["results"]
    raw = get(http, url, adjusted="false").json()["results"]
    assert [b["t"] for b in adjusted] == [b["t"] for b in raw]
    before = [(a, r) for a, r in zip(adjusted, raw, strict=True) if date_of_ms(a["t"]).day < 10]
    after = [(a, r) for a, r in zip(adjusted, raw, strict=True) if date_of_ms(a["t"]).day >= 10]
    assert len(before) == 2 and len(after) == 2
    for a, r in before:
        for field in ("o", "h", "l", "c", "vw"):
            assert r[field] == pytest.approx(a[field] * 10, abs=1e-9)
        assert r["v"] == a["v"] / 10
    for a, r in after:
        assert a == r
    assert raw == sandbox.expected_bars("NVDA", 1, "day", "2024-06-06", "2024-06-11", False)


def test_next_url_forgets_adjusted_false(sandbox: Sandbox, http: requests.Session) -> None:
    sandbox.set_now(datetime(2024, 6, 12, tzinfo=timezone.utc))
    url = _range_url(sandbox, "NVDA", 1, "day", "2024-05-01", "2024-06-07")
    first = get(http, url, adjusted="false", limit=5).json()
    assert first["adjusted"] is False
    forgetful = get(http, first["next_url"]).json()  # the trap: adjusted falls back to true
    careful = get(http, first["next_url"], adjusted="false").json()
    assert forgetful["adjusted"] is True and careful["adjusted"] is False
    assert forgetful["results"][0]["c"] * 10 == pytest.approx(careful["results"][0]["c"])


def test_todays_bar_is_partial_then_final(sandbox: Sandbox) -> None:
    day = "2024-03-01"
    sandbox.set_now(datetime(2024, 3, 1, 7, 0, tzinfo=NY))
    (early,) = sandbox.expected_bars("AAPL", 1, "day", day, day)
    minutes = sandbox.expected_bars("AAPL", 1, "minute", day, day)
    assert len(minutes) == 180  # 04:00-06:59 are complete
    sandbox.set_now(datetime(2024, 3, 1, 12, 30, tzinfo=NY))
    (midday,) = sandbox.expected_bars("AAPL", 1, "day", day, day)
    assert midday["t"] == early["t"] and midday["o"] == early["o"]
    assert midday["v"] > early["v"] and midday != early
    sandbox.set_now(datetime(2024, 3, 1, 20, 0, tzinfo=NY))
    (final,) = sandbox.expected_bars("AAPL", 1, "day", day, day)
    everything = sandbox.expected_bars("AAPL", 1, "minute", day, day)
    assert len(everything) == 960
    assert final["v"] == sum(m["v"] for m in everything)
    assert final["h"] == max(m["h"] for m in everything)
    assert final["c"] == everything[-1]["c"]
    sandbox.advance(days=30)
    assert sandbox.expected_bars("AAPL", 1, "day", day, day) == [final]
    assert sandbox.expected_bars("AAPL", 1, "minute", day, day) == everything


def test_partial_bar_is_built_from_the_minutes_so_far(sandbox: Sandbox) -> None:
    sandbox.set_now(datetime(2024, 3, 1, 10, 15, 30, tzinfo=NY))
    (bar,) = sandbox.expected_bars("AAPL", 1, "day", "2024-03-01", "2024-03-01")
    minutes = sandbox.expected_bars("AAPL", 1, "minute", "2024-03-01", "2024-03-01")
    assert datetime.fromtimestamp(minutes[-1]["t"] / 1000, NY).strftime("%H:%M") == "10:14"
    rows = [
        (m["t"], m["o"], m["h"], m["l"], m["c"], m["v"], m.get("vw"), m.get("n")) for m in minutes
    ]
    t, o, h, low, c, v, vw, n = aggregate(rows, bar["t"])
    assert (bar["o"], bar["h"], bar["l"], bar["c"], bar["v"]) == (o, h, low, c, v)
    assert bar.get("vw") in (vw, None)
    # The week and month holding today include the partial day.
    (week,) = sandbox.expected_bars("AAPL", 1, "week", "2024-02-25", "2024-03-01")
    assert week["c"] == bar["c"]


def test_past_bars_do_not_change_as_now_moves(sandbox: Sandbox) -> None:
    before = sandbox.expected_bars("TSLA", 1, "day", "2023-01-01", "2024-02-29")
    hourly = sandbox.expected_bars("TSLA", 1, "hour", "2024-02-27", "2024-02-29")
    sandbox.advance(days=400)
    assert sandbox.expected_bars("TSLA", 1, "day", "2023-01-01", "2024-02-29") == before
    assert sandbox.expected_bars("TSLA", 1, "hour", "2024-02-27", "2024-02-29") == hourly


def test_nothing_after_now_exists(sandbox: Sandbox) -> None:
    bars = sandbox.expected_bars("AAPL", 1, "minute", "2024-03-01", "2024-03-08")
    assert bars[-1]["t"] + 60_000 <= int(sandbox.now.timestamp() * 1000)
    assert sandbox.expected_bars("AAPL", 1, "day", "2024-03-04", "2024-03-08") == []


def test_multi_day_buckets_are_anchored_at_from(sandbox: Sandbox) -> None:
    bars = sandbox.expected_bars("MSFT", 3, "day", "2024-02-01", "2024-02-29")
    starts = [date_of_ms(b["t"]) for b in bars]
    assert starts[0] == date(2024, 2, 1)
    assert all((day - date(2024, 2, 1)).days % 3 == 0 for day in starts)
    # Feb 4-6 starts on a Sunday but holds Monday and Tuesday: its `t` is the Sunday.
    sunday = next(b for b in bars if date_of_ms(b["t"]) == date(2024, 2, 4))
    monday_tuesday = sandbox.expected_bars("MSFT", 1, "day", "2024-02-05", "2024-02-06")
    assert sunday["v"] == sum(b["v"] for b in monday_tuesday)
    assert sunday["o"] == monday_tuesday[0]["o"] and sunday["c"] == monday_tuesday[1]["c"]


def test_week_month_quarter_year_starts(sandbox: Sandbox) -> None:
    weeks = sandbox.expected_bars("SPY", 1, "week", "2024-01-10", "2024-02-29")
    assert all(date_of_ms(b["t"]).weekday() == 6 for b in weeks)  # Sunday 00:00 ET
    assert date_of_ms(weeks[0]["t"]) == date(2024, 1, 7)  # `from` snaps back to the Sunday
    months = sandbox.expected_bars("SPY", 1, "month", "2023-05-17", "2024-02-29")
    assert [date_of_ms(b["t"]) for b in months][:2] == [date(2023, 5, 1), date(2023, 6, 1)]
    quarters = sandbox.expected_bars("SPY", 1, "quarter", "2023-01-01", "2024-02-29")
    assert [date_of_ms(b["t"]).month for b in quarters] == [1, 4, 7, 10, 1]
    years = sandbox.expected_bars("SPY", 1, "year", "2020-06-01", "2024-02-29")
    assert [date_of_ms(b["t"]) for b in years] == [date(y, 1, 1) for y in range(2020, 2025)]
    for bar in months + quarters + years:
        assert bar["t"] == midnight_ms(date_of_ms(bar["t"]))


def test_ms_bounds_snap_to_their_unit(sandbox: Sandbox, http: requests.Session) -> None:
    inside = midnight_ms(date(2024, 2, 27)) + 13 * 3_600_000 + 1234  # 13:00:01.234 ET
    url = _range_url(sandbox, "AAPL", 1, "day", str(inside), str(inside))
    (bar,) = get(http, url).json()["results"]
    assert bar["t"] == midnight_ms(date(2024, 2, 27))
    url = _range_url(sandbox, "AAPL", 1, "hour", str(inside), str(inside))
    (hour,) = get(http, url).json()["results"]
    assert hour["t"] == inside - 1234


def test_hour_buckets_align_to_new_york_midnight(sandbox: Sandbox) -> None:
    bars = sandbox.expected_bars("AAPL", 90, "minute", "2024-02-29", "2024-02-29")
    first = datetime.fromtimestamp(bars[0]["t"] / 1000, NY)
    assert (first.hour, first.minute) == (3, 0)  # 03:00-04:30 holds 04:00-04:29
    assert all((b["t"] - midnight_ms(date(2024, 2, 29))) % 5_400_000 == 0 for b in bars)


def test_bar_fields(sandbox: Sandbox) -> None:
    bars = sandbox.expected_bars("AAPL", 1, "day", "2015-01-01", "2024-03-01")
    assert all({"o", "h", "l", "c", "v", "t"} <= bar.keys() for bar in bars)
    assert all(isinstance(bar["v"], float) for bar in bars)
    assert all("otc" not in bar for bar in bars)
    bare = [bar for bar in bars if "vw" not in bar]
    assert 0 < len(bare) < len(bars) * 0.05
    assert all("n" not in bar for bar in bare)
    for bar in bars:
        assert bar["l"] <= min(bar["o"], bar["c"]) <= max(bar["o"], bar["c"]) <= bar["h"]
        if "vw" in bar:
            assert bar["l"] <= bar["vw"] <= bar["h"]
    (otc,) = OTC_TICKERS
    assert all(
        b["otc"] is True for b in sandbox.expected_bars(otc, 1, "day", "2024-02-01", "2024-02-29")
    )


def test_volumes_of_a_million_or_more_use_exponent_form(
    sandbox: Sandbox, http: requests.Session
) -> None:
    url = _range_url(sandbox, "AAPL", 1, "day", "2024-02-01", "2024-02-29")
    response = get(http, url)
    assert '"v":1.' in response.text or '"v":2.' in response.text
    assert "e+0" in response.text
    assert response.json()["results"] == sandbox.expected_bars(
        "AAPL", 1, "day", "2024-02-01", "2024-02-29"
    )


def test_unknown_ticker_is_an_empty_200(sandbox: Sandbox, http: requests.Session) -> None:
    body = get(http, _range_url(sandbox, "NOPE", 1, "day", "2024-01-01", "2024-03-01")).json()
    assert body["resultsCount"] == 0 and body["queryCount"] == 0
    assert "results" not in body and "next_url" not in body
    lower = get(http, _range_url(sandbox, "aapl", 1, "day", "2024-01-01", "2024-03-01")).json()
    assert "results" not in lower  # tickers are case-sensitive


def test_range_before_history_or_on_closed_days_is_empty(
    sandbox: Sandbox, http: requests.Session
) -> None:
    for first, last in (("2010-01-01", "2014-12-31"), ("2024-01-13", "2024-01-15")):
        body = get(http, _range_url(sandbox, "AAPL", 1, "day", first, last)).json()
        assert body["resultsCount"] == 0 and "results" not in body


@pytest.mark.parametrize(
    ("path", "params", "error"),
    [
        ("1/day/2024-13-01/2024-03-01", {}, "Could not parse the time parameter: 'from'. "),
        ("1/day/2024-01-01/yesterday", {}, "Could not parse the time parameter: 'to'. "),
        ("1/day/2024-03-01/2024-02-01", {}, "The parameter 'to' cannot be a time that occurs"),
        ("1/days/2024-01-01/2024-03-01", {}, "Invalid timespan"),
        ("0/day/2024-01-01/2024-03-01", {}, "Invalid multiplier"),
        ("1/day/2024-01-01/2024-03-01", {"limit": "many"}, "Invalid limit"),
        ("1/day/2024-01-01/2024-03-01", {"sort": "up"}, "Invalid sort"),
        ("1/day/2024-01-01/2024-03-01", {"adjusted": "maybe"}, "adjusted"),
    ],
)
def test_bad_parameters_are_400(
    sandbox: Sandbox, http: requests.Session, path: str, params: dict, error: str
) -> None:
    response = get(http, f"{sandbox.url}/v2/aggs/ticker/AAPL/range/{path}", **params)
    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "ERROR" and body["request_id"]
    assert error in body["error"]
    if "time parameter" in error:
        assert body["error"].endswith("Use YYYY-MM-DD or Unix MS Timestamps")


def test_prev_is_the_last_completed_day(sandbox: Sandbox, http: requests.Session) -> None:
    body = get(http, f"{sandbox.url}/v2/aggs/ticker/AAPL/prev").json()
    (bar,) = body["results"]
    close = datetime.fromtimestamp(bar["t"] / 1000, NY)
    assert bar["T"] == "AAPL" and body["ticker"] == "AAPL"
    assert (close.date(), close.hour) == (date(2024, 2, 29), 16)  # today is still trading
    (daily,) = sandbox.expected_bars("AAPL", 1, "day", "2024-02-29", "2024-02-29")
    assert {k: v for k, v in bar.items() if k not in ("T", "t")} == {
        k: v for k, v in daily.items() if k != "t"
    }
    sandbox.set_now(datetime(2024, 3, 1, 20, 0, tzinfo=NY))  # after-hours are over
    (bar,) = get(http, f"{sandbox.url}/v2/aggs/ticker/AAPL/prev").json()["results"]
    assert date_of_ms(bar["t"]) == date(2024, 3, 1)
    empty = get(http, f"{sandbox.url}/v2/aggs/ticker/NOPE/prev").json()
    assert empty["resultsCount"] == 0 and "results" not in empty


def test_grouped_daily(sandbox: Sandbox, http: requests.Session) -> None:
    url = f"{sandbox.url}/v2/aggs/grouped/locale/us/market/stocks/2024-02-29"
    body = get(http, url).json()
    tickers = [bar["T"] for bar in body["results"]]
    assert body["resultsCount"] == len(tickers) >= 119
    assert not set(OTC_TICKERS) & set(tickers)
    with_otc = get(http, url, include_otc="true").json()
    assert set(OTC_TICKERS) <= {bar["T"] for bar in with_otc["results"]}
    aapl = next(bar for bar in body["results"] if bar["T"] == "AAPL")
    (daily,) = sandbox.expected_bars("AAPL", 1, "day", "2024-02-29", "2024-02-29")
    assert aapl["c"] == daily["c"] and aapl["v"] == daily["v"]
    assert aapl["t"] == daily["t"] + 16 * 3_600_000  # the vendor stamps grouped bars at 16:00
    weekend = get(http, f"{sandbox.url}/v2/aggs/grouped/locale/us/market/stocks/2024-03-02")
    assert weekend.json()["resultsCount"] == 0 and "results" not in weekend.json()
    bad = get(http, f"{sandbox.url}/v2/aggs/grouped/locale/us/market/stocks/yesterday")
    assert bad.status_code == 400


def test_today_in_the_future_has_nothing(sandbox: Sandbox) -> None:
    tomorrow = (sandbox.now + timedelta(days=3)).date().isoformat()
    assert sandbox.expected_bars("AAPL", 1, "minute", tomorrow, tomorrow) == []

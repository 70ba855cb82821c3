"""Where an answered range with no bar leaves the cursor (prices/empty.py): the last bar the
market's hours allow in the range that is complete at `now`, never one still forming."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from source_stock_ticker_api.bars import to_ms
from source_stock_ticker_api.markets import CRYPTO, FOREX, STOCKS, Market
from source_stock_ticker_api.prices.empty import last_possible_bar
from source_stock_ticker_api.prices.slices import BarQuery


def ms(text: str) -> int:
    return to_ms(datetime.fromisoformat(text).replace(tzinfo=timezone.utc))


def iso(value: int | None) -> str | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value / 1000, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("market", "timespan", "multiplier", "first", "after_end", "now", "want"),
    [
        # Daily: Saturday noon, Friday's bar is complete; Sunday still says Friday (calendar).
        (
            STOCKS,
            "day",
            1,
            "2024-03-04T05:00",
            "2024-03-10T05:00",
            "2024-03-09T17:00",
            "2024-03-08T05:00:00Z",
        ),
        (
            STOCKS,
            "day",
            1,
            "2024-03-04T05:00",
            "2024-03-11T04:00",
            "2024-03-10T17:00",
            "2024-03-08T05:00:00Z",
        ),
        # Friday 11:00 New York: Friday's bar is forming, Thursday's is the last complete.
        (
            STOCKS,
            "day",
            1,
            "2024-03-04T05:00",
            "2024-03-09T05:00",
            "2024-03-08T16:00",
            "2024-03-07T05:00:00Z",
        ),
        # end_date before now: the last trading day up to end_date.
        (
            STOCKS,
            "day",
            1,
            "2024-03-04T05:00",
            "2024-03-07T05:00",
            "2024-03-09T17:00",
            "2024-03-06T05:00:00Z",
        ),
        # Minute bars in session: the minute before the one forming.
        (
            STOCKS,
            "minute",
            1,
            "2024-03-04T05:00",
            "2024-03-12T04:00",
            "2024-03-11T15:00:30",
            "2024-03-11T14:59:00Z",
        ),
        # Monday 04:00 New York (after the DST change): no complete minute yet; Friday 19:59.
        (
            STOCKS,
            "minute",
            1,
            "2024-03-04T05:00",
            "2024-03-12T04:00",
            "2024-03-11T08:00",
            "2024-03-09T00:59:00Z",
        ),
        # 5-minute bars, Monday 11:03 New York: 10:55 is the last complete one.
        (
            STOCKS,
            "minute",
            5,
            "2024-03-04T05:00",
            "2024-03-12T04:00",
            "2024-03-11T15:03",
            "2024-03-11T14:55:00Z",
        ),
        # Crypto trades every minute of every day, in UTC.
        (
            CRYPTO,
            "minute",
            1,
            "2024-03-04T00:00",
            "2024-03-10T00:00",
            "2024-03-09T12:00:30",
            "2024-03-09T11:59:00Z",
        ),
        # Forex closes Friday about 22:00 UTC.
        (
            FOREX,
            "minute",
            1,
            "2024-03-04T00:00",
            "2024-03-10T00:00",
            "2024-03-09T12:00",
            "2024-03-08T21:59:00Z",
        ),
        # A week bar not yet complete, and nothing before it in the range: no cursor.
        (STOCKS, "week", 1, "2024-03-03T05:00", "2024-03-10T05:00", "2024-03-09T17:00", None),
        # A range starting after the last complete minute: no cursor.
        (STOCKS, "minute", 1, "2024-03-11T14:59", "2024-03-12T04:00", "2024-03-11T14:59:30", None),
    ],
)
def test_the_last_bar_that_could_exist_and_is_complete(
    market: Market,
    timespan: str,
    multiplier: int,
    first: str,
    after_end: str,
    now: str,
    want: str | None,
) -> None:
    query = BarQuery(timespan, multiplier, True, 50_000)
    found = last_possible_bar(market, query, ms(first), ms(after_end), ms(now))
    assert iso(found) == want

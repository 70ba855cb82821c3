"""The grouped daily endpoint as the vendor serves it: every stock's bar of one day, stamped at
16:00 New York, in one page, split-adjusted unless told otherwise."""

from __future__ import annotations

import pytest
import requests

from polygon_sandbox import OTC_TICKERS, Sandbox

from .helpers import get, results

GROUPED = "/v2/aggs/grouped/locale/us/market/stocks/"
SIXTEEN_HOURS_MS = 16 * 3_600_000


def grouped_bars(
    sandbox: Sandbox, http: requests.Session, day: str, adjusted: str = "true"
) -> dict[str, dict[str, object]]:
    body = get(http, f"{sandbox.url}{GROUPED}{day}", include_otc="true", adjusted=adjusted).json()
    assert "next_url" not in body  # never paginated
    return {bar.pop("T"): bar for bar in body["results"]}


@pytest.mark.parametrize("adjusted", ["true", "false"])
def test_each_bar_is_the_custom_daily_bar_stamped_at_its_close(
    sandbox: Sandbox, http: requests.Session, adjusted: str
) -> None:
    # NVDA splits 10:1 on 2024-06-10: its unadjusted bars of February differ from adjusted ones.
    by_ticker = grouped_bars(sandbox, http, "2024-02-29", adjusted=adjusted)
    for ticker in ("NVDA", "AAPL", *OTC_TICKERS):
        custom = get(
            http,
            f"{sandbox.url}/v2/aggs/ticker/{ticker}/range/1/day/2024-02-29/2024-02-29",
            adjusted=adjusted,
        ).json()
        (bar,) = results([custom])
        assert by_ticker[ticker] == {**bar, "t": bar["t"] + SIXTEEN_HOURS_MS}
    assert by_ticker["TCEHY"]["otc"] is True


def test_a_day_in_session_holds_the_bars_formed_so_far(
    sandbox: Sandbox, http: requests.Session
) -> None:
    # helpers.NOW: 2024-03-01 at 16:00 New York, after-hours still running.
    (aapl,) = sandbox.expected_bars("AAPL", 1, "day", "2024-03-01", "2024-03-01")
    assert grouped_bars(sandbox, http, "2024-03-01")["AAPL"] == {
        **aapl,
        "t": aapl["t"] + SIXTEEN_HOURS_MS,
    }
    assert get(http, f"{sandbox.url}{GROUPED}2024-03-04").json()["resultsCount"] == 0

"""plan.py, progress.py and report.py as plain code: no stream, no HTTP."""

from __future__ import annotations

import logging
from datetime import date, datetime, timezone

import pytest

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.markets import CRYPTO, STOCKS
from source_stock_ticker_api.polygon.endpoints import NextPage
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.prices.cursors import Cursors
from source_stock_ticker_api.prices.estimates import Estimate
from source_stock_ticker_api.prices.pages import GroupedDayResult, TickerPageResult
from source_stock_ticker_api.prices.plan import SyncPlan, plan_sync
from source_stock_ticker_api.prices.progress import Progress
from source_stock_ticker_api.prices.report import Report
from source_stock_ticker_api.prices.slices import GroupedDay, TickerPage
from unit_tests.config_builder import ConfigBuilder

# Tuesday 2024-03-12, 11:00 in New York: the 11th is final, the 12th is trading.
NOW = datetime(2024, 3, 12, 15, 0, tzinfo=timezone.utc)
MARCH_8 = "2024-03-08T05:00:00Z"  # the start of Friday's daily bar
MARCH_11 = "2024-03-11T04:00:00Z"


def plan(builder: ConfigBuilder, cursors: dict[str, str] | None = None, market=STOCKS) -> SyncPlan:  # type: ignore[no-untyped-def]
    saved = Cursors({t: {"timestamp": ts} for t, ts in (cursors or {}).items()})
    return plan_sync(market, parse_config(builder.build()), saved, NOW)


def bar(t: int) -> dict[str, float]:
    return {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": t}


pytestmark = pytest.mark.now("2024-03-12T15:00:00Z")


class TestPlan:
    def test_a_ticker_whose_market_was_not_open_since_its_cursor_needs_no_request(self) -> None:
        daily = (
            ConfigBuilder()
            .with_tickers("AAPL", "MSFT")
            .with_timespan("hour")
            .with_dates("2024-03-01", "2024-03-12")
        )
        planned = plan(daily, {"AAPL": "2024-03-12T12:00:00Z"})  # 08:00 New York: open since
        assert [t.ticker for t in planned.tickers] == ["AAPL", "MSFT"]
        closed = plan(
            ConfigBuilder().with_timespan("minute").with_dates("2024-03-01", "2024-03-08"),
            {"AAPL": "2024-03-09T00:59:00Z"},  # 19:59 on Friday the 8th, the session's last
        )
        assert (closed.tickers, closed.idle) == ((), ("AAPL",))

    def test_a_cursor_after_end_date_is_noted_and_read_no_more(self) -> None:
        planned = plan(ConfigBuilder(), {"AAPL": "2099-01-01T05:00:00Z"})
        assert (planned.tickers, planned.past_end) == ((), (("AAPL", "2099-01-01T05:00:00Z"),))

    def test_tickers_one_day_behind_are_read_with_one_grouped_day(self) -> None:
        tickers = [f"T{n}" for n in range(20)]
        builder = ConfigBuilder().with_tickers(*tickers).with_dates("2024-03-01", "2024-03-12")
        planned = plan(builder, dict.fromkeys(tickers, MARCH_8))
        assert planned.tickers == ()
        (days, *per_ticker) = planned.first_pages()
        assert per_ticker == []
        assert [page.request for page in days] == [
            GroupedDay(
                "v2/aggs/grouped/locale/us/market/stocks", date(2024, 3, 11), tuple(tickers), True
            )
        ]

    def test_only_stocks_have_grouped_days(self) -> None:
        tickers = [f"X:C{n}USD" for n in range(20)]
        builder = ConfigBuilder().with_tickers(*tickers)
        planned = plan(builder, dict.fromkeys(tickers, MARCH_8), market=CRYPTO)
        assert planned.grouped is None
        assert len(planned.tickers) == 20

    def test_the_page_after_a_page_weighs_what_the_market_allows_up_to_the_horizon(self) -> None:
        minute = plan(
            ConfigBuilder().with_timespan("minute").with_dates("2024-03-01", "2024-03-11")
        )
        # After 2024-03-11 19:59 New York: the 11th's last minute, then nothing up to end_date.
        assert minute.bars_after(1710201540000) == 1
        # After the 8th's last minute: the 11th's 960 minutes of the extended session.
        assert minute.bars_after(1709945940000) == 960
        assert minute.bars_after(None) == 50_000


def ticker_page(
    number: int, bars: list[dict[str, float]], more: bool, refusal: Refusal | None = None
) -> TickerPageResult:
    request = TickerPage("AAPL", "2024-03-01", "2024-03-11", plan(ConfigBuilder()).query, number)
    following = request.next(NextPage("/next", ())) if more else None
    return TickerPageResult(request, bars, following, refusal)


class TestProgress:
    def test_the_estimate_starts_at_the_plan_and_ends_at_what_was_read(self) -> None:
        progress = Progress(plan(ConfigBuilder()))
        assert progress.planned == Estimate(7, 7)  # the trading days from 03-01 to 03-11
        assert progress.requests_planned == 1
        first = progress.estimate_message("stock_prices")
        assert first is not None and first.trace is not None and first.trace.estimate is not None
        assert (first.trace.estimate.row_estimate, first.trace.estimate.byte_estimate) == (
            7,
            7 * 230,
        )
        assert progress.estimate_message("stock_prices") is None  # unchanged: not sent again

        progress.page_read(ticker_page(1, [bar(1709269200000)] * 5, more=False), record_bytes=200)

        assert (progress.read(), progress.left()) == (Estimate(5, 1), Estimate())
        last = progress.estimate_message("stock_prices")
        assert last is not None and last.trace is not None and last.trace.estimate is not None
        assert (last.trace.estimate.row_estimate, last.trace.estimate.byte_estimate) == (5, 1000)

    def test_a_page_naming_another_leaves_one_request_at_least(self) -> None:
        progress = Progress(plan(ConfigBuilder()))
        progress.page_read(ticker_page(1, [bar(1710129600000)], more=True), record_bytes=None)
        assert progress.left().base >= 1 and progress.requests_left() == 1

    def test_a_refused_page_leaves_nothing_of_its_ticker(self) -> None:
        progress = Progress(plan(ConfigBuilder()))
        progress.page_read(ticker_page(1, [], more=False, refusal=Refusal(403, "no")), None)
        assert (progress.left(), progress.read()) == (Estimate(), Estimate(0, 1))


class TestReport:
    def report(self, builder: ConfigBuilder | None = None) -> Report:
        return Report("stock_prices", plan(builder or ConfigBuilder()), date(2024, 3, 12))

    def test_the_opening_names_the_idle_tickers_up_to_ten(self) -> None:
        tickers = [f"T{n:02}" for n in range(12)]
        builder = ConfigBuilder().with_tickers(*tickers).with_timespan("hour")
        report = Report(
            "stock_prices",
            plan(builder, dict.fromkeys(tickers, "2099-01-01T00:00:00Z")),
            date(2024, 3, 12),
        )
        lines = report.opening(Estimate(), 0, date(2024, 3, 11))
        assert lines[-1] == (
            logging.INFO,
            "Plan: 0 tickers to read, about 0 bars in about 0 requests.",
        )
        assert len(lines) == 13 and lines[0][0] == logging.WARNING

    def test_a_page_line_says_what_follows_then_the_tickers_totals(self) -> None:
        report = self.report()
        first = report.page(ticker_page(1, [bar(1709269200000)], more=True), refused=False)
        assert first == [
            (logging.INFO, "AAPL page 1: 1 bar from 2024-03-01 to 2024-03-01; more follow.")
        ]
        last = report.page(ticker_page(2, [bar(1709528400000)] * 2, more=False), refused=False)
        assert last == [
            (
                logging.INFO,
                "AAPL page 2: 2 bars from 2024-03-04 to 2024-03-04; done, 3 bars in 2 requests.",
            )
        ]

    def test_a_range_with_trading_days_and_no_bar_is_warned_once(self) -> None:
        lines = self.report().page(ticker_page(1, [], more=False), refused=False)
        assert lines[-1] == (
            logging.WARNING,
            "AAPL: the API returned no bars from 2024-03-01 to 2024-03-11, a range with trading "
            "days. Check the symbol.",
        )

    def test_a_refused_page_is_warned_and_not_also_said_empty(self) -> None:
        lines = self.report().page(ticker_page(1, [], False, Refusal(403, "no")), refused=True)
        assert lines == [
            (
                logging.WARNING,
                "AAPL: refused from 2024-03-01 to 2024-03-11 (reason above). Its later pages are "
                "skipped; the other tickers are read, then the sync fails naming AAPL.",
            )
        ]

    def test_a_grouped_day_says_its_bars_and_its_tickers(self) -> None:
        tickers = [f"T{n}" for n in range(20)]
        builder = ConfigBuilder().with_tickers(*tickers).with_dates("2024-03-01", "2024-03-12")
        day = GroupedDay("p", date(2024, 3, 11), tuple(tickers), True)
        result = GroupedDayResult(day, {"T1": bar(1710129600000)}, None)
        report = Report("stock_prices", plan(builder), date(2024, 3, 12))
        lines = report.grouped_day(result, tickers, refused=[])
        assert lines[0] == (
            logging.INFO,
            "Grouped daily bars of 2024-03-11: 1 bar for 20 tickers in 1 request.",
        )
        # The plan's last day: every other ticker got no bar at all.
        assert len(lines) == 20 and lines[1][1].startswith(
            "T0: the API returned no bars from 2024-03-01 to 2024-03-11"
        )
        # Tickers with a cursor were warned at the sync that first found nothing.
        resumed = Report(
            "stock_prices", plan(builder, dict.fromkeys(tickers, MARCH_8)), date(2024, 3, 12)
        )
        assert resumed.grouped_day(result, tickers, refused=[]) == lines[:1]

    def test_the_totals_say_how_many_requests_were_in_flight_at_once(self) -> None:
        line = self.report().totals(Estimate(10, 2), Estimate(12, 3), 3, at_once=3)
        assert line == (
            logging.INFO,
            "Totals: 10 bars in 2 requests, up to 3 at once (planned: about 12 bars in about 3 "
            "requests).",
        )

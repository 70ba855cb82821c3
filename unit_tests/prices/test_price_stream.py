"""The price stream without HTTP: state in and out, the plan's first pages, and how each
request and page is formed and read."""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
from airbyte_cdk.models import SyncMode
from airbyte_cdk.sources.streams.http.requests_native_auth import TokenAuthenticator

from source_stock_ticker_api.bars import TimeFormatter
from source_stock_ticker_api.config import ConfigError, parse_config
from source_stock_ticker_api.markets import NEW_YORK, STOCKS
from source_stock_ticker_api.polygon.bodies import ParsedBodies
from source_stock_ticker_api.polygon.endpoints import NextPage
from source_stock_ticker_api.polygon.errors import Refusal
from source_stock_ticker_api.polygon.stream import Access, Fetched
from source_stock_ticker_api.prices.cursors import Cursors
from source_stock_ticker_api.prices.pages import read_ticker_page
from source_stock_ticker_api.prices.records import stock_records
from source_stock_ticker_api.prices.saved_state import state_timestamp, validate_state
from source_stock_ticker_api.prices.slices import BarQuery, TickerPage
from source_stock_ticker_api.prices.stream import PriceStream
from source_stock_ticker_api.prices.sync import PriceSync
from unit_tests.config_builder import API_KEY, ConfigBuilder
from unit_tests.helpers import saved_state


def stream(builder: ConfigBuilder | None = None) -> PriceStream:
    config = parse_config((builder or ConfigBuilder()).build())
    return PriceStream(STOCKS, Access(config, TokenAuthenticator(API_KEY)))


def first_pages(prices: PriceStream, sync_mode: SyncMode = SyncMode.incremental) -> list[Any]:
    """The first page of each ticker (the later ones follow from each page's next_url)."""
    sync = prices.start_read(sync_mode)
    assert isinstance(sync, PriceSync)
    return [
        {"ticker": p.ticker, "from": p.start, "to": p.end, "page": p.number}
        for chain in sync.plan.first_pages()
        for head in chain
        if isinstance(p := head.request, TickerPage)
    ]


def page(body: Any, status: int = 200) -> requests.Response:
    answer = requests.Response()
    answer.status_code = status
    answer._content = json.dumps(body).encode()
    return answer


@pytest.mark.now()
class TestState:
    def test_starts_empty(self) -> None:
        assert stream().state == saved_state()

    def test_empty_state_is_ignored(self) -> None:
        prices = stream()
        prices.state = {}
        assert prices.state == saved_state()

    def test_per_ticker_state_is_kept_as_is(self) -> None:
        prices = stream(ConfigBuilder().with_tickers("AAPL", "MSFT"))
        prices.state = {"AAPL": {"timestamp": "2024-03-08T05:00:00Z"}}
        assert prices.state == saved_state(AAPL="2024-03-08T05:00:00Z")

    def test_a_ticker_no_longer_configured_keeps_its_cursor(self) -> None:
        prices = stream()
        prices.state = {"ZZZZ": {"timestamp": "2024-03-08T05:00:00Z"}}
        assert prices.state == saved_state(ZZZZ="2024-03-08T05:00:00Z")

    def test_legacy_date_becomes_a_cursor_for_every_ticker(self) -> None:
        prices = stream(ConfigBuilder().with_tickers("AAPL", "MSFT"))
        prices.state = {"date": "2024-03-07"}
        assert prices.state == saved_state(AAPL="2024-03-07T05:00:00Z", MSFT="2024-03-07T05:00:00Z")

    def test_legacy_date_in_summer_is_midnight_edt(self) -> None:
        prices = stream(ConfigBuilder().with_dates("2023-07-01", "2023-07-10"))
        prices.state = {"date": "2023-07-05"}
        assert prices.state == saved_state(AAPL="2023-07-05T04:00:00Z")

    def test_legacy_date_does_not_override_a_ticker_cursor(self) -> None:
        prices = stream(ConfigBuilder().with_tickers("AAPL", "MSFT"))
        prices.state = {"date": "2024-03-07", "AAPL": {"timestamp": "2024-03-08T05:00:00Z"}}
        assert prices.state == saved_state(AAPL="2024-03-08T05:00:00Z", MSFT="2024-03-07T05:00:00Z")

    def test_the_saved_bar_settings_are_replaced_by_the_configurations(self) -> None:
        """The source refuses a state of other bars before the sync (test_state_settings.py);
        the stream then writes the settings it reads with."""
        prices = stream()
        prices.state = saved_state(adjusted=True, AAPL="2024-03-08T05:00:00Z")
        assert prices.state == saved_state(AAPL="2024-03-08T05:00:00Z")

    @pytest.mark.parametrize(
        ("state", "message"),
        [
            (
                ["AAPL"],
                "The saved state for stock_prices is not a JSON object. Reset the stock_prices "
                "stream to start over from start_date.",
            ),
            (
                {"date": "07/03/2024"},
                "The saved state has date '07/03/2024', not a YYYY-MM-DD date. Reset the "
                "stock_prices stream to start over from start_date.",
            ),
            (
                {"AAPL": "2024-03-08T05:00:00Z"},
                "The saved state for ticker 'AAPL' is '2024-03-08T05:00:00Z', not "
                '{"timestamp": "..."}. Reset the stock_prices stream to start over from '
                "start_date.",
            ),
            (
                {"AAPL": {"date": "2024-03-08"}},
                "The saved state for ticker 'AAPL' is {'date': '2024-03-08'}, not "
                '{"timestamp": "..."}. Reset the stock_prices stream to start over from '
                "start_date.",
            ),
            (
                {"AAPL": {"timestamp": "2024-03-08T05:00:00"}},
                "The saved state holds '2024-03-08T05:00:00' where a UTC timestamp such as "
                "2024-01-02T05:00:00Z belongs. Reset the stock_prices stream to start over "
                "from start_date.",
            ),
            (
                {"AAPL": {"timestamp": 1709874000000}},
                "The saved state holds 1709874000000 where a UTC timestamp such as "
                "2024-01-02T05:00:00Z belongs. Reset the stock_prices stream to start over "
                "from start_date.",
            ),
        ],
    )
    def test_unreadable_state_is_a_config_error_saying_how_to_recover(
        self, state: Any, message: str
    ) -> None:
        with pytest.raises(ConfigError) as error:
            validate_state(state, "stock_prices")
        assert error.value.message == message

    def test_the_advice_names_the_stream_the_state_belongs_to(self) -> None:
        with pytest.raises(ConfigError) as error:
            validate_state({"date": "07/03/2024"}, "crypto_prices")
        assert str(error.value.message).endswith(
            "Reset the crypto_prices stream to start over from start_date."
        )


def test_state_timestamp_reads_utc_and_offset_instants() -> None:
    assert state_timestamp("2024-03-08T05:00:00Z", "stock_prices") == 1709874000000
    assert state_timestamp("2024-03-08T00:00:00-05:00", "stock_prices") == 1709874000000
    assert state_timestamp("2024-03-08T05:00:00.123Z", "stock_prices") == 1709874000123


@pytest.mark.now()
class TestFirstPages:
    def test_without_state_each_ticker_starts_at_start_date(self) -> None:
        assert first_pages(stream(ConfigBuilder().with_tickers("AAPL", "MSFT"))) == [
            {"ticker": "AAPL", "from": "2024-03-01", "to": "2024-03-11", "page": 1},
            {"ticker": "MSFT", "from": "2024-03-01", "to": "2024-03-11", "page": 1},
        ]

    def test_daily_cursor_resumes_on_the_next_date(self) -> None:
        prices = stream(ConfigBuilder().with_tickers("AAPL", "MSFT"))
        prices.state = {"AAPL": {"timestamp": "2024-03-07T05:00:00Z"}}
        assert first_pages(prices) == [
            {"ticker": "AAPL", "from": "2024-03-08", "to": "2024-03-11", "page": 1},
            {"ticker": "MSFT", "from": "2024-03-01", "to": "2024-03-11", "page": 1},
        ]

    def test_full_refresh_ignores_state_and_writes_none_it_did_not_read(self) -> None:
        prices = stream()
        prices.state = {"AAPL": {"timestamp": "2024-03-07T05:00:00Z"}}
        assert first_pages(prices, SyncMode.full_refresh) == [
            {"ticker": "AAPL", "from": "2024-03-01", "to": "2024-03-11", "page": 1}
        ]
        assert prices.state == saved_state()

    def test_minute_cursor_resumes_one_minute_later_as_unix_ms(self) -> None:
        prices = stream(ConfigBuilder().with_timespan("minute"))
        prices.state = {"AAPL": {"timestamp": "2024-03-08T14:30:00Z"}}
        # 2024-03-08T14:31:00Z
        assert first_pages(prices) == [
            {"ticker": "AAPL", "from": "1709908260000", "to": "2024-03-11", "page": 1}
        ]

    def test_weekly_cursor_resumes_on_the_next_sunday(self) -> None:
        prices = stream(
            ConfigBuilder().with_timespan("week").with_dates("2024-01-01", "2024-03-11")
        )
        prices.state = {"AAPL": {"timestamp": "2024-03-03T05:00:00Z"}}
        assert first_pages(prices) == [
            {"ticker": "AAPL", "from": "2024-03-10", "to": "2024-03-11", "page": 1}
        ]

    def test_cursor_before_start_date_starts_at_start_date(self) -> None:
        prices = stream()
        prices.state = {"AAPL": {"timestamp": "2020-01-02T05:00:00Z"}}
        assert first_pages(prices) == [
            {"ticker": "AAPL", "from": "2024-03-01", "to": "2024-03-11", "page": 1}
        ]

    @pytest.mark.parametrize(
        ("timespan", "cursor"),
        [
            # end_date's own bar
            ("day", "2024-03-11T04:00:00Z"),
            ("week", "2024-03-10T05:00:00Z"),  # Sunday 00:00 EST
            ("minute", "2024-03-12T03:59:00Z"),
            # abnormal far-future states
            *[
                (timespan, cursor)
                for timespan in ("minute", "day", "week", "month", "year")
                # The bar after 9999-12-31 would not fit in a datetime: no arithmetic on it.
                for cursor in ("2099-01-01T05:00:00Z", "9999-12-31T23:59:59Z")
            ],
        ],
    )
    def test_cursor_at_end_date_or_later_gives_no_page(self, timespan: str, cursor: str) -> None:
        prices = stream(ConfigBuilder().with_timespan(timespan))
        prices.state = {"AAPL": {"timestamp": cursor}}
        assert first_pages(prices) == []

    def test_minute_cursor_after_the_last_session_of_end_date_gives_no_page(self) -> None:
        """The rest of end_date after 21:00 New York has no open market: no bar can be new."""
        prices = stream(ConfigBuilder().with_timespan("minute"))
        prices.state = {"AAPL": {"timestamp": "2024-03-12T00:59:00Z"}}  # 20:59 ET on 03-11
        assert first_pages(prices) == []

    def test_minute_cursor_inside_the_session_resumes_on_the_next_minute(self) -> None:
        prices = stream(ConfigBuilder().with_timespan("minute"))
        prices.state = {"AAPL": {"timestamp": "2024-03-11T23:58:00Z"}}  # 19:58 ET on 03-11
        assert first_pages(prices) == [
            {"ticker": "AAPL", "from": "1710201540000", "to": "2024-03-11", "page": 1}
        ]


DAILY = BarQuery("day", 1, True, 50_000)
FIRST = TickerPage("AAPL", "2024-03-01", "2024-03-11", DAILY)


@pytest.mark.now()
class TestRequests:
    def test_first_page_path_and_the_streams_host(self) -> None:
        prices = stream(ConfigBuilder().with_timespan("minute", 15))
        first = TickerPage("AAPL", "2024-03-01", "2024-03-11", BarQuery("minute", 15, True, 50_000))
        assert prices.url_base == "http://127.0.0.1:8999/"
        assert prices.path(stream_slice=first) == (
            "v2/aggs/ticker/AAPL/range/15/minute/2024-03-01/2024-03-11"
        )

    def test_symbols_with_dots_and_colons_are_not_escaped(self) -> None:
        for ticker in ("BRK.A", "C:EURUSD", "X:BTC-USD"):
            path = TickerPage(ticker, "2024-03-01", "2024-03-11", DAILY).path()
            assert path == f"v2/aggs/ticker/{ticker}/range/1/day/2024-03-01/2024-03-11"

    def test_first_page_params(self) -> None:
        assert stream().request_params(stream_state={}, stream_slice=FIRST) == {
            "adjusted": "true",
            "sort": "asc",
            "limit": 50000,
        }

    def test_unadjusted_prices_are_asked_for_explicitly_and_index_bars_not_at_all(self) -> None:
        config = parse_config(ConfigBuilder().with_adjusted(False).build())
        assert BarQuery.of(config, STOCKS).adjusted is False
        unadjusted = TickerPage("AAPL", "2024-03-01", "2024-03-11", BarQuery.of(config, STOCKS))
        assert unadjusted.params()["adjusted"] == "false"
        index = TickerPage("I:SPX", "2024-03-01", "2024-03-11", BarQuery("day", 1, None, 50_000))
        assert "adjusted" not in index.params()

    def test_a_typed_slice_shows_its_fields_as_a_mapping_for_the_cdks_debug_log(self) -> None:
        assert dict(FIRST) == {
            "ticker": "AAPL",
            "start": "2024-03-01",
            "end": "2024-03-11",
            "query": DAILY,
            "number": 1,
            "following": None,
        }

    def test_next_url_becomes_the_next_page_with_its_path_and_cursor_only(self) -> None:
        answer = page(
            {
                "results": [],
                "next_url": "https://api.polygon.io/v2/aggs/ticker/AAPL/range/1/day/"
                "1709528400000/2024-03-11?cursor=bGltaXQ9MiZzb3J0PWFzYw&apiKey=leak"
                "&APIKEY=leak&adjusted=true&limit=2&sort=desc",
            }
        )
        result = read_ticker_page(FIRST, Fetched(answer, None), ParsedBodies())
        following = NextPage(
            "/v2/aggs/ticker/AAPL/range/1/day/1709528400000/2024-03-11",
            (("cursor", "bGltaXQ9MiZzb3J0PWFzYw"),),
        )
        assert result.following == TickerPage(
            "AAPL", "2024-03-01", "2024-03-11", DAILY, 2, following
        )

    def test_next_page_is_asked_on_our_host_with_our_params(self) -> None:
        following = TickerPage(
            "AAPL",
            "2024-03-01",
            "2024-03-11",
            BarQuery("day", 1, False, 50_000),
            2,
            NextPage(
                "/v2/aggs/ticker/AAPL/range/1/day/1709528400000/2024-03-11", (("cursor", "abc=="),)
            ),
        )
        assert following.path() == "v2/aggs/ticker/AAPL/range/1/day/1709528400000/2024-03-11"
        assert following.params() == {
            "cursor": "abc==",
            "adjusted": "false",
            "sort": "asc",
            "limit": 50000,
        }

    @pytest.mark.parametrize("body", [{"results": []}, {"next_url": None}, {"next_url": ""}, []])
    def test_no_next_url_means_last_page(self, body: Any) -> None:
        result = read_ticker_page(FIRST, Fetched(page(body), None), ParsedBodies())
        assert result.following is None

    def test_timeouts(self) -> None:
        kwargs = stream(ConfigBuilder().with_request_timeout_seconds(12)).request_kwargs(
            stream_state={}, stream_slice=FIRST
        )
        assert kwargs == {"timeout": (10, 12)}


RENDER = TimeFormatter(NEW_YORK).render


def read(body: dict[str, Any]) -> list[dict[str, Any]]:
    result = read_ticker_page(FIRST, Fetched(page(body), None), ParsedBodies())
    return list(result.records(stock_records, RENDER))


@pytest.mark.now()
class TestPages:
    def test_each_bar_becomes_a_record_with_every_field(self) -> None:
        bar = {
            "o": 1.5,
            "h": 2.5,
            "l": 1.25,
            "c": 2.0,
            "v": 1.029145e6,
            "vw": 1.9,
            "n": 7,
            "t": 1709874000000,
            "otc": True,
        }
        assert read({"results": [bar]}) == [
            {
                "stock_ticker": "AAPL",
                "date": "2024-03-08",
                "timestamp": "2024-03-08T05:00:00Z",
                "price": 2.0,
                "open": 1.5,
                "high": 2.5,
                "low": 1.25,
                "close": 2.0,
                "volume": 1029145.0,
                "vwap": 1.9,
                "transactions": 7,
                "otc": True,
            }
        ]

    @pytest.mark.parametrize("missing", [("vw", "n"), ("vw",), ("n",)])
    def test_a_field_the_api_leaves_out_is_left_out_not_null(
        self, missing: tuple[str, ...]
    ) -> None:
        # As the CDK's serializer would; cdk.record_json relies on data without None.
        bar = {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "vw": 1.5, "n": 3, "t": 1709874000000}
        for key in missing:
            del bar[key]
        (record,) = read({"results": [bar]})
        assert ("vwap" in record, "transactions" in record) == ("vw" in bar, "n" in bar)
        assert None not in record.values()

    @pytest.mark.parametrize("body", [{"resultsCount": 0}, {"results": None}, {"results": []}])
    def test_a_page_without_bars_gives_no_record_and_no_figures(self, body: dict[str, Any]) -> None:
        result = read_ticker_page(FIRST, Fetched(page(body), None), ParsedBodies())
        assert (result.bars, result.first_ms, result.last_ms) == (0, None, None)
        assert list(result.records(stock_records, RENDER)) == []

    def test_a_refused_page_has_no_bars_and_no_next_page(self) -> None:
        refused = page({"status": "NOT_AUTHORIZED", "message": "no"}, status=403)
        refusal = Refusal(403, "words")
        result = read_ticker_page(FIRST, Fetched(refused, refusal), ParsedBodies())
        assert (result.bars, result.following, result.refusal) == (0, None, refusal)


@pytest.mark.now()
class TestCursors:
    bars = [
        {"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": t}
        for t in (1710129600000, 1710216000000)  # 2024-03-11, 2024-03-12 (still trading)
    ]
    now_ms = 1710270000000  # 2024-03-12T19:00:00Z

    def test_cursor_moves_to_the_last_complete_bar_only(self) -> None:
        cursors = Cursors()
        cursors.advance("AAPL", self.bars, DAILY, NEW_YORK, self.now_ms, TimeFormatter(NEW_YORK))
        assert cursors.timestamp("AAPL") == "2024-03-11T04:00:00Z"

    def test_cursor_never_moves_back(self) -> None:
        cursors = Cursors({"AAPL": {"timestamp": "2024-03-11T04:00:00Z"}})
        older = [{"o": 1, "h": 1, "l": 1, "c": 1, "v": 1, "t": 1709874000000}]
        cursors.advance("AAPL", older, DAILY, NEW_YORK, self.now_ms, TimeFormatter(NEW_YORK))
        assert cursors.timestamp("AAPL") == "2024-03-11T04:00:00Z"

"""The reference and corporate-action streams, declared (declarations.py is the model).

To add a stream: declare its endpoint here, add its schema (schemas/<stream>.json), and list it
in ENDPOINTS; the source builds its stream from the declaration. Special behaviour an endpoint
needs beyond the model goes in a module of its own (corporate_actions.py).
"""

from __future__ import annotations

from source_stock_ticker_api.markets import OPTIONS, STOCKS
from source_stock_ticker_api.reference.declarations import (
    BARE_ARRAY,
    Endpoint,
    Incremental,
    PerListedMarket,
    PerTicker,
    PerValue,
    Shape,
    TickerBatches,
    Words,
)
from source_stock_ticker_api.reference.fundamentals import FUNDAMENTALS
from source_stock_ticker_api.reference.listings import LISTS
from source_stock_ticker_api.reference.news_events import NEWS_EVENTS
from source_stock_ticker_api.reference.short_data import SHORT_DATA

# The API's largest pages: fewer requests, which is what a 5-a-minute plan counts.
TICKERS_PAGE_SIZE = 1000
ACTIONS_PAGE_SIZE = 5000
# Tickers per dividends/splits request: ~600 characters of `ticker.any_of` for typical
# symbols, and at most ~4,000 for the longest, well inside any server's URL limit.
TICKERS_PER_REQUEST = 100
# How far back an incremental dividends/splits sync reads again: corrections of recent events
# (a changed pay date, a revised amount, the adjustment factor of an event whose ex-date just
# passed) are caught when they come within this window.
LOOKBACK_DAYS = 30

TICKERS = Endpoint(
    stream="tickers",
    path="v3/reference/tickers",
    # Every ticker of each market present in the config (options have no listing), the active
    # and the inactive ones: delisted symbols and former symbols have rows to join to.
    fan_out=PerValue("active", ("true", "false"), PerListedMarket("market")),
    query=(("sort", "ticker"), ("order", "asc"), ("limit", TICKERS_PAGE_SIZE)),
    # A symbol may be listed again after a delisting: the inactive listing and the active one
    # share market and ticker, and differ in delisted_utc (none for the active one).
    primary_key=["market", "ticker", "delisted_utc"],
    words=Words("the list of {market} tickers (active={active})", otherwise="the list of tickers"),
    docs="https://massive.com/docs/rest/stocks/tickers/all-tickers",
)

TICKER_DETAILS = Endpoint(
    stream="ticker_details",
    path="v3/reference/tickers/{ticker}",
    fan_out=PerTicker(
        skipped=(OPTIONS,),
        skipped_note="{ticker}: option contracts have no ticker details; skipped.",
    ),
    shape=Shape(
        unknown="{ticker}: the API has no ticker details for this symbol (404 Not Found); "
        "the other tickers are read. Check the symbol."
    ),
    primary_key=["market", "ticker"],
    words=Words("{ticker} ticker details", otherwise="the request"),
    docs="https://massive.com/docs/rest/stocks/tickers/ticker-overview",
)


def corporate_actions(stream: str, cursor_field: str, docs: str) -> Endpoint:
    """Dividends or splits of the configured stock tickers, a cursor per ticker on the event's
    date; their special reads are in corporate_actions.py."""
    return Endpoint(
        stream=stream,
        path=f"stocks/v1/{stream}",
        fan_out=TickerBatches((STOCKS,), TICKERS_PER_REQUEST),
        query=(("sort", f"ticker.asc,{cursor_field}.asc"), ("limit", ACTIONS_PAGE_SIZE)),
        incremental=Incremental(cursor_field, LOOKBACK_DAYS),
        primary_key="id",  # the API's event id: two events of one day never collide
        words=Words(f"{stream} of {{tickers}} from {{{cursor_field}.gte}}", f"a page of {stream}"),
        docs=docs,
    )


DIVIDENDS = corporate_actions(
    "dividends",
    "ex_dividend_date",
    "https://massive.com/docs/rest/stocks/corporate-actions/dividends",
)
SPLITS = corporate_actions(
    "splits", "execution_date", "https://massive.com/docs/rest/stocks/corporate-actions/splits"
)

MARKET_HOLIDAYS = Endpoint(
    stream="market_holidays",
    path="v1/marketstatus/upcoming",
    # Upcoming holidays and early closes of each exchange: one request, a bare JSON array.
    shape=BARE_ARRAY,
    primary_key=["exchange", "date"],
    words=Words("the upcoming market holidays", otherwise="the upcoming market holidays"),
    docs="https://massive.com/docs/rest/stocks/market-operations/market-holidays",
)

ENDPOINTS = (
    *(TICKERS, TICKER_DETAILS, DIVIDENDS, SPLITS, MARKET_HOLIDAYS),
    *FUNDAMENTALS,
    *SHORT_DATA,
    *NEWS_EVENTS,
    *LISTS,
)

"""News, ticker events and related companies, declared (declarations.py is the model).

News is asked one ticker at a time (the endpoint filters on one `ticker`, no `ticker.any_of`),
so an article naming two configured tickers comes in both requests: it is written once per
sync (Distinct). A ticker's events are one object holding a list: one record per event.
"""

from __future__ import annotations

from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.reference.declarations import (
    Distinct,
    Endpoint,
    Incremental,
    PerTicker,
    Shape,
    TickerBatches,
    Words,
    nested_rows,
    tickers_of_row,
)

NEWS_PAGE_SIZE = 1000  # the endpoint's largest `limit`
# How far back an incremental news sync reads again: an article reaches the API after the time
# it was published at, and its insights (sentiment) are added later; two days cover both.
NEWS_LOOKBACK_DAYS = 2

NEWS = Endpoint(
    stream="news",
    path="v2/reference/news",
    # One request per stock ticker (the endpoint takes a single `ticker`), from its cursor.
    fan_out=TickerBatches((STOCKS,), 1, param="ticker"),
    query=(("sort", "published_utc"), ("order", "asc"), ("limit", NEWS_PAGE_SIZE)),
    incremental=Incremental("published_utc", NEWS_LOOKBACK_DAYS, tickers_of_row),
    distinct=Distinct("id"),
    primary_key="id",  # the API's article id: one row per article, whichever tickers it names
    words=Words("news of {ticker} from {published_utc.gte}", otherwise="a page of news"),
    docs="https://massive.com/docs/rest/stocks/news",
)

TICKER_EVENTS = Endpoint(
    stream="ticker_events",
    path="vX/reference/tickers/{ticker}/events",
    fan_out=PerTicker(markets=(STOCKS,)),
    shape=Shape(
        nested_rows("events", ("name", "cik", "composite_figi")),
        unknown="{ticker}: the API has no ticker events for this symbol (404 Not Found); "
        "the other tickers are read. Check the symbol.",
    ),
    ticker_field="ticker",
    primary_key=["ticker", "type", "date"],  # an entity has one event of a type on a date
    words=Words("{ticker} ticker events", otherwise="the request"),
    docs="https://massive.com/docs/rest/stocks/tickers/ticker-events",
)

RELATED_COMPANIES = Endpoint(
    stream="related_companies",
    path="v1/related-companies/{ticker}",
    fan_out=PerTicker(markets=(STOCKS,)),
    shape=Shape(
        unknown="{ticker}: the API has no related companies for this symbol; the other "
        "tickers are read. Check the symbol."
    ),
    # The API's `ticker` is the related company; the configured ticker is `stock_symbol`, the
    # name the vendor's own body gives it.
    ticker_field="stock_symbol",
    primary_key=["stock_symbol", "ticker"],
    words=Words("companies related to {ticker}", otherwise="the request"),
    docs="https://massive.com/docs/rest/stocks/tickers/related-tickers",
)

NEWS_EVENTS = (NEWS, TICKER_EVENTS, RELATED_COMPANIES)

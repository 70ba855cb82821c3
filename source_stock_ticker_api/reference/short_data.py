"""Short interest, short volume, float and IPOs, declared (declarations.py is the model).

The vendor's client (`massive`) filters short interest and short volume by `ticker` alone (no
`ticker.any_of`): one request per ticker, with a cursor per ticker on the date it filters by.
Float takes `ticker.any_of` and has no date filter (the latest float per ticker): batches, full
refresh. IPOs are the whole market's: one request, one cursor on `listing_date`.
"""

from __future__ import annotations

from source_stock_ticker_api.markets import STOCKS
from source_stock_ticker_api.reference.declarations import (
    Endpoint,
    Incremental,
    PerTicker,
    Shape,
    TickerBatches,
    Words,
)

# The largest pages the vendor serves: 50,000 rows for the short data and float, 1,000 IPOs.
SHORT_PAGE_SIZE = 50_000
IPOS_PAGE_SIZE = 1000
# Tickers per float request: ~600 characters of `ticker.any_of` (as dividends and splits).
FLOAT_TICKERS_PER_REQUEST = 100
# Short interest is disseminated about 8 days after its settlement date and revised after;
# a month brings both back. Short volume of a day is published that evening and corrected
# within days; IPOs change status and price around their listing date.
SHORT_INTEREST_LOOKBACK_DAYS = 30
SHORT_VOLUME_LOOKBACK_DAYS = 7
IPOS_LOOKBACK_DAYS = 30
# Both short endpoints are on every stock plan; the free one sees two years (403 before: what
# it covers is read, plan_history.py).
SHORT_DATA_PLAN = "Stocks Basic"


def short_endpoint(stream: str, path: str, field: str, lookback: int, noun: str) -> Endpoint:
    """A short-data endpoint of the configured stock tickers, one request per ticker."""
    return Endpoint(
        stream=stream,
        path=path,
        fan_out=PerTicker(markets=(STOCKS,), param="ticker"),
        query=(("sort", f"{field}.asc"), ("limit", SHORT_PAGE_SIZE)),
        incremental=Incremental(field, lookback),
        shape=Shape(
            missing=f"{{tickers}}: the API has no {noun} for this symbol; the other tickers "
            "are read. Check the symbol."
        ),
        primary_key=["ticker", field],  # one row per ticker and date
        words=Words(f"{noun} of {{ticker}} from {{{field}.gte}}", f"a page of {noun}"),
        docs=f"https://massive.com/docs/rest/stocks/fundamentals/{path.rsplit('/', 1)[1]}",
        plan=SHORT_DATA_PLAN,
    )


SHORT_INTEREST = short_endpoint(
    "short_interest",
    "stocks/v1/short-interest",
    "settlement_date",
    SHORT_INTEREST_LOOKBACK_DAYS,
    "short interest",
)
SHORT_VOLUME = short_endpoint(
    "short_volume", "stocks/v1/short-volume", "date", SHORT_VOLUME_LOOKBACK_DAYS, "short volume"
)

STOCK_FLOAT = Endpoint(
    stream="stock_float",
    path="stocks/vX/float",
    # The latest float of each ticker; no date to filter by, so read whole (one row a ticker).
    fan_out=TickerBatches((STOCKS,), FLOAT_TICKERS_PER_REQUEST),
    query=(("sort", "ticker.asc"), ("limit", SHORT_PAGE_SIZE)),
    shape=Shape(
        missing="{tickers}: the API has no float for this symbol; the other tickers are read. "
        "Check the symbol."
    ),
    primary_key=["ticker", "effective_date"],  # a new float is a new row in an appended table
    words=Words("the float of {tickers}", otherwise="a page of floats"),
    docs="https://massive.com/docs/rest/stocks/fundamentals/float",
)

IPOS = Endpoint(
    stream="ipos",
    path="vX/reference/ipos",
    # The market's IPOs, whatever the tickers: one request, one cursor for the stream.
    query=(("sort", "listing_date"), ("order", "asc"), ("limit", IPOS_PAGE_SIZE)),
    incremental=Incremental("listing_date", IPOS_LOOKBACK_DAYS, row_tickers=lambda row: ()),
    primary_key=["ticker", "isin"],  # the offered security; its listing date may move
    words=Words("the IPOs from {listing_date.gte}", otherwise="a page of IPOs"),
    docs="https://massive.com/docs/rest/stocks/corporate-actions/ipos",
)

SHORT_DATA = (SHORT_INTEREST, SHORT_VOLUME, STOCK_FLOAT, IPOS)

"""The vendor's lists, declared: options contracts of the configured underlyings, and the
exchanges, trade and quote conditions and ticker types every record's codes refer to.

All four are read whole each sync (full refresh): the lists are small, and the contracts have no
filter a cursor could follow (`expired` is a selector, not a date).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from airbyte_cdk.sources.streams.core import StreamData

from source_stock_ticker_api.config import StockTickerConfig
from source_stock_ticker_api.markets import OPTIONS, STOCKS, market_of
from source_stock_ticker_api.reference.declarations import (
    Endpoint,
    FanOut,
    ListRequest,
    Note,
    Partition,
    PerValue,
    Words,
)
from source_stock_ticker_api.reference.stream import ListRead, Outcome, Reading

# The endpoints' largest `limit` (the vendor's OpenAPI: maximum 1000 for both).
CONTRACTS_PAGE_SIZE = 1000
CONDITIONS_PAGE_SIZE = 1000
# An OCC option symbol ends in 15 characters: YYMMDD, C or P, and the strike in thousandths.
OCC_TAIL = 15
NO_CONTRACTS = (
    "{ticker}: the API has no options contracts for this underlying, active or expired; "
    "the other underlyings are read. Check the symbol."
)


def underlying_of(option_ticker: str) -> str:
    """The underlying of an OCC option ticker: `O:AAPL251219C00150000` is AAPL's. (The root
    of an adjusted contract, `AAPL1`, or of a weekly index option, `SPXW`, is what the symbol
    says; the API lists such contracts under their own underlying.)"""
    return option_ticker.removeprefix("O:")[:-OCC_TAIL]


@dataclass(frozen=True)
class Underlyings:
    """One request per underlying, named in the query as `param`: the configured stock tickers
    and the underlyings of the configured option contracts, each once, in config order."""

    param: str = "underlying_ticker"

    def partitions(self, config: StockTickerConfig) -> Iterator[Partition | Note]:
        seen: dict[str, None] = {}
        for ticker in config.tickers:
            market = market_of(ticker)
            if market is STOCKS:
                seen.setdefault(ticker)
            elif market is OPTIONS and len(ticker) > len("O:") + OCC_TAIL:
                seen.setdefault(underlying_of(ticker))
        for underlying in seen:
            yield Partition({}, ((self.param, underlying),), (underlying,))


def requests_per_partition(fan_out: FanOut) -> int:
    """How many requests one partition of the inner fan-out becomes."""
    return len(fan_out.values) if isinstance(fan_out, PerValue) else 1


@dataclass
class Told:
    """What the requests of one underlying gave so far."""

    requests: int = 0
    rows: int = 0
    refused: bool = False


class UnderlyingsRead(ListRead):
    """A full-refresh read that says, once per underlying, when none of its requests (active
    and expired contracts) gave a row: an unknown symbol, or a stock without listed options.

    A plan without options refuses every underlying alike (entitlements are per market): after
    the first 403 the other requests are not made, and the one refusal is told at the end.
    """

    def __init__(self, reading: Reading) -> None:
        super().__init__(reading)
        self.expected = requests_per_partition(reading.endpoint.fan_out)
        self.told: dict[tuple[str, ...], Told] = {}
        self.plan_refused = False

    def read(self, stream_slice: Mapping[str, Any]) -> Iterator[StreamData]:
        if not self.plan_refused:
            yield from super().read(stream_slice)

    def tell(self, request: ListRequest, outcome: Outcome) -> None:
        if outcome.refusal is not None and outcome.refusal.status == 403:
            self.plan_refused = True
        told = self.told.setdefault(request.tickers, Told())
        told.requests += 1
        told.rows += outcome.rows
        told.refused = told.refused or outcome.refusal is not None
        if told.requests == self.expected and not told.rows and not told.refused:
            self.logger.warning(NO_CONTRACTS.format(ticker=", ".join(request.tickers)))


OPTIONS_CONTRACTS = Endpoint(
    stream="options_contracts",
    path="v3/reference/options/contracts",
    # `expired` selects (false by default): the whole history is both answers.
    fan_out=PerValue("expired", ("false", "true"), Underlyings()),
    query=(("limit", CONTRACTS_PAGE_SIZE),),
    primary_key="ticker",  # the OCC symbol: underlying, expiration, call/put and strike
    words=Words(
        "the options contracts of {underlying_ticker} (expired={expired})",
        otherwise="a page of options contracts",
    ),
    docs="https://massive.com/docs/rest/options/contracts/all-contracts",
    plan="Options Basic",
)

EXCHANGES = Endpoint(
    stream="exchanges",
    path="v3/reference/exchanges",
    # One unpaged answer: every asset class's exchanges, TRFs and SIPs.
    primary_key=["asset_class", "id"],  # ids repeat across asset classes (crypto 1, stocks 1)
    words=Words("the list of exchanges", otherwise="the list of exchanges"),
    docs="https://massive.com/docs/rest/stocks/market-operations/exchanges",
)

CONDITIONS = Endpoint(
    stream="conditions",
    path="v3/reference/conditions",
    query=(("limit", CONDITIONS_PAGE_SIZE),),
    # An id is unique per data type (the vendor): a trade's and a quote's condition share ids.
    primary_key=["asset_class", "type", "id"],
    words=Words("the list of conditions", otherwise="a page of conditions"),
    docs="https://massive.com/docs/rest/stocks/market-operations/condition-codes",
)

TICKER_TYPES = Endpoint(
    stream="ticker_types",
    path="v3/reference/tickers/types",
    # One unpaged answer; a code names a type within its asset class and locale.
    primary_key=["asset_class", "locale", "code"],
    words=Words("the list of ticker types", otherwise="the list of ticker types"),
    docs="https://massive.com/docs/rest/stocks/tickers/ticker-types",
)

LISTS = (OPTIONS_CONTRACTS, EXCHANGES, CONDITIONS, TICKER_TYPES)

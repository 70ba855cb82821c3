"""The markets the API covers, told apart by the ticker's prefix.

The custom-bars endpoint serves every market, but each keeps its own clock: stock, option and
index bars live on New York days and the NYSE calendar; crypto and forex bars on UTC days. A
ticker's market decides its stream, the zone of its `date`, and which query parameters and fields
exist for it. This table is the one place that knows it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

NEW_YORK = ZoneInfo("America/New_York")
UTC = ZoneInfo("UTC")


@dataclass(frozen=True)
class Market:
    """One market: how its tickers are spelt, where its bars go, and what its bars carry."""

    name: str  # as a person says it: "stocks", "crypto"
    prefix: str  # the ticker prefix that selects it; "" for US stocks
    stream_name: str
    zone: ZoneInfo  # of its daily bars' start and of a bar's `date`
    # Values of /v3/reference/tickers' `market` filter that list its tickers; none for options.
    reference_markets: tuple[str, ...]
    has_volume: bool  # bars carry `v`, `vw`, `n` (index bars carry none of them)
    takes_adjusted: bool  # the API accepts `adjusted` (indices do not)


STOCKS = Market("stocks", "", "stock_prices", NEW_YORK, ("stocks", "otc"), True, True)
OPTIONS = Market("options", "O:", "option_prices", NEW_YORK, (), True, True)
INDICES = Market("indices", "I:", "index_prices", NEW_YORK, ("indices",), False, False)
CRYPTO = Market("crypto", "X:", "crypto_prices", UTC, ("crypto",), True, True)
FOREX = Market("forex", "C:", "forex_prices", UTC, ("fx",), True, True)

MARKETS: tuple[Market, ...] = (STOCKS, CRYPTO, FOREX, INDICES, OPTIONS)
_BY_PREFIX: Mapping[str, Market] = {market.prefix: market for market in MARKETS if market.prefix}


def market_of(ticker: str) -> Market:
    """The market a ticker belongs to: `X:BTCUSD` is crypto, `AAPL` (no prefix) a US stock."""
    prefix, colon, _ = ticker.partition(":")
    if colon:
        market = _BY_PREFIX.get(f"{prefix}:")
        if market is not None:
            return market
    return STOCKS


def tickers_by_market(tickers: Iterable[str]) -> dict[Market, tuple[str, ...]]:
    """The configured tickers of each market present, in MARKETS order, each in config order."""
    grouped: dict[Market, list[str]] = {}
    for ticker in tickers:
        grouped.setdefault(market_of(ticker), []).append(ticker)
    return {market: tuple(grouped[market]) for market in MARKETS if market in grouped}

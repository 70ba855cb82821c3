"""Everything the endpoints read their bars and facts from, for one seed."""

from __future__ import annotations

from dataclasses import dataclass

from .market import Market
from .other_markets import OtherMarkets


@dataclass
class MarketData:
    """The stock market and the other markets of one seed. Mutable so that a benchmark can swap
    in a Market with a bigger day cache (`Sandbox.market = ...`)."""

    market: Market
    others: OtherMarkets

    @classmethod
    def for_seed(cls, seed: int) -> MarketData:
        return cls(Market(seed), OtherMarkets(seed))

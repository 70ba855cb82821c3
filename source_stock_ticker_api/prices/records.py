"""The record of an API bar, for each market's shape: one place, so every endpoint emits the same
bytes for the same bar (custom bars and grouped daily alike).

A field the API leaves out (`vwap`, `transactions`) is left out of the record, not set to None:
the CDK's serializer would drop it, and cdk/entrypoint.record_json relies on data holding no None.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from source_stock_ticker_api.markets import Market

# (`timestamp`, `date`) of a bar starting at Unix ms (bars.TimeFormatter.render).
Render = Callable[[int], tuple[str, str]]
Records = Callable[[str, Iterable[Mapping[str, Any]], Render], Iterator[dict[str, Any]]]

_VOLUME_FIELDS = (("v", "volume"), ("vw", "vwap"), ("n", "transactions"))


def stock_records(
    ticker: str, bars: Iterable[Mapping[str, Any]], render: Render
) -> Iterator[dict[str, Any]]:
    """`stock_prices` records: the tutorial's `stock_ticker` and `price` (= close), and `otc`."""
    for bar in bars:
        timestamp, day = render(bar["t"])
        close, vwap, transactions = bar["c"], bar.get("vw"), bar.get("n")
        data = {
            "stock_ticker": ticker,
            "date": day,
            "timestamp": timestamp,
            "price": close,
            "open": bar["o"],
            "high": bar["h"],
            "low": bar["l"],
            "close": close,
            "volume": bar["v"],
            "vwap": vwap,
            "transactions": transactions,
            "otc": bar.get("otc", False),
        }
        if vwap is None or transactions is None:
            data = {key: value for key, value in data.items() if value is not None}
        yield data


def market_records(
    ticker: str, bars: Iterable[Mapping[str, Any]], render: Render
) -> Iterator[dict[str, Any]]:
    """Records of the other markets: `ticker`, no `price` and no `otc`; `volume`, `vwap` and
    `transactions` when the bar has them (index bars never do)."""
    for bar in bars:
        timestamp, day = render(bar["t"])
        data = {
            "ticker": ticker,
            "date": day,
            "timestamp": timestamp,
            "open": bar["o"],
            "high": bar["h"],
            "low": bar["l"],
            "close": bar["c"],
        }
        for short, field in _VOLUME_FIELDS:
            value = bar.get(short)
            if value is not None:
                data[field] = value
        yield data


def records_of(market: Market) -> Records:
    """The record builder of a market's shape (markets.Market.tutorial_record)."""
    return stock_records if market.tutorial_record else market_records

"""The `stock_prices` record of an API bar: one place, so every endpoint emits the same bytes."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any


def bar_records(
    ticker: str, bars: Iterable[Mapping[str, Any]], render: Callable[[int], tuple[str, str]]
) -> Iterator[dict[str, Any]]:
    """Records of `ticker`'s bars, each `t` being the bar's start; `render` gives its
    (`timestamp`, `date`) (bars.TimeFormatter.render).

    A field the API leaves out (`vwap`, `transactions`) is left out of the record, not set to
    None: the CDK's serializer would drop it, and cdk_overrides.record_json relies on data
    holding no None.
    """
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

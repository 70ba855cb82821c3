"""The stock universe: which tickers exist, which are OTC or thinly traded, and their splits."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date

MAJOR_TICKERS = ("AAPL", "MSFT", "GOOGL", "AMZN", "NVDA", "TSLA", "META", "SPY")
OTC_TICKERS = ("TCEHY",)
UNIVERSE_SIZE = 120
# Thinly traded tickers and the minute bars each has on a trading day: real minute data has
# gaps, a bar exists only for a minute with a trade. They come after the rest of the universe.
THIN_TICKERS: dict[str, int] = {"THIN": 40, "HUSH": 4}

# Ex-dates and ratios of the forward splits in the served history. Bars before an ex-date are
# multiplied by its ratio (prices) or divided by it (volumes) when `adjusted=false`.
SPLITS: dict[str, tuple[tuple[date, int], ...]] = {
    "AAPL": ((date(2020, 8, 31), 4),),
    "TSLA": ((date(2020, 8, 31), 5), (date(2022, 8, 25), 3)),
    "NVDA": ((date(2021, 7, 20), 4), (date(2024, 6, 10), 10)),
    "AMZN": ((date(2022, 6, 6), 20),),
    "GOOGL": ((date(2022, 7, 18), 20),),
}


def _generated_symbols(count: int, taken: Sequence[str]) -> list[str]:
    """Plausible 3-4 letter symbols, the same on every machine."""
    symbols: list[str] = []
    seen = set(taken)
    i = 0
    while len(symbols) < count:
        digest = hashlib.sha256(f"polygon-sandbox-symbol-{i}".encode()).digest()
        i += 1
        size = 3 + digest[0] % 2
        symbol = "".join(chr(65 + byte % 26) for byte in digest[1 : 1 + size])
        if symbol not in seen:
            seen.add(symbol)
            symbols.append(symbol)
    return symbols


TICKERS: tuple[str, ...] = (
    *MAJOR_TICKERS,
    *_generated_symbols(UNIVERSE_SIZE - len(MAJOR_TICKERS) - len(OTC_TICKERS), MAJOR_TICKERS),
    *OTC_TICKERS,
    *THIN_TICKERS,
)
_KNOWN = frozenset(TICKERS)
_OTC = frozenset(OTC_TICKERS)


def is_known(ticker: str) -> bool:
    return ticker in _KNOWN


def is_otc(ticker: str) -> bool:
    return ticker in _OTC


def split_factor(ticker: str, day: date) -> int:
    """Product of the ratios of the ticker's splits that happen after `day`."""
    factor = 1
    for ex_date, ratio in SPLITS.get(ticker, ()):
        if day < ex_date:
            factor *= ratio
    return factor

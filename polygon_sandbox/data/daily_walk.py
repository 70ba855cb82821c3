"""The daily random walk of each stock: split-adjusted daily bars, generated forward on demand.

A seeded walk per ticker is cheap, so years of history cost milliseconds. The majors are steered
towards their real mid-2024 closes so that charts look plausible.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

from .seeds import stable_int
from .trading_calendar import TRADING_DAYS
from .universe import SPLITS, split_factor


@dataclass(frozen=True)
class Profile:
    """How a ticker's walk behaves: split-adjusted price on 2015-01-02, yearly drift and
    volatility, typical split-adjusted daily volume and shares per trade."""

    start_price: float
    drift: float
    volatility: float
    volume: float
    trade_size: float
    anchor_price: float | None = None  # where the walk is steered to on ANCHOR_DATE


# The majors' walks are pulled towards their real mid-2024 split-adjusted closes so that charts
# look plausible; every other number is random.
ANCHOR_DATE = date(2024, 6, 28)

_MAJOR_PROFILES = {
    "AAPL": Profile(27.33, 0.20, 0.28, 2.1e8, 120.0, 210.62),
    "MSFT": Profile(46.76, 0.20, 0.25, 3.0e7, 110.0, 446.95),
    "GOOGL": Profile(26.48, 0.18, 0.28, 3.6e7, 130.0, 182.15),
    "AMZN": Profile(15.43, 0.22, 0.32, 7.0e7, 140.0, 193.25),
    "NVDA": Profile(0.50, 0.45, 0.48, 4.5e8, 150.0, 123.54),
    "TSLA": Profile(14.62, 0.25, 0.55, 9.5e7, 110.0, 197.88),
    "META": Profile(78.45, 0.15, 0.34, 2.1e7, 100.0, 504.22),
    "SPY": Profile(205.43, 0.10, 0.16, 8.5e7, 180.0, 544.22),
    "TCEHY": Profile(14.55, 0.08, 0.30, 2.2e6, 300.0, 47.70),
    "THIN": Profile(6.20, 0.04, 0.40, 6.0e4, 90.0),
    "HUSH": Profile(2.35, 0.02, 0.50, 2.5e4, 150.0),
}


def profile_of(ticker: str) -> Profile:
    if ticker in _MAJOR_PROFILES:
        return _MAJOR_PROFILES[ticker]
    rng = random.Random(stable_int("profile", ticker))
    return Profile(
        start_price=math.exp(rng.uniform(math.log(8.0), math.log(400.0))),
        drift=rng.uniform(0.0, 0.15),
        volatility=rng.uniform(0.15, 0.45),
        volume=math.exp(rng.uniform(math.log(4e5), math.log(3e7))),
        trade_size=rng.uniform(60.0, 250.0),
    )


# Standard normal quantiles: picking one with a uniform draw is ~10x faster than
# random.gauss, which matters when a benchmark asks for a million minute bars.
NORMALS = [NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096)]


class DailyWalk:
    """Split-adjusted daily bars of one ticker, generated forward on demand."""

    def __init__(self, ticker: str, seed: int) -> None:
        self.ticker = ticker
        self.profile = profile_of(ticker)
        self.rng = random.Random(stable_int(seed, ticker, "walk"))
        self.last_close = self.profile.start_price
        self.open: list[float] = []
        self.high: list[float] = []
        self.low: list[float] = []
        self.close: list[float] = []
        self.vwap: list[float] = []
        self.raw_volume: list[int] = []
        self.trades: list[int] = []
        self.bare: list[bool] = []  # the bar has no vw and no n
        self.lock = threading.Lock()

    def extend(self, index: int) -> None:
        if index < len(self.close):
            return
        with self.lock:
            self._extend(index)

    def _extend(self, index: int) -> None:
        # Hot when a grouped request first touches 120 tickers x 10 years: keep it inlined.
        p = self.profile
        sd = p.volatility / math.sqrt(252.0)
        mu = p.drift / 252.0 - 0.5 * sd * sd
        rand = self.rng.random
        normals = NORMALS
        size = float(len(normals))
        exp = math.exp
        anchor = TRADING_DAYS.index(ANCHOR_DATE) if p.anchor_price else None
        splits = SPLITS.get(self.ticker, ())
        gap_sd = 0.3 * sd
        wick_sd = 0.45 * sd
        last = self.last_close
        while len(self.close) <= index:
            position = len(self.close)
            mean = mu
            if anchor is not None and p.anchor_price and position <= anchor:
                # Brownian-bridge drift: spread the remaining log distance over the days left.
                mean = math.log(p.anchor_price / last) / (anchor - position + 1)
            ret = mean + sd * normals[int(rand() * size)]
            o = last * exp(gap_sd * normals[int(rand() * size)])
            c = o * exp(ret)
            h = (o if o > c else c) * exp(wick_sd * abs(normals[int(rand() * size)]))
            low = (c if o > c else o) * exp(-wick_sd * abs(normals[int(rand() * size)]))
            o = int(o * 10000.0 + 0.5) / 10000.0
            c = int(c * 10000.0 + 0.5) / 10000.0
            h = int(h * 10000.0 + 0.5) / 10000.0
            low = int(low * 10000.0 + 0.5) / 10000.0
            if low <= 0.0:
                o, c, h, low = max(o, 0.0001), max(c, 0.0001), max(h, 0.0001), 0.0001
            typical = (o + h + low + 2.0 * c) / 5.0 + 0.05 * (h - low) * normals[int(rand() * size)]
            vw = int((low if typical < low else h if typical > h else typical) * 10000.0 + 0.5)
            adjusted_volume = (
                p.volume * exp(0.3 * normals[int(rand() * size)]) * (1.0 + 0.6 * abs(ret - mu) / sd)
            )
            factor = split_factor(self.ticker, TRADING_DAYS.day(position)) if splits else 1
            raw = max(20_000, int(adjusted_volume / factor))
            self.open.append(o)
            self.high.append(h)
            self.low.append(low)
            self.vwap.append(vw / 10000.0)
            self.raw_volume.append(raw)
            self.trades.append(max(1_500, int(raw / (p.trade_size * (0.85 + 0.3 * rand())))))
            self.bare.append(rand() < 0.015)
            self.close.append(c)  # last: readers check len(self.close) without the lock
            last = c
        self.last_close = last

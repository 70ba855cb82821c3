"""Crypto, forex, index and option bars: the markets beside US stocks, on the same endpoint.

Each keeps its own clock, as the vendor's do:

* crypto (`X:`): every day of the year, 24 hours, UTC days; a daily bar starts at 00:00 UTC.
* forex (`C:`): UTC days, from Sunday 22:00 UTC to Friday 22:00 UTC; `v` counts quotes (ticks).
* indices (`I:`): NYSE days, regular session 09:30-16:00 New York (13:00 on half days); bars
  carry no `v`, `vw` or `n`, and the endpoint neither takes `adjusted` nor echoes it.
* options (`O:`, OCC symbols): NYSE days, regular session; sparse minute bars, only in minutes
  with a trade.

A day's bars come from a seeded walk over calendar days (its open and close) and a bridge between
them for its minutes, so years of daily bars cost little and minutes are made only when asked for.
Nothing here knows about stock splits: these markets have none, so `adjusted` changes nothing.
How the custom-bars endpoint buckets and pages these bars: endpoints/aggregates/other_bars.py.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from .bars import Row, aggregate, r4, start_of
from .seeds import stable_int
from .trading_calendar import (
    EARLY_REGULAR_CLOSE,
    HISTORY_START,
    MINUTE_MS,
    NEW_YORK,
    REGULAR_CLOSE,
    REGULAR_OPEN,
    is_early_close,
    is_trading_day,
)

UTC = ZoneInfo("UTC")
_FOREX_EDGE = 22 * 60  # Sunday's open and Friday's close, minutes after 00:00 UTC


def _crypto_session(day: date) -> tuple[int, int] | None:
    return (0, 24 * 60)


def _forex_session(day: date) -> tuple[int, int] | None:
    weekday = day.weekday()
    if weekday == 5:
        return None
    if weekday == 6:
        return (_FOREX_EDGE, 24 * 60)
    if weekday == 4:
        return (0, _FOREX_EDGE)
    return (0, 24 * 60)


def _regular_session(day: date) -> tuple[int, int] | None:
    if not is_trading_day(day):
        return None
    return (REGULAR_OPEN, EARLY_REGULAR_CLOSE if is_early_close(day) else REGULAR_CLOSE)


@dataclass(frozen=True)
class MarketKind:
    """How one market's bars look: its zone, sessions, and which fields its bars carry."""

    name: str  # as in a plan: "crypto", "forex", "indices", "options"
    zone: ZoneInfo
    session: Callable[[date], tuple[int, int] | None]  # [open, close) minutes after midnight
    has_volume: bool  # v, vw, n
    takes_adjusted: bool
    sparse: bool  # bars only in the minutes with a trade (options)
    trades: int  # typical trades (quotes for forex) in a whole day


CRYPTO = MarketKind("crypto", UTC, _crypto_session, True, True, False, 400_000)
FOREX = MarketKind("forex", UTC, _forex_session, True, True, False, 300_000)
INDICES = MarketKind("indices", NEW_YORK, _regular_session, False, False, False, 0)
OPTIONS = MarketKind("options", NEW_YORK, _regular_session, True, True, True, 60)
KINDS = {"X:": CRYPTO, "C:": FOREX, "I:": INDICES, "O:": OPTIONS}

# The tickers each market knows, with a starting level (2015-01-02), yearly drift and volatility.
_PROFILES: dict[str, tuple[float, float, float]] = {
    "X:BTCUSD": (315.0, 0.55, 0.70),
    "X:ETHUSD": (1.2, 0.65, 0.90),
    "C:EURUSD": (1.20, -0.01, 0.07),
    "C:USDJPY": (120.0, 0.02, 0.08),
    "I:SPX": (2058.0, 0.10, 0.16),
    "I:NDX": (4230.0, 0.14, 0.20),
    "O:AAPL261218C00250000": (4.0, 0.20, 0.80),
    "O:SPY261218P00600000": (30.0, -0.05, 0.60),
}

# The option contracts whose bars are served: contracts listed by options_contracts.py too.
OPTION_TICKERS: tuple[str, ...] = tuple(t for t in _PROFILES if t.startswith("O:"))


def kind_of(ticker: str) -> MarketKind | None:
    """The market of a prefixed ticker; None for a US stock (no prefix) or an unknown prefix."""
    return KINDS.get(ticker[:2]) if ticker[1:2] == ":" else None


def midnight_ms(day: date, zone: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp()) * 1000


def date_of_ms(ms: int, zone: ZoneInfo) -> date:
    return datetime.fromtimestamp(ms / 1000, zone).date()


class _DailyWalk:
    """Open and close of every calendar day since 2015-01-02, for one ticker."""

    def __init__(self, ticker: str, seed: int) -> None:
        start, drift, volatility = _PROFILES[ticker]
        self.rng = random.Random(stable_int(seed, ticker, "other-walk"))
        self.sd = volatility / math.sqrt(365.0)
        self.mu = drift / 365.0 - 0.5 * self.sd * self.sd
        self.closes: list[float] = [start]
        self.lock = threading.Lock()

    def open_close(self, day: date) -> tuple[float, float]:
        index = (day - HISTORY_START).days + 1
        with self.lock:
            while len(self.closes) <= index:
                self.closes.append(
                    self.closes[-1] * math.exp(self.mu + self.sd * self.rng.gauss(0.0, 1.0))
                )
        return self.closes[index - 1], self.closes[index]


class OtherMarkets:
    """Bars of the known crypto, forex, index and option tickers, as the API serves them."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._walks: dict[str, _DailyWalk] = {}
        self._minutes: dict[tuple[str, date], list[Row]] = {}
        self._lock = threading.Lock()

    @staticmethod
    def knows(ticker: str) -> bool:
        return ticker in _PROFILES

    def minutes(self, ticker: str, day: date) -> list[Row]:
        """Every minute bar of the day (in the market's zone), ascending; [] on a closed day."""
        key = (ticker, day)
        found = self._minutes.get(key)
        if found is None:
            found = self._make_minutes(ticker, day)
            with self._lock:
                if len(self._minutes) > 2_000:
                    self._minutes.clear()
                self._minutes[key] = found
        return found

    def _walk(self, ticker: str) -> _DailyWalk:
        walk = self._walks.get(ticker)
        if walk is None:
            with self._lock:
                walk = self._walks.setdefault(ticker, _DailyWalk(ticker, self.seed))
        return walk

    def final_daily(self, ticker: str, day: date) -> Row:
        """The day's complete bar, from the walk: cheap, so years of daily bars cost little."""
        kind = kind_of(ticker)
        assert kind is not None
        walk = self._walk(ticker)
        o, c = walk.open_close(day)
        rng = random.Random(stable_int(self.seed, ticker, day.toordinal(), "other-day"))
        h = max(o, c) * math.exp(abs(rng.gauss(0.0, walk.sd / 2.0)))
        low = min(o, c) * math.exp(-abs(rng.gauss(0.0, walk.sd / 2.0)))
        t = midnight_ms(day, kind.zone)
        prices = (_price(o), _price(h), _price(low), _price(c))
        if not kind.has_volume:
            return (t, *prices, 0.0, None, None)
        session = kind.session(day)
        assert session is not None
        share = (session[1] - session[0]) / (24 * 60)  # forex's short Sunday and Friday
        trades = max(1, int(kind.trades * share * math.exp(rng.gauss(0.0, 0.3))))
        if kind is FOREX:
            volume = float(trades)  # forex bars count quotes
        elif kind is OPTIONS:
            volume = float(trades * (1 + int(rng.expovariate(0.2))))  # whole contracts
        else:
            volume = r4(trades * rng.uniform(0.05, 0.2))  # fractions of a coin
        return (t, *prices, volume, _price((prices[1] + prices[2] + 2 * prices[3]) / 4.0), trades)

    def _make_minutes(self, ticker: str, day: date) -> list[Row]:
        """The day's minute bars, drawn inside its final bar: the first opens at its open, the
        last closes at its close, the extremes touch its high and low, trades add up to its."""
        kind = kind_of(ticker)
        assert kind is not None
        session = kind.session(day)
        if session is None or day < HISTORY_START:
            return []
        t0, o, h, low, c, volume, _, trades = self.final_daily(ticker, day)
        rng = random.Random(stable_int(self.seed, ticker, day.toordinal(), "other-minutes"))
        count = session[1] - session[0]
        if kind.sparse:  # options: the minutes in which the contract traded
            picked = sorted(rng.sample(range(count), max(1, min(count, trades or 1))))
        else:
            picked = list(range(count))
        steps = len(picked)
        path = [0.0]
        for _ in range(steps):
            path.append(path[-1] + rng.gauss(0.0, 1.0))
        bridge = [path[k] - path[-1] * k / steps for k in range(steps + 1)]
        top, bottom = max(bridge), min(bridge)
        scale = min(
            (h - max(o, c)) / top if top > 0 else math.inf,
            (min(o, c) - low) / -bottom if bottom < 0 else math.inf,
        )
        scale = 0.0 if scale == math.inf else scale
        prices = [o + (c - o) * k / steps + scale * bridge[k] for k in range(steps + 1)]
        rows: list[Row] = []
        shares = _shares(trades or 0, steps, rng)
        for k, minute in enumerate(picked):
            first, last = _price(prices[k]), _price(prices[k + 1])
            row_h, row_l = max(first, last), min(first, last)
            t = t0 + (session[0] + minute) * MINUTE_MS
            if not kind.has_volume:
                rows.append((t, first, row_h, row_l, last, 0.0, None, None))
                continue
            n = shares[k]
            v = float(n) if kind is FOREX else r4(volume * n / trades) if trades else 0.0
            rows.append((t, first, row_h, row_l, last, v, _price((row_h + row_l + last) / 3), n))
        top_k = max(range(steps), key=lambda k: rows[k][2])
        bottom_k = min(range(steps), key=lambda k: rows[k][3])
        rows[top_k] = (*rows[top_k][:2], h, *rows[top_k][3:])
        rows[bottom_k] = (*rows[bottom_k][:3], low, *rows[bottom_k][4:])
        return rows

    def daily(self, ticker: str, day: date, now_ms: int) -> Row | None:
        """The day's bar at `now_ms`: final once its session is over, else built from its
        minutes that have closed; None on a closed day or before its first minute."""
        kind = kind_of(ticker)
        assert kind is not None
        session = kind.session(day)
        midnight = midnight_ms(day, kind.zone)
        if midnight > now_ms or session is None or day < HISTORY_START:
            return None
        if now_ms >= midnight + session[1] * MINUTE_MS:
            return self.final_daily(ticker, day)
        rows = self.minutes(ticker, day)
        done = bisect.bisect_right(rows, now_ms - MINUTE_MS, key=start_of)
        return aggregate(rows[:done], midnight) if done else None


def _shares(total: int, count: int, rng: random.Random) -> list[int]:
    """`total` split into `count` parts of at least 1 (when it allows), at random."""
    if count == 0:
        return []
    weights = [rng.random() + 0.1 for _ in range(count)]
    scale = max(total - count, 0) / sum(weights)
    parts = [1 + int(w * scale) for w in weights]
    parts[-1] += max(total - sum(parts), 0)
    return parts


def _price(value: float) -> float:
    """Prices as the vendor writes them: 4 decimals, 6 below 10 (forex quotes, cheap coins)."""
    return round(value, 6) if value < 10.0 else r4(value)

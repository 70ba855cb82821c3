"""Deterministic, realistic market data: the ticker universe, splits, daily and intraday bars.

Daily bars come from a seeded random walk per ticker (cheap, so years of history cost
milliseconds). Minute bars of a day are drawn *inside* that day's bar: their open, close, high,
low, volume and trade count add up exactly to it, so today's partial daily bar (built from the
minutes so far) converges to the final one. Second bars are drawn inside their minute the same
way. Generation is seeded from the sandbox seed, the ticker and the date through hashlib, never
Python's `hash()`, so the same seed serves the same numbers in every process.

A row is a tuple `(t, o, h, l, c, v, vw, n)` with `vw`/`n` None when the bar lacks them.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from statistics import NormalDist

from .trading_calendar import (
    MINUTE_MS,
    TRADING_DAYS,
    Session,
    date_of_ms,
    midnight_ms,
    session,
    session_end_ms,
)

Row = tuple[int, float, float, float, float, float, float | None, int | None]

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


def _stable_int(*parts: object) -> int:
    text = "|".join(str(part) for part in parts).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


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


def _profile(ticker: str) -> Profile:
    if ticker in _MAJOR_PROFILES:
        return _MAJOR_PROFILES[ticker]
    rng = random.Random(_stable_int("profile", ticker))
    return Profile(
        start_price=math.exp(rng.uniform(math.log(8.0), math.log(400.0))),
        drift=rng.uniform(0.0, 0.15),
        volatility=rng.uniform(0.15, 0.45),
        volume=math.exp(rng.uniform(math.log(4e5), math.log(3e7))),
        trade_size=rng.uniform(60.0, 250.0),
    )


def split_factor(ticker: str, day: date) -> int:
    """Product of the ratios of the ticker's splits that happen after `day`."""
    factor = 1
    for ex_date, ratio in SPLITS.get(ticker, ()):
        if day < ex_date:
            factor *= ratio
    return factor


def r4(value: float) -> float:
    """Round a positive price to 4 decimals (faster than round(), which matters per minute)."""
    return int(value * 10000.0 + 0.5) / 10000.0


def retime(row: Row, t: int) -> Row:
    """The same bar stamped with another `t`."""
    return (t, row[1], row[2], row[3], row[4], row[5], row[6], row[7])


def aggregate(rows: Sequence[Row], t: int) -> Row:
    """One bar from chronological rows: first open, last close, extremes, sums, weighted vw."""
    high = rows[0][2]
    low = rows[0][3]
    volume = 0.0
    weighted = 0.0
    weighted_volume = 0.0
    trades = 0
    has_trades = False
    for row in rows:
        if row[2] > high:
            high = row[2]
        if row[3] < low:
            low = row[3]
        volume += row[5]
        if row[6] is not None:
            weighted += row[6] * row[5]
            weighted_volume += row[5]
        if row[7] is not None:
            trades += row[7]
            has_trades = True
    vw = r4(weighted / weighted_volume) if weighted_volume else None
    return (t, rows[0][1], high, low, rows[-1][4], volume, vw, trades if has_trades else None)


def _unadjust(rows: list[Row], factor: int) -> list[Row]:
    """Raw (as traded) rows from split-adjusted ones: prices × factor, volumes ÷ factor."""
    return [
        (
            t,
            r4(o * factor),
            r4(h * factor),
            r4(low * factor),
            r4(c * factor),
            v / factor,
            None if vw is None else r4(vw * factor),
            n,
        )
        for (t, o, h, low, c, v, vw, n) in rows
    ]


# Standard normal quantiles: picking one with a uniform draw is ~10x faster than
# random.gauss, which matters when a benchmark asks for a million minute bars.
_NORMALS = [NormalDist().inv_cdf((i + 0.5) / 4096) for i in range(4096)]


class _Walk:
    """Split-adjusted daily bars of one ticker, generated forward on demand."""

    def __init__(self, ticker: str, seed: int) -> None:
        self.ticker = ticker
        self.profile = _profile(ticker)
        self.rng = random.Random(_stable_int(seed, ticker, "walk"))
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
        normals = _NORMALS
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


def _intraday_profile(sess: Session) -> tuple[list[float], list[float]]:
    """Per-minute volume weights (U-shaped regular session, thin extended hours) and the
    matching volatility weights."""
    volume: list[float] = []
    for minute in range(sess.first_minute, sess.end_minute):
        if minute < sess.regular_open:
            span = sess.regular_open - sess.first_minute
            weight = 0.02 + 0.10 * (minute - sess.first_minute) / span
        elif minute < sess.regular_close:
            after_open = minute - sess.regular_open
            before_close = sess.regular_close - 1 - minute
            weight = 1.0 + 2.5 * math.exp(-after_open / 25.0) + 1.8 * math.exp(-before_close / 20.0)
        else:
            weight = 0.02 + 0.25 * math.exp(-(minute - sess.regular_close) / 30.0)
        volume.append(weight)
    return volume, [math.sqrt(w) for w in volume]


_PROFILES: dict[Session, tuple[list[float], list[float]]] = {}


def _profiles_for(sess: Session) -> tuple[list[float], list[float]]:
    found = _PROFILES.get(sess)
    if found is None:
        found = _PROFILES[sess] = _intraday_profile(sess)
    return found


def _partition(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total into len(weights) parts >= 1 proportional to the weights."""
    count = len(weights)
    spare = total - count
    weight_sum = sum(weights)
    parts = [1 + int(spare * w / weight_sum) for w in weights]
    parts[max(range(count), key=weights.__getitem__)] += total - sum(parts)
    return parts


def _thinned(rows: list[Row], count: int, rng: random.Random) -> list[Row]:
    """`count` minute bars of a thinly traded day: each holds the trades of the quiet minutes
    before it, so the day's open, close, extremes and sums stay those of its daily bar."""
    last = len(rows) - 1
    picked = [*sorted(rng.sample(range(last), min(count, len(rows)) - 1)), last]
    thin: list[Row] = []
    after = 0
    for index in picked:
        thin.append(aggregate(rows[after : index + 1], rows[index][0]))
        after = index + 1
    return thin


def _start(row: Row) -> int:
    return row[0]


class _LRU:
    """Small thread-safe LRU cache: a bounded memory footprint for per-day bars."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[tuple[object, ...], list[Row]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[object, ...], build: Callable[[], list[Row]]) -> list[Row]:
        with self._lock:
            found = self._data.get(key)
            if found is not None:
                self._data.move_to_end(key)
                return found
        value = build()
        with self._lock:
            self._data[key] = value
            while len(self._data) > self._size:
                self._data.popitem(last=False)
        return value


class Market:
    """All bars the sandbox can serve for one seed. Independent of `now`: callers filter."""

    def __init__(self, seed: int = 1, cache_days: int = 256) -> None:
        self.seed = seed
        self._walks: dict[str, _Walk] = {}
        self._walks_lock = threading.Lock()
        self._cache = _LRU(cache_days)

    @staticmethod
    def knows(ticker: str) -> bool:
        return ticker in _KNOWN

    @staticmethod
    def is_otc(ticker: str) -> bool:
        return ticker in _OTC

    def _walk(self, ticker: str, index: int) -> _Walk:
        walk = self._walks.get(ticker)
        if walk is None:
            with self._walks_lock:
                walk = self._walks.setdefault(ticker, _Walk(ticker, self.seed))
        walk.extend(index)
        return walk

    # -- daily ------------------------------------------------------------------------------

    def final_daily(self, ticker: str, day: date, adjusted: bool) -> Row:
        """The day's complete bar (`day` must be a trading day on or after 2015-01-02)."""
        index = TRADING_DAYS.index(day)
        if index is None:
            raise ValueError(f"{day} is not a trading day")
        w = self._walk(ticker, index)
        factor = split_factor(ticker, day)
        raw = w.raw_volume[index]
        bare = w.bare[index]
        vw = None if bare else w.vwap[index]
        n = None if bare else w.trades[index]
        t = midnight_ms(day)
        o, h, low, c = w.open[index], w.high[index], w.low[index], w.close[index]
        if adjusted or factor == 1:
            return (t, o, h, low, c, float(raw * factor), vw, n)
        vw_raw = None if vw is None else r4(vw * factor)
        prices = (r4(o * factor), r4(h * factor), r4(low * factor), r4(c * factor))
        return (t, *prices, float(raw), vw_raw, n)

    def daily(self, ticker: str, day: date, adjusted: bool, now_ms: int) -> Row | None:
        """The day's bar as seen at `now_ms`: final once the extended session is over, built
        from the minutes so far while it runs, None before the first minute or on a closed day."""
        if midnight_ms(day) > now_ms or TRADING_DAYS.index(day) is None:  # future first: cheap
            return None
        if now_ms >= session_end_ms(day):
            return self.final_daily(ticker, day, adjusted)
        minutes = self.minutes(ticker, day, adjusted)
        # The minute bars whose window has closed (a thin ticker's minutes have gaps).
        done = bisect.bisect_right(minutes, now_ms - MINUTE_MS, key=_start)
        if done <= 0:
            return None
        bar = aggregate(minutes[:done], midnight_ms(day))
        index = TRADING_DAYS.index(day)
        assert index is not None
        if self._walk(ticker, index).bare[index]:
            bar = bar[:6] + (None, None)
        return bar

    def daily_range(
        self, ticker: str, first: date, last: date, adjusted: bool, now_ms: int
    ) -> list[Row]:
        """Daily bars for trading days in [first, last] that exist at `now_ms`, ascending."""
        last = min(last, date_of_ms(now_ms))
        days = TRADING_DAYS.between(first, last)
        if not days:
            return []
        rows = [self.final_daily(ticker, day, adjusted) for day in days[:-1]]
        latest = self.daily(ticker, days[-1], adjusted, now_ms)
        if latest is not None:
            rows.append(latest)
        return rows

    # -- intraday ---------------------------------------------------------------------------

    def minutes(self, ticker: str, day: date, adjusted: bool) -> list[Row]:
        """The minute bars of a trading day (04:00 ET to the session end), ascending: every
        minute, or a thin ticker's few (THIN_TICKERS)."""
        return self._intraday("m", self._make_minutes, ticker, day, adjusted)

    def seconds(self, ticker: str, day: date, adjusted: bool) -> list[Row]:
        """A sparse, deterministic set of second bars inside each minute bar, ascending."""
        return self._intraday("s", self._make_seconds, ticker, day, adjusted)

    def _intraday(
        self,
        kind: str,
        make: Callable[[str, date], list[Row]],
        ticker: str,
        day: date,
        adjusted: bool,
    ) -> list[Row]:
        """Adjusted bars are made once and cached; unadjusted ones derive from them."""
        factor = split_factor(ticker, day)
        if adjusted or factor == 1:
            return self._cache.get((kind, ticker, day), lambda: make(ticker, day))
        return self._cache.get(
            (f"{kind}-raw", ticker, day),
            lambda: _unadjust(self._intraday(kind, make, ticker, day, True), factor),
        )

    def _make_minutes(self, ticker: str, day: date) -> list[Row]:
        t0, o, h, low, c, volume, _, _ = self.final_daily(ticker, day, True)
        index = TRADING_DAYS.index(day)
        assert index is not None
        walk = self._walk(ticker, index)
        raw_volume = walk.raw_volume[index]
        trades_total = walk.trades[index]
        factor = split_factor(ticker, day)
        sess = session(day)
        count = sess.minutes
        volume_weights, sigma_weights = _profiles_for(sess)
        rng = random.Random(_stable_int(self.seed, ticker, day.toordinal(), "minutes"))
        rand = rng.random
        normals = _NORMALS
        size = float(len(normals))

        # A Brownian bridge from the open to the close, scaled to stay inside [low, high].
        walk_points = [0.0] * (count + 1)
        acc = 0.0
        for k in range(count):
            acc += normals[int(rand() * size)] * sigma_weights[k]
            walk_points[k + 1] = acc
        drift = acc / count
        bridge = [walk_points[k] - drift * k for k in range(count + 1)]
        span = h - low
        top = max(bridge)
        bottom = min(bridge)
        scale = 0.85 * span / (top - bottom) if top > bottom else 0.0
        step = (c - o) / count
        for k in range(count + 1):
            b = bridge[k]
            line = o + step * k
            if b > 0.0:
                scale = min(scale, (h - line) / b)
            elif b < 0.0:
                scale = min(scale, (low - line) / b)
        path = [o + step * k + scale * bridge[k] for k in range(count + 1)]

        # Wicks beyond the open/close of each minute, clipped to the day's range.
        wick = span * 0.01
        opens = [0.0] * count
        highs = [0.0] * count
        lows = [0.0] * count
        closes = [0.0] * count
        weights = [0.0] * count
        exp = math.exp
        for k in range(count):
            a = path[k]
            b = path[k + 1]
            reach = wick * sigma_weights[k]
            top_k = (a if a > b else b) + abs(normals[int(rand() * size)]) * reach
            bottom_k = (b if a > b else a) - abs(normals[int(rand() * size)]) * reach
            opens[k] = int(a * 10000.0 + 0.5) / 10000.0
            closes[k] = int(b * 10000.0 + 0.5) / 10000.0
            highs[k] = int((top_k if top_k < h else h) * 10000.0 + 0.5) / 10000.0
            lows[k] = int((bottom_k if bottom_k > low else low) * 10000.0 + 0.5) / 10000.0
            weights[k] = volume_weights[k] * exp(0.45 * normals[int(rand() * size)])
        opens[0] = o
        closes[-1] = c
        highs[max(range(count), key=highs.__getitem__)] = h
        lows[min(range(count), key=lows.__getitem__)] = low

        volumes = _partition(raw_volume, weights)
        bare = [rand() < 0.01 for _ in range(count)]
        with_trades = [k for k in range(count) if not bare[k]]
        trades = [0] * count
        if with_trades:
            shares = _partition(trades_total, [float(volumes[k]) for k in with_trades])
            for k, part in zip(with_trades, shares, strict=True):
                trades[k] = part

        rows: list[Row] = []
        t = t0 + sess.first_minute * MINUTE_MS
        for k in range(count):
            hk = highs[k]
            lk = lows[k]
            ck = closes[k]
            if bare[k]:
                rows.append((t, opens[k], hk, lk, ck, float(volumes[k] * factor), None, None))
            else:
                vw = int((hk + lk + ck) / 3.0 * 10000.0 + 0.5) / 10000.0
                rows.append((t, opens[k], hk, lk, ck, float(volumes[k] * factor), vw, trades[k]))
            t += MINUTE_MS
        assert sum(volumes) * factor == volume
        per_day = THIN_TICKERS.get(ticker)
        return rows if per_day is None else _thinned(rows, per_day, rng)

    def _make_seconds(self, ticker: str, day: date) -> list[Row]:
        factor = split_factor(ticker, day)
        rng = random.Random(_stable_int(self.seed, ticker, day.toordinal(), "seconds"))
        rand = rng.random
        rows: list[Row] = []
        for t, o, h, low, c, volume, vw, n in self.minutes(ticker, day, True):
            raw_volume = int(volume) // factor
            count = min(1 + int(rand() * 6), raw_volume, n if n is not None else 60)
            picked = sorted(rng.sample(range(60), count))
            points = [o]
            for _ in range(count - 1):
                points.append(r4(low + (h - low) * rand()))
            points.append(c)
            highs = [max(points[j], points[j + 1]) for j in range(count)]
            lows = [min(points[j], points[j + 1]) for j in range(count)]
            highs[max(range(count), key=highs.__getitem__)] = h
            lows[min(range(count), key=lows.__getitem__)] = low
            weights = [0.2 + rand() for _ in range(count)]
            volumes = _partition(raw_volume, weights)
            trades = _partition(n, weights) if n is not None else None
            for j in range(count):
                sv = float(volumes[j] * factor)
                st = t + picked[j] * 1000
                sc = points[j + 1]
                if vw is None or trades is None:
                    rows.append((st, points[j], highs[j], lows[j], sc, sv, None, None))
                else:
                    svw = r4((highs[j] + lows[j] + sc) / 3.0)
                    rows.append((st, points[j], highs[j], lows[j], sc, sv, svw, trades[j]))
        return rows

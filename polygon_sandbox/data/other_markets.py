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
`from`/`to` dates mean days of the market's zone. Nothing here knows about stock splits: these
markets have none, so `adjusted` changes nothing.
"""

from __future__ import annotations

import bisect
import math
import random
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from ..aggregates import (
    INTRADAY,
    Page,
    QueryError,
    RangeQuery,
    TimeRange,
    _bucket_of,
    _next_unit_start,
    _unit_start,
)
from .market import Row, _stable_int, aggregate, r4, retime
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
_UNIT_MS = {"second": 1000, "minute": MINUTE_MS, "hour": 3_600_000}
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
        self.rng = random.Random(_stable_int(seed, ticker, "other-walk"))
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
        rng = random.Random(_stable_int(self.seed, ticker, day.toordinal(), "other-day"))
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
        rng = random.Random(_stable_int(self.seed, ticker, day.toordinal(), "other-minutes"))
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
        done = bisect.bisect_right(rows, now_ms - MINUTE_MS, key=_start)
        return aggregate(rows[:done], midnight) if done else None

    def iter_bars(self, q: RangeQuery, now_ms: int) -> Iterator[tuple[Row, int, int]]:
        """(bar, base aggregates it holds, bucket start) of the query at `now_ms`, in order."""
        if not self.knows(q.ticker):
            return iter(())
        kind = kind_of(q.ticker)
        assert kind is not None
        if q.timespan in INTRADAY:
            items = list(self._intraday(kind, q, now_ms))
        else:
            items = self._daily_items(kind, q, now_ms)
        if q.descending:
            items.reverse()
        return iter(items)

    def _days(self, kind: MarketKind, q: RangeQuery, now_ms: int) -> list[date]:
        first = date_of_ms(q.from_ms, kind.zone)
        last = date_of_ms(min(q.to_ms, now_ms), kind.zone)
        return [first + timedelta(days=i) for i in range((last - first).days + 1)]

    def _intraday(
        self, kind: MarketKind, q: RangeQuery, now_ms: int
    ) -> Iterator[tuple[Row, int, int]]:
        size = _UNIT_MS[q.timespan] * q.multiplier
        last_ms = min(q.to_ms, now_ms - MINUTE_MS)
        group: list[Row] = []
        group_start = -1
        for day in self._days(kind, q, now_ms):
            midnight = midnight_ms(day, kind.zone)
            for row in self.minutes(q.ticker, day):
                t = row[0]
                if t < q.from_ms or t > last_ms:
                    continue
                start = midnight + (t - midnight) // size * size
                if start != group_start:
                    if group:
                        yield _bucket(group, group_start)
                    group, group_start = [], start
                group.append(row)
        if group:
            yield _bucket(group, group_start)

    def _daily_items(
        self, kind: MarketKind, q: RangeQuery, now_ms: int
    ) -> list[tuple[Row, int, int]]:
        rows = [
            row
            for day in self._days(kind, q, now_ms)
            if (row := self.daily(q.ticker, day, now_ms)) is not None
        ]
        if q.timespan == "day" and q.multiplier == 1:
            return [(row, 1, row[0]) for row in rows]
        anchor = _unit_start(date_of_ms(q.from_ms, kind.zone), q.timespan)
        items: list[tuple[Row, int, int]] = []
        group: list[Row] = []
        bucket: date | None = None
        for row in rows:
            day = date_of_ms(row[0], kind.zone)
            this = _bucket_of(day, anchor, q.timespan, q.multiplier)
            if this != bucket and group:
                items.append(_daily_bucket(group, bucket, kind.zone))
                group = []
            bucket = this
            group.append(row)
        if group:
            items.append(_daily_bucket(group, bucket, kind.zone))
        return items

    def take_page(self, q: RangeQuery, limit: int, now_ms: int) -> Page:
        """Whole bars while their base aggregates fit in `limit`, and at least one."""
        rows: list[Row] = []
        used = 0
        bars = self.iter_bars(q, now_ms)
        for row, base, start in bars:
            if rows and used + base > limit:
                return Page(rows, used, self._next_ms(q, start, row))
            rows.append(row)
            used += base
        return Page(rows, used, None)

    def _next_ms(self, q: RangeQuery, start: int, row: Row) -> int:
        if not q.descending:
            return start
        kind = kind_of(q.ticker)
        assert kind is not None
        if q.timespan in INTRADAY:
            return start + _UNIT_MS[q.timespan] * q.multiplier - 1
        day = _unit_start(date_of_ms(start, kind.zone), q.timespan)
        return midnight_ms(_next_unit_start(day, q.timespan, q.multiplier), kind.zone) - 1


def _shares(total: int, count: int, rng: random.Random) -> list[int]:
    """`total` split into `count` parts of at least 1 (when it allows), at random."""
    if count == 0:
        return []
    weights = [rng.random() + 0.1 for _ in range(count)]
    scale = max(total - count, 0) / sum(weights)
    parts = [1 + int(w * scale) for w in weights]
    parts[-1] += max(total - sum(parts), 0)
    return parts


def _start(row: Row) -> int:
    return row[0]


def _price(value: float) -> float:
    """Prices as the vendor writes them: 4 decimals, 6 below 10 (forex quotes, cheap coins)."""
    return round(value, 6) if value < 10.0 else r4(value)


def bar_dict(row: Row, kind: MarketKind) -> dict[str, object]:
    """A bar as the API writes it: index bars carry values only, no `v`, `vw` or `n`."""
    t, o, h, low, c, v, vw, n = row
    if not kind.has_volume:
        return {"o": o, "c": c, "h": h, "l": low, "t": t}
    return {"v": v, "vw": vw, "o": o, "c": c, "h": h, "l": low, "t": t, "n": n}


def _bucket(group: list[Row], start: int) -> tuple[Row, int, int]:
    bar = aggregate(group, start) if len(group) > 1 else retime(group[0], start)
    return bar, len(group), start


def _daily_bucket(group: list[Row], day: date | None, zone: ZoneInfo) -> tuple[Row, int, int]:
    assert day is not None
    start = midnight_ms(day, zone)
    return aggregate(group, start), len(group), start


def resolve_range(kind: MarketKind, timespan: str, from_text: str, to_text: str) -> TimeRange:
    """As aggregates.resolve_range, with dates meaning days of the market's zone."""
    from ..aggregates import _DATE_RE, _MS_RE

    bounds: list[int] = []
    for which, text in (("from", from_text), ("to", to_text)):
        try:
            if _DATE_RE.match(text):
                day = date.fromisoformat(text)
                if which == "to":
                    day += timedelta(days=1)
                ms = midnight_ms(day, kind.zone) - (1 if which == "to" else 0)
            elif _MS_RE.match(text):
                ms = int(text)
                datetime.fromtimestamp(ms / 1000, kind.zone)  # in range of a date
            else:
                raise ValueError(text)
        except (ValueError, OverflowError, OSError) as exc:
            raise QueryError(
                f"Could not parse the time parameter: '{which}'. "
                "Use YYYY-MM-DD or Unix MS Timestamps"
            ) from exc
        bounds.append(ms)
    if bounds[1] < bounds[0]:
        raise QueryError("The parameter 'to' cannot be a time that occurs before 'from'")
    return TimeRange(
        _snap(kind, bounds[0], timespan, end=False),
        _snap(kind, bounds[1], timespan, end=True),
        bounds[0],
    )


def _snap(kind: MarketKind, ms: int, timespan: str, *, end: bool) -> int:
    if timespan in _UNIT_MS:
        unit = _UNIT_MS[timespan]
        return ms - ms % unit + (unit - 1 if end else 0)
    start = _unit_start(date_of_ms(ms, kind.zone), timespan)
    if not end:
        return midnight_ms(start, kind.zone)
    return midnight_ms(_next_unit_start(start, timespan), kind.zone) - 1

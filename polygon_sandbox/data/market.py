"""Every stock bar the sandbox can serve for one seed: daily bars from the seeded walk, minute
and second bars drawn inside them, unadjusted bars derived from the split-adjusted ones.

Generation is seeded from the sandbox seed, the ticker and the date through hashlib, never
Python's `hash()`, so the same seed serves the same numbers in every process. A row is a tuple
`(t, o, h, l, c, v, vw, n)` (bars.Row).
"""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import date

from . import universe
from .bars import Row, aggregate, r4, start_of
from .daily_walk import DailyWalk
from .intraday import minute_bars, second_bars, unadjust
from .trading_calendar import MINUTE_MS, TRADING_DAYS, date_of_ms, midnight_ms, session_end_ms
from .universe import split_factor


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
        self._walks: dict[str, DailyWalk] = {}
        self._walks_lock = threading.Lock()
        self._cache = _LRU(cache_days)

    @staticmethod
    def knows(ticker: str) -> bool:
        return universe.is_known(ticker)

    @staticmethod
    def is_otc(ticker: str) -> bool:
        return universe.is_otc(ticker)

    def _walk(self, ticker: str, index: int) -> DailyWalk:
        walk = self._walks.get(ticker)
        if walk is None:
            with self._walks_lock:
                walk = self._walks.setdefault(ticker, DailyWalk(ticker, self.seed))
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
        done = bisect.bisect_right(minutes, now_ms - MINUTE_MS, key=start_of)
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
            lambda: unadjust(self._intraday(kind, make, ticker, day, True), factor),
        )

    def _make_minutes(self, ticker: str, day: date) -> list[Row]:
        bar = self.final_daily(ticker, day, True)
        index = TRADING_DAYS.index(day)
        assert index is not None
        walk = self._walk(ticker, index)
        return minute_bars(self.seed, ticker, day, bar, walk.raw_volume[index], walk.trades[index])

    def _make_seconds(self, ticker: str, day: date) -> list[Row]:
        return second_bars(self.seed, ticker, day, self.minutes(ticker, day, True))

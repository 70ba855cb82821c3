"""A price stream's cursors: per ticker, the start of its last complete bar.

The state is `{"bar_settings": {...}, "AAPL": {"timestamp": "<UTC start of the last complete
bar>"}, ...}` (saved_state.py). A bar still being formed (today's daily bar during trading) is
emitted but does not move the cursor, so the next sync reads it again in its final form.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from source_stock_ticker_api.bars import TimeFormatter, bar_end_ms, day_start, to_ms
from source_stock_ticker_api.config import EARLIEST_DATE
from source_stock_ticker_api.prices.saved_state import SETTINGS_KEY
from source_stock_ticker_api.prices.slices import BarQuery

LEGACY_KEY = "date"  # the tutorial's state: the last date it had read, for its one ticker


def cursor_ms(timestamp: str) -> int:
    """Unix ms of a saved cursor, which the source has validated (saved_state.validate_state)."""
    return to_ms(datetime.fromisoformat(timestamp.replace("Z", "+00:00")))


class Cursors:
    """Each ticker's entry of the state, as saved: tickers no longer configured are kept, so a
    ticker taken out of the config and put back resumes where it was."""

    def __init__(self, entries: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self._entries: dict[str, Mapping[str, Any]] = dict(entries or {})

    @classmethod
    def from_state(
        cls, value: Mapping[str, Any] | None, tickers: Iterable[str], zone: ZoneInfo
    ) -> Cursors:
        """The cursors of a state the source has validated, without its bar settings.

        The tutorial's `{"date": ...}` becomes a cursor on that day's bar for every ticker that
        has none: it resumed after the last date it had read. A date before any bar leaves
        nothing to skip.
        """
        entries = {k: v for k, v in (value or {}).items() if k not in (SETTINGS_KEY, LEGACY_KEY)}
        legacy = (value or {}).get(LEGACY_KEY)
        if legacy is not None:
            day = date.fromisoformat(str(legacy))
            if day >= EARLIEST_DATE:
                start = TimeFormatter(zone).render(to_ms(day_start(day, zone)))[0]
                for ticker in tickers:
                    entries.setdefault(ticker, {"timestamp": start})
        return cls(entries)

    def state(self, settings: Mapping[str, Any]) -> dict[str, Any]:
        """The stream's state: the bar settings the cursors were read with, then the cursors."""
        return {SETTINGS_KEY: dict(settings), **self._entries}

    def timestamp(self, ticker: str) -> str | None:
        entry = self._entries.get(ticker)
        return None if entry is None else str(entry["timestamp"])

    def pass_empty(self, ticker: str, start_ms: int, render: TimeFormatter) -> None:
        """Moves the ticker's cursor, never back, to the bar starting at `start_ms`: the last
        complete bar of a range the API answered with no bar at all (empty.py)."""
        saved = self.timestamp(ticker)
        if saved is None or cursor_ms(saved) < start_ms:
            self._entries[ticker] = {"timestamp": render.render(start_ms)[0]}

    def advance(
        self,
        ticker: str,
        bars: Sequence[Mapping[str, Any]],
        query: BarQuery,
        zone: ZoneInfo,
        now_ms: int,
        render: TimeFormatter,
    ) -> None:
        """Moves the ticker's cursor to the last complete bar of `bars`, never back.

        Bars come oldest first, so only the newest few (still forming) need a look.
        """
        saved = self.timestamp(ticker)
        saved_ms = cursor_ms(saved) if saved is not None else -1
        for bar in reversed(bars):
            t = bar["t"]
            if t <= saved_ms:
                return
            if bar_end_ms(t, query.timespan, query.multiplier, zone) <= now_ms:
                self._entries[ticker] = {"timestamp": render.render(t)[0]}
                return

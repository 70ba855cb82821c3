"""The sandbox's clock: the wall clock until told a time, then frozen there until moved."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone


def parse_instant(text: str) -> datetime:
    """ISO-8601 instant ('Z' allowed, naive = UTC) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return utc(parsed)


def utc(moment: datetime) -> datetime:
    """`moment` in UTC; a naive one is taken as UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


class Clock:
    """`now=None` follows the wall clock; any explicit time freezes it there."""

    def __init__(self, now: datetime | None = None) -> None:
        self._frozen = utc(now) if now is not None else None

    @property
    def now(self) -> datetime:
        return self._frozen or datetime.now(timezone.utc)

    def set(self, moment: datetime) -> None:
        self._frozen = utc(moment)

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self._frozen = self.now + timedelta(days=days, hours=hours, minutes=minutes)

    def now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

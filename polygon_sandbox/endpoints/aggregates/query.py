"""What the aggregates endpoints share: their parameters (`multiplier`, `timespan`, `limit`,
`sort`, the cursor), the time units bars are bucketed in, and the plan's history edge."""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import parse_qs

from ...data.bars import Row
from ...data.trading_calendar import (
    HOUR_MS,
    MINUTE_MS,
    REGULAR_CLOSE,
    date_of_ms,
    midnight_ms,
    sunday_on_or_before,
)
from ...http.auth import Plan
from ...http.params import QueryError

TIMESPANS = ("second", "minute", "hour", "day", "week", "month", "quarter", "year")
INTRADAY = frozenset({"second", "minute", "hour"})
DEFAULT_LIMIT = 5000
MAX_LIMIT = 50_000
UNIT_MS = {"second": 1000, "minute": MINUTE_MS, "hour": HOUR_MS}
_MONTHS_PER_UNIT = {"month": 1, "quarter": 3, "year": 12}
DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
MS_RE = re.compile(r"^\d{1,16}$")


@dataclass(frozen=True)
class RangeQuery:
    """A parsed custom-bars request (one page's worth of parameters minus `limit`)."""

    ticker: str
    multiplier: int
    timespan: str
    from_ms: int  # inclusive, snapped
    to_ms: int  # inclusive, snapped
    adjusted: bool = True
    descending: bool = False


@dataclass(frozen=True)
class Page:
    rows: list[Row]
    query_count: int
    next_ms: int | None  # asc: start of the next bar; desc: last ms of the next bar


def parse_multiplier(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise QueryError(f"Invalid multiplier: '{text}'. Use a positive integer")
    return int(text)


def parse_timespan(text: str) -> str:
    if text not in TIMESPANS:
        raise QueryError(f"Invalid timespan: '{text}'. Use one of {', '.join(TIMESPANS)}")
    return text


def month_start(year: int, month: int) -> date:
    return date(year + (month - 1) // 12, (month - 1) % 12 + 1, 1)


def unit_start(day: date, timespan: str) -> date:
    if timespan == "week":
        return sunday_on_or_before(day)
    if timespan == "month":
        return day.replace(day=1)
    if timespan == "quarter":
        return date(day.year, (day.month - 1) // 3 * 3 + 1, 1)
    if timespan == "year":
        return date(day.year, 1, 1)
    return day


def next_unit_start(start: date, timespan: str, count: int = 1) -> date:
    if timespan == "day":
        return start + timedelta(days=count)
    if timespan == "week":
        return start + timedelta(days=7 * count)
    return month_start(start.year, start.month + _MONTHS_PER_UNIT[timespan] * count)


def bucket_of(day: date, anchor: date, timespan: str, multiplier: int) -> date:
    """Start of the multi-unit bucket holding `day`, on a grid anchored at `anchor`."""
    if timespan in ("day", "week"):
        width = multiplier * (7 if timespan == "week" else 1)
        return anchor + timedelta(days=(day - anchor).days // width * width)
    step = _MONTHS_PER_UNIT[timespan] * multiplier
    offset = (day.year - anchor.year) * 12 + day.month - anchor.month
    return month_start(anchor.year, anchor.month + offset // step * step)


@dataclass(frozen=True)
class TimeRange:
    from_ms: int  # snapped to the start of its unit: what the query covers
    to_ms: int  # snapped to the end of its unit (inclusive)
    requested_from_ms: int  # as asked for, before snapping (plan history checks use this)


def encode_cursor(limit: int, sort: str) -> str:
    return base64.urlsafe_b64encode(f"limit={limit}&sort={sort}".encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str) -> dict[str, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise QueryError("Invalid cursor") from exc
    return {k: v[0] for k, v in parse_qs(text).items()}


def limit_and_sort(params: dict[str, str]) -> tuple[int, str]:
    """Explicit `limit`/`sort` win; otherwise the cursor's; otherwise the defaults.

    `limit` above 50000 is clamped to 50000 (the vendor caps it silently).
    """
    from_cursor = _decode_cursor(params["cursor"]) if params.get("cursor") else {}
    limit_text = params.get("limit", from_cursor.get("limit", str(DEFAULT_LIMIT)))
    sort = params.get("sort", from_cursor.get("sort", "asc"))
    if not limit_text.isdigit() or int(limit_text) < 1:
        raise QueryError(f"Invalid limit: '{limit_text}'. Use a positive integer up to 50000")
    if sort not in ("asc", "desc"):
        raise QueryError(f"Invalid sort: '{sort}'. Use asc or desc")
    return min(int(limit_text), MAX_LIMIT), sort


def close_ms(day: date) -> int:
    """`t` of grouped/previous-close bars: 16:00 ET of the day, as the vendor serves them."""
    return midnight_ms(day) + REGULAR_CLOSE * MINUTE_MS


def outside_history(plan: Plan, first: date, now_ms: int) -> bool:
    """Whether `first` is older than the plan's history reaches (today in New York - days)."""
    if plan.history_days is None:
        return False
    return first < date_of_ms(now_ms) - timedelta(days=plan.history_days)

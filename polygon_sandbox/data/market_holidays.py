"""The NYSE's and Nasdaq's coming holidays and early closes (/v1/marketstatus/upcoming)."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import holidays

from .trading_calendar import (
    EARLY_REGULAR_CLOSE,
    NEW_YORK,
    REGULAR_OPEN,
    date_of_ms,
    is_early_close,
    is_trading_day,
)

HOLIDAY_HORIZON_DAYS = 365  # how far ahead /v1/marketstatus/upcoming looks


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def holiday_records(now_ms: int) -> list[dict[str, Any]]:
    """The NYSE's and Nasdaq's closed days and early closes from today on, for a year."""
    today = date_of_ms(now_ms)
    names: dict[date, str] = {}
    for year in (today.year, today.year + 1):
        names.update(holidays.NYSE(years=year))
    records: list[dict[str, Any]] = []
    day = today
    while day <= today + timedelta(days=HOLIDAY_HORIZON_DAYS):
        if day in names and day.weekday() < 5:
            for exchange in ("NYSE", "NASDAQ"):
                records.append(
                    {"date": day.isoformat(), "exchange": exchange, "name": names[day]}
                    | {"status": "closed"}
                )
        elif is_trading_day(day) and is_early_close(day):
            opens = datetime.combine(day, datetime.min.time(), NEW_YORK)
            name = _early_close_name(day)
            for exchange in ("NYSE", "NASDAQ"):
                records.append(
                    {
                        "close": _utc_text(opens + timedelta(minutes=EARLY_REGULAR_CLOSE)),
                        "date": day.isoformat(),
                        "exchange": exchange,
                        "name": name,
                        "open": _utc_text(opens + timedelta(minutes=REGULAR_OPEN)),
                        "status": "early-close",
                    }
                )
        day += timedelta(days=1)
    return records


def _early_close_name(day: date) -> str:
    if day.month == 7:
        return "Independence Day"
    if day.month == 11:
        return "Thanksgiving"
    return "Christmas"

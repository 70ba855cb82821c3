"""Ticker changes and delistings: each entity's symbols over time, and the inactive listings
they leave behind, so that `/vX/reference/tickers/{id}/events` and `/v3/reference/tickers`
with `active=false` tell the same story.

A ticker change (META, formerly FB, from 2022-06-09) makes the former symbol an inactive
listing of the same entity (same CIK and FIGIs) delisted on the change date. Some symbols of
today were used before by a company since delisted: an inactive listing sharing the symbol.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import cache
from typing import Any

from .listings import _listing, _stock_facts
from .seeds import digest, number
from .trading_calendar import date_of_ms
from .universe import MAJOR_TICKERS, OTC_TICKERS, THIN_TICKERS, TICKERS

# Former symbols of the major tickers: (date the current symbol was taken, former symbol).
_MAJOR_CHANGES: dict[str, tuple[tuple[date, str], ...]] = {"META": ((date(2022, 6, 9), "FB"),)}
_CHANGING, _REUSED = 9, 17  # one generated ticker in _CHANGING changed symbol; one in _REUSED
# was a delisted company's symbol before.


def _generated() -> tuple[str, ...]:
    skipped = {*MAJOR_TICKERS, *OTC_TICKERS, *THIN_TICKERS}
    return tuple(ticker for ticker in TICKERS if ticker not in skipped)


def _former_symbol(ticker: str) -> str:
    """Five letters: never one of today's symbols (three or four letters, or a major)."""
    letters = "".join(chr(65 + byte % 26) for byte in digest("former", ticker)[:5])
    return letters if letters not in TICKERS else letters[::-1]


@cache
def ticker_changes(ticker: str) -> tuple[tuple[date, str], ...]:
    """The ticker's former symbols, oldest first: (the date the next symbol was taken, the
    former symbol)."""
    if ticker in _MAJOR_CHANGES:
        return _MAJOR_CHANGES[ticker]
    if ticker not in _generated() or number("ticker-change", ticker) % _CHANGING:
        return ()
    listed = date.fromisoformat(_stock_facts(ticker)[3])
    changed = listed + timedelta(days=365 + number("changed-on", ticker) % 3000)
    return ((min(changed, date(2025, 6, 2)), _former_symbol(ticker)),)


def events_of(ticker: str) -> list[dict[str, Any]] | None:
    """The entity's events, newest first, as the vendor lists them: its first symbol on its
    list date, then each change. None for a symbol no listed entity has today."""
    if ticker not in TICKERS:
        return None
    changes = ticker_changes(ticker)
    symbols = [former for _, former in changes] + [ticker]
    days = [date.fromisoformat(_stock_facts(ticker)[3])] + [day for day, _ in changes]
    events = [
        {"date": day.isoformat(), "ticker_change": {"ticker": symbol}, "type": "ticker_change"}
        for day, symbol in zip(days, symbols, strict=True)
    ]
    return events[::-1]


def entity(ticker: str, updated: str) -> dict[str, Any]:
    """The ticker object the events are nested in: name, and the identifiers the listing has."""
    listing = _listing(ticker, updated)
    found = {"name": listing["name"]}
    found.update({k: listing[k] for k in ("composite_figi", "cik") if k in listing})
    return found


def inactive_listings(now_ms: int) -> list[dict[str, Any]]:
    """Every inactive stock listing, sorted by ticker then delisting: former symbols of
    today's entities and the delisted companies whose symbols were taken again."""
    updated = f"{date_of_ms(now_ms).isoformat()}T00:00:00Z"
    rows: list[dict[str, Any]] = []
    for ticker in TICKERS:
        for day, former in ticker_changes(ticker):
            entry = _listing(ticker, updated)
            entry.update(ticker=former, active=False)
            entry["last_updated_utc"] = entry["delisted_utc"] = f"{day.isoformat()}T00:00:00Z"
            rows.append(entry)
    for ticker in _generated():
        if number("reused", ticker) % _REUSED:
            continue
        gone = date(2005, 1, 3) + timedelta(days=number("delisted", ticker) % 3000)
        entry = _listing(ticker, updated)
        entry.update(name=f"{ticker.title()} Delisted Corp", active=False)
        entry["cik"] = f"{number('cik', ticker, 'delisted') % 2_000_000:010d}"
        old = _listing(ticker + ".OLD", updated)
        entry.update(composite_figi=old["composite_figi"], share_class_figi=old["share_class_figi"])
        entry["last_updated_utc"] = entry["delisted_utc"] = f"{gone.isoformat()}T00:00:00Z"
        rows.append(entry)
    return sorted(rows, key=lambda row: (row["ticker"], row["delisted_utc"]))

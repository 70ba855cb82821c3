"""Short interest, short volume, float and IPOs, consistent with the sandbox's own bars and
ticker details:

- short volume of a day is a share of that day's volume off exchange (FINRA's facilities), at
  most the day's (unadjusted) volume in the daily bars; published once the session has ended;
- short interest is measured twice a month (the 15th and the month's end, or the trading day
  before), disseminated 8 days later and revised 14 days after the settlement date;
  `days_to_cover` is `short_interest / avg_daily_volume`, the average of the period's daily
  volumes;
- a ticker's free float is a share of the shares outstanding its details give, so the float
  times the close the market cap was computed from is near (below) the market cap;
- IPOs are made-up listings of made-up issuers, about one a week.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from typing import Any

from .listings import ticker_details
from .market import Market
from .seeds import number
from .trading_calendar import TRADING_DAYS, date_of_ms, session_end_ms
from .universe import TICKERS

SHORT_HISTORY_START = date(2018, 1, 2)  # the first day the sandbox has short data for
PUBLISHED_AFTER_DAYS = 8  # short interest: days from settlement to dissemination
REVISED_AFTER_DAYS = 14  # and to its revision
VENUES = ("adf", "nasdaq_carteret", "nasdaq_chicago", "nyse")
IPO_HISTORY_START = date(2019, 1, 7)
IPO_DAYS_AHEAD = 28  # IPOs are known (pending) this long before their listing date


def _fraction(*parts: object) -> float:
    """A number in [0, 1) from the parts."""
    return number(*parts) % 1_000_000 / 1_000_000


def short_volume_rows(
    market: Market, ticker: str, first: date, now_ms: int
) -> list[dict[str, Any]]:
    """The ticker's short volume of each trading day from `first` whose session has ended."""
    today = date_of_ms(now_ms)
    days = TRADING_DAYS.between(max(first, SHORT_HISTORY_START), today)
    return [_short_volume(market, ticker, day) for day in days if session_end_ms(day) <= now_ms]


def _short_volume(market: Market, ticker: str, day: date) -> dict[str, Any]:
    volume = market.final_daily(ticker, day, False)[5]
    total = int(volume * (0.3 + 0.2 * _fraction("off-exchange", ticker, day)))
    short = int(total * (0.35 + 0.3 * _fraction("short-ratio", ticker, day)))
    row: dict[str, Any] = {"ticker": ticker, "date": day.isoformat()}
    left, exempt_total = short, 0
    for i, venue in enumerate(VENUES):
        share = left if i == len(VENUES) - 1 else int(short * (0.1 + 0.15 * i))
        left -= share
        exempt = int(share * 0.02 * _fraction("exempt", ticker, day, venue))
        exempt_total += exempt
        row[f"{venue}_short_volume"] = share
        row[f"{venue}_short_volume_exempt"] = exempt
    row.update(
        exempt_volume=exempt_total,
        non_exempt_volume=short - exempt_total,
        short_volume=short,
        short_volume_ratio=round(100 * short / total, 2) if total else 0.0,
        total_volume=total,
    )
    return dict(sorted(row.items()))


def settlement_dates(first: date, last: date) -> list[date]:
    """The settlement dates in [first, last]: the 15th and the month's end, or the trading
    day before each."""
    found: list[date] = []
    year, month = first.year, first.month
    while date(year, month, 1) <= last:
        end = calendar.monthrange(year, month)[1]
        for day in (date(year, month, 15), date(year, month, end)):
            settled = TRADING_DAYS.last_on_or_before(day)
            if settled is not None and first <= settled <= last:
                found.append(settled)
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def short_interest_rows(
    market: Market, ticker: str, first: date, now_ms: int
) -> list[dict[str, Any]]:
    """The ticker's short interest of each settlement date from `first` disseminated by now,
    the revised figure once its revision is out."""
    today = date_of_ms(now_ms)
    start = max(first, SHORT_HISTORY_START + timedelta(days=20))
    published = today - timedelta(days=PUBLISHED_AFTER_DAYS)
    return [
        _short_interest(market, ticker, day, revised=today >= day + timedelta(REVISED_AFTER_DAYS))
        for day in settlement_dates(start, published)
    ]


def _short_interest(market: Market, ticker: str, day: date, revised: bool) -> dict[str, Any]:
    period = TRADING_DAYS.between(day - timedelta(days=15), day)[-10:]
    volumes = [market.final_daily(ticker, d, False)[5] for d in period]
    average = int(sum(volumes) / len(volumes))
    short = int(average * (0.8 + 5 * _fraction("days-to-cover", ticker, day)))
    if revised:
        short = int(short * (0.97 + 0.06 * _fraction("revision", ticker, day)))
    return {
        "avg_daily_volume": average,
        "days_to_cover": round(short / average, 2) if average else 0.0,
        "settlement_date": day.isoformat(),
        "short_interest": short,
        "ticker": ticker,
    }


def float_rows(market: Market, tickers: list[str], now_ms: int) -> list[dict[str, Any]]:
    """The latest free float of each ticker the sandbox lists (the others have none)."""
    rows: list[dict[str, Any]] = []
    today = date_of_ms(now_ms)
    quarter = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    for ticker in tickers:
        details = ticker_details(market, ticker, now_ms) if ticker in TICKERS else None
        if details is None:
            continue
        shares = details["share_class_shares_outstanding"]
        percent = round(60 + 39.5 * _fraction("free-float", ticker), 2)
        effective = TRADING_DAYS.last_on_or_before(
            min(quarter + timedelta(days=number("float-day", ticker) % 20), today)
        )
        rows.append(
            {
                "effective_date": effective.isoformat() if effective else None,
                "free_float": int(shares * percent / 100),
                "free_float_percent": percent,
                "ticker": ticker,
            }
        )
    return rows


def ipo_rows(now_ms: int) -> list[dict[str, Any]]:
    """Every IPO known at `now_ms`, by listing date: one on the Thursday of each week, a
    pending one up to IPO_DAYS_AHEAD ahead, a few withdrawn."""
    today = date_of_ms(now_ms)
    rows: list[dict[str, Any]] = []
    day = IPO_HISTORY_START + timedelta(days=3)  # a Thursday
    while day <= today + timedelta(days=IPO_DAYS_AHEAD):
        rows.append(_ipo(day, today))
        day += timedelta(days=7)
    return rows


def _ipo(listing: date, today: date) -> dict[str, Any]:
    n = number("ipo", listing)
    ticker = "".join(chr(65 + (n >> (5 * i)) % 26) for i in range(4))
    low = 10 + n % 15
    if listing > today:
        status = "withdrawn" if n % 23 == 0 else "pending"
    else:
        status = "new" if listing == today else ("withdrawn" if n % 23 == 0 else "history")
    shares = 5_000_000 + n % 20_000_000
    row: dict[str, Any] = {
        "announced_date": (listing - timedelta(days=IPO_DAYS_AHEAD)).isoformat(),
        "currency_code": "USD",
        "highest_offer_price": float(low + 2),
        "ipo_status": status,
        "isin": f"US{n % 10**9:09d}{n % 7}",
        "issuer_name": f"{ticker.title()} Holdings Inc.",
        "last_updated": min(listing, today).isoformat(),
        "listing_date": listing.isoformat(),
        "lot_size": 100,
        "lowest_offer_price": float(low),
        "max_shares_offered": shares,
        "min_shares_offered": shares // 2,
        "primary_exchange": ("XNAS", "XNYS")[n % 2],
        "security_description": "Ordinary Shares",
        "security_type": "CS",
        "ticker": ticker,
        "us_code": f"{n % 10**9:09d}",
    }
    if status in ("new", "history"):  # priced on the listing day
        price = float(low + n % 3)
        row.update(
            final_issue_price=price,
            shares_outstanding=shares * 4,
            total_offer_size=round(price * shares, 2),
        )
    return row

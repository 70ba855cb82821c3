"""The options contracts /v3/reference/options/contracts lists: monthly calls and puts of the
sandbox's stocks, with strikes around the underlying's own close when each was listed.

A contract is listed LISTED_DAYS before it expires, on the third Friday of a month, with strikes
around the underlying's close (the aggregates endpoint's, unadjusted) on its listing day. The
option tickers whose bars the sandbox serves (other_markets.py) are contracts of this list too.
What is active and what expired depends on the sandbox's `now`: a contract is expired once its
expiration day is before today in New York.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

from .market import Market
from .other_markets import OPTION_TICKERS
from .seeds import number
from .trading_calendar import TRADING_DAYS
from .universe import OTC_TICKERS, THIN_TICKERS, TICKERS

LISTED_DAYS = 270  # a monthly contract trades about nine months
HISTORY_MONTHS = 12  # expired contracts the list still holds: a year of expirations
STRIKES_EACH_SIDE = 2  # strikes below and above the listing day's close
OPTION_EXCHANGES = ("BATO", "XCBO", "XISX", "ARCO", "XNDQ", "AMXO")
# Underlyings whose contracts are listed: the exchange-listed stocks (no OTC, no thin ones).
UNDERLYINGS: tuple[str, ...] = tuple(
    sorted(t for t in TICKERS if t not in OTC_TICKERS and t not in THIN_TICKERS)
)


def third_friday(year: int, month: int) -> date:
    first = date(year, month, 1)
    return first + timedelta(days=(4 - first.weekday()) % 7 + 14)


def _strike_step(price: float) -> float:
    """The listed strike spacing of a monthly: 2.5 under 25, 5 under 200, 10 above."""
    return 2.5 if price < 25 else 5.0 if price < 200 else 10.0


def occ_ticker(underlying: str, expiration: date, kind: str, strike: float) -> str:
    """`O:AAPL261218C00250000`: root, YYMMDD, C or P, strike in thousandths (8 digits)."""
    letter = "C" if kind == "call" else "P"
    return f"O:{underlying}{expiration:%y%m%d}{letter}{round(strike * 1000):08d}"


def parse_occ(ticker: str) -> tuple[str, date, str, float]:
    body = ticker.removeprefix("O:")
    root, tail = body[:-15], body[-15:]
    expiration = date(2000 + int(tail[:2]), int(tail[2:4]), int(tail[4:6]))
    return root, expiration, "call" if tail[6] == "C" else "put", int(tail[7:]) / 1000


def expirations(today: date) -> list[date]:
    """Third Fridays from HISTORY_MONTHS back to the last one already listed, ascending."""
    found: list[date] = []
    months = today.year * 12 + today.month - 1 - HISTORY_MONTHS
    while True:
        friday = third_friday(months // 12, months % 12 + 1)
        if friday - timedelta(days=LISTED_DAYS) > today:
            return found
        found.append(friday)
        months += 1


def _contract(underlying: str, expiration: date, kind: str, strike: float) -> dict[str, Any]:
    ticker = occ_ticker(underlying, expiration, kind, strike)
    n = number("option-contract", ticker)
    row: dict[str, Any] = {
        "cfi": "OCASPS" if kind == "call" else "OPASPS",
        "contract_type": kind,
        "exercise_style": "american",
        "expiration_date": expiration.isoformat(),
        "primary_exchange": OPTION_EXCHANGES[n % len(OPTION_EXCHANGES)],
        "shares_per_contract": 100,
        "strike_price": strike,
        "ticker": ticker,
        "underlying_ticker": underlying,
    }
    if n % 41 == 0:  # a deliverable changed by a special cash distribution
        row["additional_underlyings"] = [
            {"amount": 100, "type": "equity", "underlying": underlying},
            {"amount": round(1 + n % 900 / 100, 2), "type": "currency", "underlying": "USD"},
        ]
    if n % 53 == 0:  # the vendor corrected the contract's terms once
        row["correction"] = 1
    return row


def _listed(market: Market, underlying: str, expiration: date) -> Iterator[dict[str, Any]]:
    listed_on = TRADING_DAYS.last_on_or_before(expiration - timedelta(days=LISTED_DAYS))
    assert listed_on is not None
    close = market.final_daily(underlying, listed_on, False)[4]
    step = _strike_step(close)
    centre = round(close / step) * step
    for k in range(-STRIKES_EACH_SIDE, STRIKES_EACH_SIDE + 1):
        strike = centre + k * step
        if strike > 0:
            for kind in ("call", "put"):
                yield _contract(underlying, expiration, kind, strike)


def contracts(market: Market, underlying: str, today: date) -> list[dict[str, Any]]:
    """Every contract of `underlying` the list holds today (active and expired), by ticker;
    [] for a symbol without listed options."""
    if underlying not in UNDERLYINGS:
        return []
    rows = {
        row["ticker"]: row
        for expiration in expirations(today)
        for row in _listed(market, underlying, expiration)
    }
    for ticker in OPTION_TICKERS:  # the contracts whose bars the sandbox serves
        root, expiration, kind, strike = parse_occ(ticker)
        if root == underlying and expiration - timedelta(days=LISTED_DAYS) <= today:
            rows.setdefault(ticker, _contract(root, expiration, kind, strike))
    return [rows[ticker] for ticker in sorted(rows)]

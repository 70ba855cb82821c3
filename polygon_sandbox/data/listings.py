"""The tickers the reference endpoints list, and their facts: names, exchanges, FIGIs, CIKs and,
for stocks, made-up company details whose market cap follows the sandbox's own prices."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

from .market import Market
from .seeds import digest, number
from .trading_calendar import TRADING_DAYS, date_of_ms
from .universe import OTC_TICKERS, TICKERS

# (ticker, name, base currency symbol, base currency name)
CRYPTO_PAIRS = (
    ("X:BTCUSD", "Bitcoin - United States dollar", "BTC", "Bitcoin"),
    ("X:ETHUSD", "Ethereum - United States dollar", "ETH", "Ethereum"),
)
FOREX_PAIRS = (
    ("C:EURUSD", "Euro - United States dollar", "EUR", "Euro"),
    ("C:GBPUSD", "British pound - United States dollar", "GBP", "British pound"),
    ("C:USDJPY", "United States dollar - Japanese yen", "USD", "United States dollar"),
)
INDEX_NAMES = (
    ("I:SPX", "Standard & Poor's 500"),
    ("I:NDX", "Nasdaq-100"),
    ("I:DJI", "Dow Jones Industrial Average"),
)

# name, primary exchange, type, list date
_MAJOR_FACTS: Mapping[str, tuple[str, str, str, str]] = {
    "AAPL": ("Apple Inc.", "XNAS", "CS", "1980-12-12"),
    "MSFT": ("Microsoft Corp", "XNAS", "CS", "1986-03-13"),
    "GOOGL": ("Alphabet Inc. Class A", "XNAS", "CS", "2004-08-19"),
    "AMZN": ("Amazon.Com Inc", "XNAS", "CS", "1997-05-15"),
    "NVDA": ("Nvidia Corp", "XNAS", "CS", "1999-01-22"),
    "TSLA": ("Tesla, Inc. Common Stock", "XNAS", "CS", "2010-06-29"),
    "META": ("Meta Platforms, Inc. Class A Common Stock", "XNAS", "CS", "2012-05-18"),
    "SPY": ("SPDR S&P 500 ETF Trust", "ARCX", "ETF", "1993-01-29"),
    "TCEHY": ("Tencent Holdings Ltd. Unsponsored ADR", "", "ADRC", "2008-06-12"),
}
_SUFFIXES = ("Inc.", "Corp", "Holdings Inc.", "Group Inc.", "Technologies Inc.", "Industries Inc")


def _figi(ticker: str, kind: str) -> str:
    """A well-formed FIGI: BBG, then nine consonants or digits."""
    alphabet = "BCDFGHJKLMNPQRSTVWXYZ0123456789"
    hashed = digest("figi", kind, ticker)
    return "BBG" + "".join(alphabet[b % len(alphabet)] for b in hashed[:9])


def _stock_facts(ticker: str) -> tuple[str, str, str, str]:
    if ticker in _MAJOR_FACTS:
        return _MAJOR_FACTS[ticker]
    n = number("stock", ticker)
    name = f"{ticker.title()} {_SUFFIXES[n % len(_SUFFIXES)]}"
    exchange = ("XNAS", "XNYS")[n // 7 % 2]
    listed = date(1985, 1, 1) + timedelta(days=n // 13 % 10_500)
    return name, exchange, "CS", listed.isoformat()


def cik(ticker: str) -> str | None:
    """A common stock's company CIK; None for other tickers (ETFs and ADRs: no CIK of their own
    here, and no financial statements)."""
    if ticker not in TICKERS or ticker in OTC_TICKERS or _stock_facts(ticker)[2] != "CS":
        return None
    return f"{number('cik', ticker) % 2_000_000:010d}"


def shares_outstanding(ticker: str) -> int:
    """A stock's shares outstanding (ticker details, the ratios' market cap, the statements)."""
    return 50_000_000 + number("company", ticker) % 15_000_000_000


def _listing(ticker: str, updated: str) -> dict[str, Any]:
    """The ticker's entry in /v3/reference/tickers: only the fields the vendor's lists carry."""
    if ticker.startswith(("X:", "C:")):
        pairs = CRYPTO_PAIRS if ticker.startswith("X:") else FOREX_PAIRS
        _, name, base_symbol, base_name = next(p for p in pairs if p[0] == ticker)
        quote_symbol = ticker[-3:]
        return {
            "ticker": ticker,
            "name": name,
            "market": "crypto" if ticker.startswith("X:") else "fx",
            "locale": "global",
            "active": True,
            "currency_symbol": quote_symbol,
            "currency_name": "United States dollar" if quote_symbol == "USD" else "Japanese yen",
            "base_currency_symbol": base_symbol,
            "base_currency_name": base_name,
            "last_updated_utc": updated,
        }
    if ticker.startswith("I:"):
        name = dict(INDEX_NAMES)[ticker]
        return {
            "ticker": ticker,
            "name": name,
            "market": "indices",
            "locale": "us",
            "active": True,
            "source_feed": "CBOE" if ticker == "I:SPX" else "Nasdaq",
            "last_updated_utc": updated,
        }
    name, exchange, kind, _ = _stock_facts(ticker)
    entry: dict[str, Any] = {
        "ticker": ticker,
        "name": name,
        "market": "otc" if ticker in OTC_TICKERS else "stocks",
        "locale": "us",
    }
    if exchange:  # OTC tickers have no primary exchange
        entry["primary_exchange"] = exchange
    entry.update(type=kind, active=True, currency_name="usd")
    company_cik = cik(ticker)
    if company_cik is not None:
        entry["cik"] = company_cik
    entry["composite_figi"] = _figi(ticker, "composite")
    entry["share_class_figi"] = _figi(ticker, "share-class")
    entry["last_updated_utc"] = updated
    return entry


ALL_TICKERS: tuple[str, ...] = (
    *TICKERS,
    *(pair[0] for pair in CRYPTO_PAIRS),
    *(pair[0] for pair in FOREX_PAIRS),
    *(name[0] for name in INDEX_NAMES),
)


def _market_of(ticker: str) -> str:
    if ticker.startswith("X:"):
        return "crypto"
    if ticker.startswith("C:"):
        return "fx"
    if ticker.startswith("I:"):
        return "indices"
    return "otc" if ticker in OTC_TICKERS else "stocks"


def listings(now_ms: int) -> list[dict[str, Any]]:
    """Every active ticker's entry in /v3/reference/tickers, sorted by ticker."""
    updated = f"{date_of_ms(now_ms).isoformat()}T00:00:00Z"
    return [_listing(ticker, updated) for ticker in sorted(ALL_TICKERS)]


def ticker_details(market: Market, ticker: str, now_ms: int) -> dict[str, Any] | None:
    """One ticker's details (its listing, and a stock's company facts); None if not listed."""
    if ticker not in ALL_TICKERS:
        return None
    updated = f"{date_of_ms(now_ms).isoformat()}T00:00:00Z"
    details = _listing(ticker, updated)
    details.pop("last_updated_utc")
    if _market_of(ticker) in ("stocks", "otc"):
        details.update(_company(market, ticker, now_ms))
    return details


def _company(market: Market, ticker: str, now_ms: int) -> dict[str, Any]:
    name, _, kind, listed = _stock_facts(ticker)
    n = number("company", ticker)
    shares = shares_outstanding(ticker)
    day = TRADING_DAYS.last_on_or_before(date_of_ms(now_ms) - timedelta(days=1))
    assert day is not None
    close = market.final_daily(ticker, day, False)[4]
    company: dict[str, Any] = {
        "description": f"{name} is a company the sandbox made up.",
        "homepage_url": f"https://www.{ticker.lower()}.example",
        "list_date": listed,
        "market_cap": round(close * shares, 2),
        "round_lot": 100,
        "share_class_shares_outstanding": shares,
        "ticker_root": ticker,
        "weighted_shares_outstanding": shares,
    }
    if kind == "CS":
        company.update(
            address={"address1": f"{n % 9000 + 100} Main Street", "city": "Springfield"},
            phone_number=f"(555) {n % 900 + 100}-{n % 9000 + 1000}",
            sic_code=str(3570 + n % 20),
            sic_description="ELECTRONIC COMPUTERS",
            total_employees=1000 + n % 200_000,
        )
    return company

"""Reference data and corporate actions, consistent with the sandbox's own prices.

Five endpoints, as pure functions of (path, query, plan, now):
- `/v3/reference/tickers`: every active ticker of a market (stocks, otc, crypto, fx, indices),
  sorted by ticker, `limit` 100 by default and 1000 at most, paged by an absolute `next_url`.
- `/v3/reference/tickers/{ticker}`: one ticker's details; 404 for a ticker the sandbox lacks.
- `/stocks/v1/dividends` and `/stocks/v1/splits`: the new corporate-action endpoints (`limit`
  100 by default, 5000 at most; `ticker.any_of`; date filters with `.gt/.gte/.lt/.lte`).
  The splits are the ones market.SPLITS applies to unadjusted prices, and a split's
  `historical_adjustment_factor` turns an unadjusted price before it into the adjusted one.
  A dividend appears once declared (21 days before its ex-date); its factor, cumulative over
  the dividends declared so far, changes when a later one appears, as the vendor's does.
- `/v1/marketstatus/upcoming`: a bare array of the NYSE's and Nasdaq's next holidays and
  early closes.

Every `next_url` carries only a `cursor`: the page's whole query, base64-encoded, never the key.
A plan with limited history gets 403 for a corporate-action query reaching further back.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

import holidays

from .aggregates import QueryError
from .data.market import OTC_TICKERS, SPLITS, TICKERS, Market, split_factor
from .data.trading_calendar import (
    EARLY_REGULAR_CLOSE,
    NEW_YORK,
    REGULAR_OPEN,
    TRADING_DAYS,
    date_of_ms,
    is_early_close,
    is_trading_day,
    session_end_ms,
)
from .http.auth import Plan

TICKERS_PATH = "/v3/reference/tickers"
DIVIDENDS_PATH = "/stocks/v1/dividends"
SPLITS_PATH = "/stocks/v1/splits"
HOLIDAYS_PATH = "/v1/marketstatus/upcoming"
# Where the requests counted as data requests (request log, fault schedules) start.
DATA_PATH_PREFIXES = ("/v2/", "/v3/reference/", "/stocks/v1/", "/v1/marketstatus/")

TICKERS_DEFAULT_LIMIT, TICKERS_MAX_LIMIT = 100, 1000
ACTIONS_DEFAULT_LIMIT, ACTIONS_MAX_LIMIT = 100, 5000
DECLARED_DAYS_AHEAD = 21  # a dividend is announced this long before its ex-date
HOLIDAY_HORIZON_DAYS = 365  # how far ahead /v1/marketstatus/upcoming looks
NOT_FOUND_TICKER = "Ticker not found."

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

# Dividend payers: (first ex-date, payments a year, yearly yield on the split-adjusted price).
# Amazon and Tesla pay none; Meta and Alphabet started in 2024.
_MAJOR_DIVIDENDS: Mapping[str, tuple[date, int, float]] = {
    "AAPL": (date(2015, 2, 5), 4, 0.006),
    "MSFT": (date(2015, 2, 17), 4, 0.009),
    "NVDA": (date(2015, 2, 26), 4, 0.0008),
    "SPY": (date(2015, 3, 20), 4, 0.015),
    "META": (date(2024, 2, 21), 4, 0.004),
    "GOOGL": (date(2024, 6, 10), 4, 0.0045),
    "TCEHY": (date(2015, 5, 15), 1, 0.003),
}
_NO_DIVIDENDS = frozenset({"AMZN", "TSLA"})


def _digest(*parts: object) -> bytes:
    return hashlib.blake2b("|".join(str(p) for p in parts).encode(), digest_size=16).digest()


def _number(*parts: object) -> int:
    return int.from_bytes(_digest(*parts)[:8], "big")


def _figi(ticker: str, kind: str) -> str:
    """A well-formed FIGI: BBG, then nine consonants or digits."""
    alphabet = "BCDFGHJKLMNPQRSTVWXYZ0123456789"
    digest = _digest("figi", kind, ticker)
    return "BBG" + "".join(alphabet[b % len(alphabet)] for b in digest[:9])


def _event_id(kind: str, ticker: str, day: date) -> str:
    return "E" + _digest(kind, ticker, day.isoformat()).hex()


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.000Z")


# -- tickers --------------------------------------------------------------------------------


def _stock_facts(ticker: str) -> tuple[str, str, str, str]:
    if ticker in _MAJOR_FACTS:
        return _MAJOR_FACTS[ticker]
    n = _number("stock", ticker)
    name = f"{ticker.title()} {_SUFFIXES[n % len(_SUFFIXES)]}"
    exchange = ("XNAS", "XNYS")[n // 7 % 2]
    listed = date(1985, 1, 1) + timedelta(days=n // 13 % 10_500)
    return name, exchange, "CS", listed.isoformat()


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
    if kind == "CS":  # ETFs and ADRs: no CIK of their own here
        entry["cik"] = f"{_number('cik', ticker) % 2_000_000:010d}"
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


# -- corporate actions ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Dividend:
    ticker: str
    ex_date: date
    frequency: int
    cash: float  # per share as traded on the ex-date
    split_adjusted: float  # per share of today

    @property
    def declared(self) -> date:
        return self.ex_date - timedelta(days=DECLARED_DAYS_AHEAD)


def _dividend_plan(ticker: str) -> tuple[date, int, float] | None:
    if ticker in _NO_DIVIDENDS:
        return None
    if ticker in _MAJOR_DIVIDENDS:
        return _MAJOR_DIVIDENDS[ticker]
    n = _number("dividends", ticker)
    if n % 2:
        return None
    return date(2015, 1 + n // 2 % 3, 10), 4, 0.01 + (n // 8 % 30) / 1000


def _trading_day_on_or_after(day: date) -> date:
    while not is_trading_day(day):
        day += timedelta(days=1)
    return day


@lru_cache(maxsize=512)
def _dividends(market: Market, ticker: str, through: date) -> tuple[_Dividend, ...]:
    """The ticker's dividends with an ex-date up to `through`, oldest first."""
    plan = _dividend_plan(ticker)
    if plan is None:
        return ()
    first, per_year, yearly_yield = plan
    months = 12 // per_year
    found: list[_Dividend] = []
    k = 0
    while True:
        month = first.month - 1 + k * months
        nominal = date(first.year + month // 12, month % 12 + 1, min(first.day, 28))
        ex_date = _trading_day_on_or_after(nominal)
        if ex_date > through:
            return tuple(found)
        year_start = TRADING_DAYS.between(date(ex_date.year, 1, 1), date(ex_date.year, 1, 10))[0]
        price = market.final_daily(ticker, year_start, True)[4]
        factor = split_factor(ticker, ex_date)
        cash = max(round(price * yearly_yield / per_year * factor, 2), 0.01)
        found.append(_Dividend(ticker, ex_date, per_year, cash, round(cash / factor, 6)))
        k += 1


def _close_before(market: Market, ticker: str, day: date, today: date, now_ms: int) -> float:
    """Split-adjusted close of the last final trading day before `day` (or before today)."""
    last = TRADING_DAYS.last_on_or_before(min(day, today + timedelta(days=1)) - timedelta(days=1))
    assert last is not None
    if session_end_ms(last) > now_ms:
        last = TRADING_DAYS.last_on_or_before(last - timedelta(days=1))
        assert last is not None
    return market.final_daily(ticker, last, True)[4]


def dividend_records(market: Market, ticker: str, now_ms: int) -> list[dict[str, Any]]:
    """Every dividend of `ticker` declared by `now`, oldest first, as the API serves it.

    `historical_adjustment_factor` multiplies a split-adjusted price before the ex-date: the
    product of (1 - amount / previous close) over this dividend and every later declared one.
    """
    today = date_of_ms(now_ms)
    declared = _dividends(market, ticker, today + timedelta(days=DECLARED_DAYS_AHEAD))
    factors: list[float] = []
    running = 1.0
    for dividend in reversed(declared):
        close = _close_before(market, ticker, dividend.ex_date, today, now_ms)
        running *= 1 - dividend.split_adjusted / close
        factors.append(running)
    records = []
    for dividend, factor in zip(declared, reversed(factors), strict=True):
        ex_date = dividend.ex_date
        record_date = ex_date if ex_date >= date(2024, 5, 28) else _next_trading_day(ex_date)
        records.append(
            {
                "id": _event_id("dividend", ticker, ex_date),
                "ticker": ticker,
                "cash_amount": dividend.cash,
                "currency": "USD",
                "declaration_date": dividend.declared.isoformat(),
                "ex_dividend_date": ex_date.isoformat(),
                "record_date": record_date.isoformat(),
                "pay_date": _trading_day_on_or_after(ex_date + timedelta(days=14)).isoformat(),
                "frequency": dividend.frequency,
                "distribution_type": "recurring",
                "historical_adjustment_factor": round(factor, 8),
                "split_adjusted_cash_amount": dividend.split_adjusted,
            }
        )
    return records


def _next_trading_day(day: date) -> date:
    return _trading_day_on_or_after(day + timedelta(days=1))


def split_records(ticker: str) -> list[dict[str, Any]]:
    """The ticker's splits, oldest first: exactly those market.SPLITS applies to raw prices.

    A split's `historical_adjustment_factor` is the product of split_from / split_to over it and
    every later split: an unadjusted price before it, times the factor, is the adjusted price.
    """
    splits = SPLITS.get(ticker, ())
    records = []
    for execution_date, ratio in splits:
        records.append(
            {
                "id": _event_id("split", ticker, execution_date),
                "ticker": ticker,
                "execution_date": execution_date.isoformat(),
                "split_from": 1.0,
                "split_to": float(ratio),
                "adjustment_type": "forward_split",
                "historical_adjustment_factor": 1
                / split_factor(ticker, execution_date - timedelta(days=1)),
            }
        )
    return records


# -- market holidays ------------------------------------------------------------------------


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


# -- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReferenceRoute:
    kind: str  # "tickers" | "ticker" | "dividends" | "splits" | "holidays"
    ticker: str | None = None


def match_reference_route(segments: list[str]) -> ReferenceRoute | None:
    """The reference endpoint a decoded path (split on '/') names, if any."""
    path = "/".join(segments)
    if path == TICKERS_PATH:
        return ReferenceRoute("tickers")
    if len(segments) == 5 and "/".join(segments[:4]) == TICKERS_PATH and segments[4]:
        return ReferenceRoute("ticker", segments[4])
    kinds = {DIVIDENDS_PATH: "dividends", SPLITS_PATH: "splits", HOLIDAYS_PATH: "holidays"}
    if path in kinds:
        return ReferenceRoute(kinds[path])
    return None


def encode_query_cursor(query: Mapping[str, str]) -> str:
    return base64.urlsafe_b64encode(urlencode(sorted(query.items())).encode()).decode()


def _with_cursor(params: Mapping[str, str]) -> dict[str, str]:
    """The cursor's query, overridden by any parameter sent beside it."""
    merged: dict[str, str] = {}
    if params.get("cursor"):
        try:
            text = base64.urlsafe_b64decode(params["cursor"].encode()).decode()
        except (ValueError, UnicodeDecodeError) as exc:
            raise QueryError("Invalid cursor") from exc
        merged.update(parse_qsl(text))
    merged.update((k, v) for k, v in params.items() if k != "cursor")
    return merged


def _limit(params: Mapping[str, str], default: int, maximum: int) -> int:
    text = params.get("limit", str(default))
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise QueryError(f"Invalid limit: '{text}'. Use a positive integer up to {maximum}")
    return int(text)


def _date_param(params: Mapping[str, str], name: str) -> date:
    try:
        return date.fromisoformat(params[name])
    except ValueError as exc:
        raise QueryError(f"Could not parse the '{name}' parameter. Use YYYY-MM-DD") from exc


_COMPARE: Mapping[str, Callable[[Any, Any], bool]] = {
    "": lambda a, b: a == b,
    ".gt": lambda a, b: a > b,
    ".gte": lambda a, b: a >= b,
    ".lt": lambda a, b: a < b,
    ".lte": lambda a, b: a <= b,
}


def _filtered(
    rows: Iterable[dict[str, Any]], params: Mapping[str, str], field: str, as_date: bool
) -> list[dict[str, Any]]:
    """Rows whose `field` passes every `field`, `field.gt`... parameter sent."""
    kept = list(rows)
    for suffix, compare in _COMPARE.items():
        name = field + suffix
        if name not in params:
            continue
        bound: Any = _date_param(params, name).isoformat() if as_date else params[name]
        kept = [row for row in kept if row.get(field) is not None and compare(row[field], bound)]
    if field == "ticker" and "ticker.any_of" in params:
        wanted = set(params["ticker.any_of"].split(","))
        kept = [row for row in kept if row["ticker"] in wanted]
    return kept


class Reference:
    """Answers the reference endpoints for one market (the sandbox's prices) at an instant."""

    def __init__(self, market: Market) -> None:
        self.market = market

    def handle(
        self, route: ReferenceRoute, params: dict[str, str], plan: Plan, now_ms: int, host: str
    ) -> tuple[int, Any]:
        """(HTTP status, JSON body without status and request_id for objects)."""
        if route.kind == "holidays":
            return 200, holiday_records(now_ms)
        if route.kind == "ticker":
            return self._details(route.ticker or "", now_ms)
        query = _with_cursor(params)
        if route.kind == "tickers":
            return 200, self._tickers(query, now_ms, host)
        return self._actions(route.kind, query, plan, now_ms, host)

    def _tickers(self, query: dict[str, str], now_ms: int, host: str) -> dict[str, Any]:
        limit = _limit(query, TICKERS_DEFAULT_LIMIT, TICKERS_MAX_LIMIT)
        if query.get("sort", "ticker") != "ticker":
            raise QueryError(f"Invalid sort: '{query['sort']}'. The sandbox sorts by ticker")
        active = query.get("active", "true").lower() != "false"
        updated = f"{date_of_ms(now_ms).isoformat()}T00:00:00Z"
        rows = [_listing(ticker, updated) for ticker in sorted(ALL_TICKERS)] if active else []
        for field in ("market", "type", "exchange", "cik"):
            if field in query:
                key = "primary_exchange" if field == "exchange" else field
                rows = [row for row in rows if row.get(key) == query[field]]
        rows = _filtered(rows, query, "ticker", as_date=False)
        if query.get("order") == "desc":
            rows.reverse()
        return _page(rows, query, limit, TICKERS_PATH, host)

    def _details(self, ticker: str, now_ms: int) -> tuple[int, Any]:
        if ticker not in ALL_TICKERS:
            return 404, {"message": NOT_FOUND_TICKER}
        updated = f"{date_of_ms(now_ms).isoformat()}T00:00:00Z"
        details = _listing(ticker, updated)
        details.pop("last_updated_utc")
        if _market_of(ticker) in ("stocks", "otc"):
            details.update(self._company(ticker, now_ms))
        return 200, {"results": details}

    def _company(self, ticker: str, now_ms: int) -> dict[str, Any]:
        name, _, kind, listed = _stock_facts(ticker)
        n = _number("company", ticker)
        shares = 50_000_000 + n % 15_000_000_000
        day = TRADING_DAYS.last_on_or_before(date_of_ms(now_ms) - timedelta(days=1))
        assert day is not None
        close = self.market.final_daily(ticker, day, False)[4]
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

    def _actions(
        self, kind: str, query: dict[str, str], plan: Plan, now_ms: int, host: str
    ) -> tuple[int, Any]:
        limit = _limit(query, ACTIONS_DEFAULT_LIMIT, ACTIONS_MAX_LIMIT)
        field = "ex_dividend_date" if kind == "dividends" else "execution_date"
        edge = None
        if plan.history_days is not None:
            edge = date_of_ms(now_ms) - timedelta(days=plan.history_days)
            for suffix in ("", ".gt", ".gte"):
                if field + suffix in query and _date_param(query, field + suffix) < edge:
                    return 403, None
        # Only the tickers asked for are computed: every dividend of every ticker costs seconds.
        wanted = [
            row["ticker"]
            for row in _filtered(({"ticker": t} for t in TICKERS), query, "ticker", as_date=False)
        ]
        if kind == "dividends":
            rows = [r for t in wanted for r in dividend_records(self.market, t, now_ms)]
        else:
            rows = [r for t in wanted for r in split_records(t)]
        if edge is not None:  # what the plan sees when no lower bound is asked for
            rows = [row for row in rows if row[field] >= edge.isoformat()]
        rows = _filtered(rows, query, "ticker", as_date=False)
        rows = _filtered(rows, query, field, as_date=True)
        for name in ("distribution_type", "adjustment_type"):
            if name in query:
                rows = [row for row in rows if row.get(name) == query[name]]
        rows = _sorted(rows, query.get("sort", f"ticker.asc,{field}.asc"))
        path = DIVIDENDS_PATH if kind == "dividends" else SPLITS_PATH
        return 200, _page(rows, query, limit, path, host)


def _sorted(rows: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    """Rows sorted by a comma list of `column.asc|desc`, the first column first."""
    for part in reversed([p for p in sort.split(",") if p]):
        column, _, direction = part.partition(".")
        if direction not in ("", "asc", "desc") or (rows and column not in rows[0]):
            raise QueryError(f"Invalid sort: '{part}'. Use column.asc or column.desc")
        rows = sorted(rows, key=lambda row: row[column], reverse=direction == "desc")
    return rows


def _page(
    rows: list[dict[str, Any]], query: dict[str, str], limit: int, path: str, host: str
) -> dict[str, Any]:
    offset_text = query.get("offset", "0")
    offset = int(offset_text) if offset_text.isdigit() else 0
    body: dict[str, Any] = {"results": rows[offset : offset + limit]}
    if offset + limit < len(rows):
        following = {**query, "offset": str(offset + limit), "limit": str(limit)}
        body["next_url"] = f"http://{host}{path}?cursor={quote(encode_query_cursor(following))}"
    return body

"""The three data endpoints, as pure functions of (route, query, plan, now): no sockets here.

Bodies mirror the vendor's: `results` is left out when empty, bars carry `vw`/`n` only when
known and `otc` only when true, and `next_url` is absolute, carries a `cursor` holding only
`limit` and `sort`, and never the API key or `adjusted`.
"""

from __future__ import annotations

import base64
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, unquote

from .aggregates import (
    DEFAULT_LIMIT,
    INTRADAY,
    MAX_LIMIT,
    QueryError,
    RangeQuery,
    bar_dict,
    parse_multiplier,
    parse_timespan,
    resolve_range,
    take_page,
)
from .data.market import TICKERS, Market, Row, retime
from .data.other_markets import OtherMarkets, kind_of
from .data.other_markets import bar_dict as other_bar_dict
from .data.other_markets import resolve_range as other_resolve_range
from .data.trading_calendar import (
    MINUTE_MS,
    REGULAR_CLOSE,
    TRADING_DAYS,
    date_of_ms,
    midnight_ms,
    session_end_ms,
)
from .http.auth import Plan
from .http.encoding import dumps
from .reference import Reference, ReferenceRoute, match_reference_route

NO_KEY = "API Key was not provided"
UNKNOWN_KEY = "Unknown API Key"
NOT_ENTITLED = (
    "You are not entitled to this data. Please upgrade your plan at https://polygon.io/pricing"
)
OUT_OF_TIMEFRAME = (
    "Your plan doesn't include this data timeframe. "
    "Please upgrade your plan at https://polygon.io/pricing"
)
RATE_LIMITED = (
    "You've exceeded the maximum requests per minute, "
    "please wait or upgrade your subscription to continue."
)
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TRUE = frozenset({"1", "t", "T", "TRUE", "true", "True"})  # Go's strconv.ParseBool
_FALSE = frozenset({"0", "f", "F", "FALSE", "false", "False"})
_GATEWAY_PAGE = (
    "<html>\r\n<head><title>{status} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{status} {reason}</h1></center>\r\n</body>\r\n</html>\r\n"
)
_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Time-out",
}


@dataclass
class Reply:
    """An HTTP answer plus what the request log wants to know about it."""

    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    ticker: str | None = None
    timespan: str | None = None
    results_count: int = 0


def json_reply(status: int, payload: Any, **extra: Any) -> Reply:
    return Reply(status, dumps(payload), **extra)


def error_reply(
    status: int,
    request_id: str,
    *,
    error: str | None = None,
    message: str | None = None,
    status_word: str = "ERROR",
) -> Reply:
    """Vendor error body: `status`, `request_id` and either `error` or `message`."""
    payload: dict[str, Any] = {"status": status_word, "request_id": request_id}
    if error is not None:
        payload["error"] = error
    if message is not None:
        payload["message"] = message
    return json_reply(status, payload)


def server_error_reply(status: int, request_id: str) -> Reply:
    """Injected 5xx: gateways (502/504) answer with an HTML page, the API itself with JSON."""
    reason = _REASONS.get(status, "Server Error")
    if status in (502, 504):
        page = _GATEWAY_PAGE.format(status=status, reason=reason)
        return Reply(status, page.encode(), content_type="text/html")
    return error_reply(status, request_id, error=reason)


_GROUPED_PREFIX = ["v2", "aggs", "grouped", "locale", "us", "market", "stocks"]


@dataclass(frozen=True)
class Route:
    kind: str  # "range" | "prev" | "grouped" | "reference" (parts: the reference.py kind)
    parts: tuple[str, ...]  # decoded path parameters
    ticker: str | None = None


def match_route(path: str) -> Route | None:
    segments = [unquote(s) for s in path.split("/")]
    if len(segments) == 10 and segments[1:4] == ["v2", "aggs", "ticker"] and segments[5] == "range":
        return Route("range", (segments[4], *segments[6:10]), ticker=segments[4])
    if len(segments) == 6 and segments[1:4] == ["v2", "aggs", "ticker"] and segments[5] == "prev":
        return Route("prev", (segments[4],), ticker=segments[4])
    if len(segments) == 9 and segments[1:8] == _GROUPED_PREFIX:
        return Route("grouped", (segments[8],))
    reference = match_reference_route(segments)
    if reference is not None:
        return Route("reference", (reference.kind,), ticker=reference.ticker)
    return None


def _bool(params: dict[str, str], name: str, default: bool) -> bool:
    value = params.get(name)
    if value is None:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise QueryError(f"Could not parse the '{name}' parameter: use true or false")


def encode_cursor(limit: int, sort: str) -> str:
    return base64.urlsafe_b64encode(f"limit={limit}&sort={sort}".encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str) -> dict[str, str]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (ValueError, UnicodeDecodeError) as exc:
        raise QueryError("Invalid cursor") from exc
    return {k: v[0] for k, v in parse_qs(text).items()}


def _limit_and_sort(params: dict[str, str]) -> tuple[int, str]:
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


def _close_ms(day: date) -> int:
    """`t` of grouped/previous-close bars: 16:00 ET of the day, as the vendor serves them."""
    return midnight_ms(day) + REGULAR_CLOSE * MINUTE_MS


class Api:
    """Answers data requests for one market at a given instant."""

    def __init__(self, market: Market) -> None:
        self.market = market
        self._reference = Reference(market)
        self.others = OtherMarkets(market.seed)

    def handle(
        self, route: Route, params: dict[str, str], plan: Plan, now_ms: int, host: str, rid: str
    ) -> Reply:
        try:
            if route.kind == "range":
                return self._range(route, params, plan, now_ms, host, rid)
            if route.kind == "prev":
                return self._prev(route, params, now_ms, rid)
            if route.kind == "reference":
                return self._reference_reply(route, params, plan, now_ms, host, rid)
            return self._grouped(route, params, plan, now_ms, rid)
        except QueryError as exc:
            reply = error_reply(400, rid, error=str(exc))
            reply.ticker = route.ticker
            return reply

    def _reference_reply(
        self, route: Route, params: dict[str, str], plan: Plan, now_ms: int, host: str, rid: str
    ) -> Reply:
        """Reference data and corporate actions (reference.py), in the vendor's envelopes."""
        what = ReferenceRoute(route.parts[0], route.ticker)
        status, body = self._reference.handle(what, params, plan, now_ms, host)
        if status == 403:
            return error_reply(403, rid, message=OUT_OF_TIMEFRAME, status_word="NOT_AUTHORIZED")
        if status == 404:
            return error_reply(404, rid, message=body["message"], status_word="NOT_FOUND")
        if isinstance(body, list):  # market holidays: a bare array
            return json_reply(200, body, results_count=len(body))
        results = body["results"]
        count = len(results) if isinstance(results, list) else 1
        payload = {**body, "status": "OK", "request_id": rid}
        if isinstance(results, list):
            payload["count"] = count
        return json_reply(200, payload, ticker=route.ticker, results_count=count)

    @staticmethod
    def _outside_history(plan: Plan, first: date, now_ms: int) -> bool:
        if plan.history_days is None:
            return False
        return first < date_of_ms(now_ms) - timedelta(days=plan.history_days)

    def _range(
        self, route: Route, params: dict[str, str], plan: Plan, now_ms: int, host: str, rid: str
    ) -> Reply:
        ticker, multiplier_text, timespan_text, from_text, to_text = route.parts
        multiplier = parse_multiplier(multiplier_text)
        timespan = parse_timespan(timespan_text)
        kind = kind_of(ticker)
        if kind is None:
            window = resolve_range(timespan, from_text, to_text)
        else:
            window = other_resolve_range(kind, timespan, from_text, to_text)
        # The index endpoint has no `adjusted`: like any unknown parameter, it is ignored.
        takes_adjusted = kind is None or kind.takes_adjusted
        adjusted = _bool(params, "adjusted", True) if takes_adjusted else True
        limit, sort = _limit_and_sort(params)
        forbidden = None
        if (kind.name if kind else "stocks") not in plan.markets:
            forbidden = NOT_ENTITLED
        elif timespan in INTRADAY and not plan.intraday:
            forbidden = NOT_ENTITLED
        elif self._outside_history(plan, date_of_ms(window.requested_from_ms), now_ms):
            forbidden = OUT_OF_TIMEFRAME
        if forbidden:
            reply = error_reply(403, rid, message=forbidden, status_word="NOT_AUTHORIZED")
            reply.ticker, reply.timespan = ticker, timespan
            return reply

        query = RangeQuery(
            ticker, multiplier, timespan, window.from_ms, window.to_ms, adjusted, sort == "desc"
        )
        if kind is None:
            page = take_page(self.market, query, limit, now_ms)
        else:
            page = self.others.take_page(query, limit, now_ms)
        body: dict[str, Any] = {
            "ticker": ticker,
            "queryCount": page.query_count,
            "resultsCount": len(page.rows),
        }
        if takes_adjusted:
            body["adjusted"] = adjusted
        if page.rows and kind is not None:
            body["results"] = [other_bar_dict(row, kind) for row in page.rows]
        elif page.rows:
            otc = self.market.is_otc(ticker)
            body["results"] = [bar_dict(row, otc) for row in page.rows]
        body["status"] = "OK"
        body["request_id"] = rid
        if page.rows and zlib.crc32(f"{ticker}/{multiplier}/{timespan}".encode()) % 3 == 0:
            body["count"] = len(page.rows)  # some responses carry it, as the vendor's do
        if page.next_ms is not None:
            if sort == "asc":
                bounds = f"{page.next_ms}/{quote(to_text, safe='')}"
            else:
                bounds = f"{quote(from_text, safe='')}/{page.next_ms}"
            body["next_url"] = (
                f"http://{host}/v2/aggs/ticker/{quote(ticker, safe='')}/range/{multiplier}/"
                f"{timespan}/{bounds}?cursor={encode_cursor(limit, sort)}"
            )
        count = len(page.rows)
        return json_reply(200, body, ticker=ticker, timespan=timespan, results_count=count)

    def _prev(self, route: Route, params: dict[str, str], now_ms: int, rid: str) -> Reply:
        ticker = route.parts[0]
        adjusted = _bool(params, "adjusted", True)
        rows: list[Row] = []
        if self.market.knows(ticker):
            day = TRADING_DAYS.last_on_or_before(date_of_ms(now_ms))
            if day is not None and session_end_ms(day) > now_ms:  # today's bar is not final
                day = TRADING_DAYS.last_on_or_before(day - timedelta(days=1))
            if day is not None:
                rows.append(self.market.final_daily(ticker, day, adjusted))
        body: dict[str, Any] = {
            "ticker": ticker,
            "queryCount": len(rows),
            "resultsCount": len(rows),
            "adjusted": adjusted,
        }
        if rows:
            otc = self.market.is_otc(ticker)
            day = date_of_ms(rows[0][0])
            body["results"] = [{"T": ticker, **bar_dict(retime(rows[0], _close_ms(day)), otc)}]
        body["status"] = "OK"
        body["request_id"] = rid
        return json_reply(200, body, ticker=ticker, results_count=len(rows))

    def _grouped(
        self, route: Route, params: dict[str, str], plan: Plan, now_ms: int, rid: str
    ) -> Reply:
        text = route.parts[0]
        try:
            if not _DATE_RE.match(text):
                raise ValueError(text)
            day = date.fromisoformat(text)
        except ValueError as exc:
            raise QueryError(
                f"Could not parse the date parameter: '{text}'. Use YYYY-MM-DD"
            ) from exc
        adjusted = _bool(params, "adjusted", True)
        include_otc = _bool(params, "include_otc", False)
        if self._outside_history(plan, day, now_ms):
            return error_reply(403, rid, message=OUT_OF_TIMEFRAME, status_word="NOT_AUTHORIZED")
        results = []
        t = _close_ms(day)
        for ticker in TICKERS:
            otc = self.market.is_otc(ticker)
            if otc and not include_otc:
                continue
            row = self.market.daily(ticker, day, adjusted, now_ms)
            if row is not None:
                results.append({"T": ticker, **bar_dict(retime(row, t), otc)})
        body: dict[str, Any] = {
            "queryCount": len(results),
            "resultsCount": len(results),
            "adjusted": adjusted,
        }
        if results:
            body["results"] = results
        body["status"] = "OK"
        body["request_id"] = rid
        return json_reply(200, body, results_count=len(results))

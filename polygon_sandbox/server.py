"""The Sandbox: an HTTP server (standard library) speaking the vendor's API, with a movable
clock, a request log, fault injection and `/_sandbox/...` control endpoints for tests.

Order in which a request to a data endpoint is answered:
unknown path → 404; no key → 401; unknown key → 401; injected rate limit → 429; the plan's rate
limit → 429; injected drop / 5xx / forbid; the endpoint itself (400, 403 for the plan, 200);
then an injected delay and, for a 200, an injected truncation.

Every answer but the control endpoints' is then held for the response delay (`delay`, network
latency) plus any injected slowness, before its first byte. The server runs a thread per
connection, so a held response does not hold up the others.
"""

from __future__ import annotations

import socket
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import parse_qs, urlsplit

import orjson

from .aggregates import RangeQuery, bar_dict, iter_bars, parse_multiplier, parse_timespan
from .aggregates import resolve_range as _resolve_range
from .api import (
    NO_KEY,
    NOT_ENTITLED,
    RATE_LIMITED,
    UNKNOWN_KEY,
    Api,
    Reply,
    Route,
    error_reply,
    json_reply,
    match_route,
    server_error_reply,
)
from .data.market import Market
from .data.other_markets import bar_dict as other_bar_dict
from .data.other_markets import kind_of
from .data.other_markets import resolve_range as other_resolve_range
from .http.auth import DEFAULT_KEYS, Plan, RateLimiter, extract_key, retry_after_header
from .http.faults import Draw, Faults, FaultState
from .http.latency import Delay, Latency
from .reference import DATA_PATH_PREFIXES


@dataclass
class RequestRecord:
    """One request as the sandbox saw it (control calls under /_sandbox are not logged)."""

    seq: int  # 1-based position in the log
    method: str
    path: str
    query: str  # raw query string
    url: str  # path?query exactly as received
    auth: str | None  # "header" | "query" | None
    api_key_valid: bool
    status: int  # 0 when the connection was dropped without a response
    ticker: str | None
    timespan: str | None
    results_count: int
    fault: str | None  # injected fault(s), comma-joined if several: "slow,truncate"
    data_seq: int | None = None  # 1-based number among /v2/ requests (what schedules refer to)
    # time.monotonic() on arrival, in seconds: the clock the rate windows run on, so a test can
    # check the spacing the API saw.
    received_at: float = 0.0
    # Seconds the response was held before its first byte: the response delay plus any "slow".
    delay: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Outcome:
    reply: Reply
    drop: bool = False
    delay: float = 0.0
    faults: list[str] = field(default_factory=list)


def parse_instant(text: str) -> datetime:
    """ISO-8601 instant ('Z' allowed, naive = UTC) as an aware UTC datetime."""
    parsed = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return _utc(parsed)


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc)


def _to_bound(value: str | int | date | datetime) -> str:
    if isinstance(value, datetime):
        return str(int(_utc(value).timestamp() * 1000))
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


class Sandbox:
    """A local stand-in of the Polygon.io / Massive.com REST API.

    `now=None` follows the wall clock; any explicit time (constructor, `set_now`, `advance`)
    freezes the sandbox clock there. `keys` replaces the built-in keys when given. `delay` holds
    every API response that many seconds, or a seeded uniform draw from `(low, high)` (see
    `Delay.parse`); `sleep` is how the handler waits, replaceable so tests need not wait.
    """

    def __init__(
        self,
        now: datetime | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        keys: Mapping[str, Plan] | None = None,
        faults: Faults | None = None,
        rate_window_seconds: float = 60.0,
        log_requests: bool = False,
        delay: Delay | float | tuple[float, float] | str | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.host = host
        self.port = port
        self.seed = seed
        self.keys: dict[str, Plan] = dict(DEFAULT_KEYS if keys is None else keys)
        self.market = Market(seed)
        self.rate_window_seconds = rate_window_seconds
        self.log_requests = log_requests
        self._api = Api(self.market)
        self._frozen_now = _utc(now) if now is not None else None
        self._fault_state = FaultState(faults or Faults(), seed)
        self._fault_state.faults.validate()
        self._latency = Latency(Delay.parse(delay), seed)
        self.sleep = sleep
        self._plan_limiter = RateLimiter(rate_window_seconds)
        self._fault_limiter = RateLimiter(rate_window_seconds)
        self._lock = threading.Lock()
        self._rate_lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._data_count = 0
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ----------------------------------------------------------------------------

    def start(self) -> Sandbox:
        if self._server is not None:
            return self
        server = _Server((self.host, self.port), _Handler)
        server.sandbox = self
        self._server = server
        self.port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever, args=(0.05,), name="polygon-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("", "0.0.0.0") else self.host
        return f"http://{host}:{self.port}"

    # -- clock --------------------------------------------------------------------------------

    @property
    def now(self) -> datetime:
        return self._frozen_now or datetime.now(timezone.utc)

    def set_now(self, moment: datetime) -> None:
        self._frozen_now = _utc(moment)

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> None:
        self._frozen_now = self.now + timedelta(days=days, hours=hours, minutes=minutes)

    def _now_ms(self) -> int:
        return int(self.now.timestamp() * 1000)

    # -- faults and log -----------------------------------------------------------------------

    @property
    def faults(self) -> Faults:
        return self._fault_state.faults

    def set_faults(self, faults: Faults) -> None:
        """Replace the active faults; restarts the fault RNG and the forbid counter."""
        self._fault_state.replace(faults)
        self._fault_limiter.reset()

    @property
    def delay(self) -> Delay:
        return self._latency.delay

    def set_delay(self, delay: Delay | float | tuple[float, float] | str | None) -> None:
        """Hold every later API response this long (None or 0: not at all); restarts the
        delay RNG, so the same requests get the same delays again."""
        self._latency.replace(Delay.parse(delay))

    def reset_rate_limits(self) -> None:
        """Forget every request counted by the plan and fault rate limiters."""
        self._plan_limiter.reset()
        self._fault_limiter.reset()

    @property
    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def data_requests(self) -> list[RequestRecord]:
        return [r for r in self.requests if r.path.startswith(DATA_PATH_PREFIXES)]

    def clear_requests(self) -> None:
        """Empty the log; data-request numbering (fault schedules) restarts at 1."""
        with self._lock:
            self._records.clear()
            self._data_count = 0
        self._fault_state.reset_counters()

    # -- expectations for tests ---------------------------------------------------------------

    def expected_bars(
        self,
        ticker: str,
        multiplier: int,
        timespan: str,
        from_: str | int | date | datetime,
        to: str | int | date | datetime,
        adjusted: bool = True,
    ) -> list[dict[str, Any]]:
        """Every bar the custom-bars endpoint serves for this range at the current `now`,
        ascending and unpaginated, as the same dicts the API encodes."""
        span = parse_timespan(timespan)
        kind = kind_of(ticker)
        if kind is None:
            window = _resolve_range(span, _to_bound(from_), _to_bound(to))
        else:
            window = other_resolve_range(kind, span, _to_bound(from_), _to_bound(to))
        every = parse_multiplier(str(multiplier))
        query = RangeQuery(ticker, every, span, window.from_ms, window.to_ms, adjusted)
        if kind is not None:
            bars = self._api.others.iter_bars(query, self._now_ms())
            return [other_bar_dict(row, kind) for row, _, _ in bars]
        otc = self.market.is_otc(ticker)
        return [
            bar_dict(row, otc) for row, _, _, _ in iter_bars(self.market, query, self._now_ms())
        ]

    # -- request pipeline ---------------------------------------------------------------------

    def process(
        self, method: str, target: str, headers: Mapping[str, str], body: bytes = b""
    ) -> tuple[Reply, bool, float]:
        """Answer one request: (reply, drop the connection?, seconds to wait first).

        Usable without sockets; header names are matched case-insensitively.
        """
        headers = {name.lower(): value for name, value in headers.items()}
        split = urlsplit(target)
        if split.path.startswith("/_sandbox/") or split.path == "/_sandbox":
            return self._control(method, split.path, body), False, 0.0
        outcome, record = self._data(method, split.path, split.query, target, headers)
        record.delay = outcome.delay = outcome.delay + self._latency.draw()
        with self._lock:
            record.seq = len(self._records) + 1
            self._records.append(record)
        if self.log_requests:
            print(
                f"sandbox: {method} {target} -> {record.status} {record.fault or ''}".rstrip(),
                file=sys.stderr,
                flush=True,
            )
        return outcome.reply, outcome.drop, outcome.delay

    def _data(
        self, method: str, path: str, query: str, target: str, headers: Mapping[str, str]
    ) -> tuple[_Outcome, RequestRecord]:
        received_at = time.monotonic()
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        data_seq = None
        if path.startswith(DATA_PATH_PREFIXES):
            with self._lock:
                self._data_count += 1
                data_seq = self._data_count
        rid = uuid.uuid4().hex
        route = match_route(path) if method == "GET" else None
        key, auth = extract_key(headers.get("authorization"), params.get("apiKey"))
        plan = self.keys.get(key) if key is not None else None
        outcome = self._answer(route, plan, key, params, data_seq, headers, rid)
        reply = outcome.reply
        record = RequestRecord(
            seq=0,
            method=method,
            path=path,
            query=query,
            url=target,
            auth=auth,
            api_key_valid=plan is not None,
            status=0 if outcome.drop else reply.status,
            ticker=reply.ticker or (route.ticker if route else None),
            timespan=reply.timespan,
            results_count=reply.results_count,
            fault=",".join(outcome.faults) or None,
            data_seq=data_seq,
            received_at=received_at,
        )
        return outcome, record

    def _answer(
        self,
        route: Route | None,
        plan: Plan | None,
        key: str | None,
        params: dict[str, str],
        data_seq: int | None,
        headers: Mapping[str, str],
        rid: str,
    ) -> _Outcome:
        if route is None:
            return _Outcome(error_reply(404, rid, message="Not found", status_word="NOT_FOUND"))
        if key is None:
            return _Outcome(error_reply(401, rid, error=NO_KEY))
        if plan is None:
            return _Outcome(error_reply(401, rid, error=UNKNOWN_KEY))
        faults = self._fault_state.faults
        draw = self._fault_state.draw(data_seq) if data_seq is not None else Draw()
        outcome = _Outcome(Reply(0, b""))
        if draw.slow_seconds:
            outcome.delay = draw.slow_seconds
            outcome.faults.append("slow")

        limited = self._rate_limited(key, plan, faults, outcome, rid)
        if limited:
            return outcome
        if draw.drop:
            outcome.drop = True
            outcome.faults.append("drop")
            return outcome
        if draw.error_status is not None:
            outcome.reply = server_error_reply(draw.error_status, rid)
            outcome.faults.append("error")
            return outcome
        if self._fault_state.forbidden(route.ticker):
            outcome.reply = error_reply(
                403, rid, message=NOT_ENTITLED, status_word="NOT_AUTHORIZED"
            )
            outcome.faults.append("forbid")
            return outcome
        host = headers.get("host") or self.url.split("//", 1)[1]
        try:
            reply = self._api.handle(route, params, plan, self._now_ms(), host, rid)
        except Exception:  # a sandbox bug must look like a server error, not a hang
            traceback.print_exc(file=sys.stderr)
            reply = error_reply(500, rid, error="Internal server error")
        if reply.status == 200:
            self._fault_state.note_success(route.ticker)
            if draw.truncate:
                reply.body = reply.body[: len(reply.body) // 2]
                outcome.faults.append("truncate")
        outcome.reply = reply
        return outcome

    def _rate_limited(
        self, key: str, plan: Plan, faults: Faults, outcome: _Outcome, rid: str
    ) -> bool:
        with self._rate_lock:  # check and count atomically across both limiters
            wait = self._rate_wait(key, plan, faults, outcome)
        if not wait:
            return False
        outcome.reply = error_reply(429, rid, error=RATE_LIMITED)
        if faults.retry_after:
            outcome.reply.headers["Retry-After"] = retry_after_header(wait)
        return True

    def _rate_wait(self, key: str, plan: Plan, faults: Faults, outcome: _Outcome) -> float:
        """Seconds the request must wait (0: accepted, and counted)."""
        wait = 0.0
        if faults.rate_limit is not None:
            wait = self._fault_limiter.wait_needed(key, faults.rate_limit)
            if wait:
                outcome.faults.append("rate_limit")
        if not wait and plan.requests_per_window is not None:
            wait = self._plan_limiter.wait_needed(key, plan.requests_per_window)
        if not wait:
            if faults.rate_limit is not None:
                self._fault_limiter.record(key)
            if plan.requests_per_window is not None:
                self._plan_limiter.record(key)
        return wait

    # -- control endpoints --------------------------------------------------------------------

    def _control(self, method: str, path: str, body: bytes) -> Reply:
        if method == "GET" and path == "/_sandbox/health":
            return json_reply(200, {"status": "OK", "now": self.now.isoformat(), "url": self.url})
        if method == "GET" and path == "/_sandbox/requests":
            return json_reply(200, [r.to_dict() for r in self.requests])
        if method == "POST" and path == "/_sandbox/requests/clear":
            self.clear_requests()
            return json_reply(200, {"status": "OK"})
        if path == "/_sandbox/control" and method in ("GET", "POST"):
            if method == "POST":
                try:
                    self.apply_control(orjson.loads(body or b"{}"))
                except (ValueError, TypeError) as exc:
                    return json_reply(400, {"status": "ERROR", "error": str(exc)})
            return json_reply(
                200,
                {
                    "status": "OK",
                    "now": self.now.isoformat(),
                    "faults": self.faults.to_dict(),
                    "delay": self.delay.to_json(),
                },
            )
        return json_reply(404, {"status": "NOT_FOUND", "message": "Not found"})

    def apply_control(self, data: Any) -> None:
        """What POST /_sandbox/control does: any of now, advance_days, advance_hours,
        advance_minutes, faults (replaces all faults), reset_rate_limits, delay (seconds,
        `[low, high]`, or null to switch it off)."""
        if not isinstance(data, dict):
            raise ValueError("control body must be a JSON object")
        unknown = sorted(set(data) - _CONTROL_FIELDS)
        if unknown:
            raise ValueError(f"unknown control field(s): {', '.join(unknown)}")
        faults = Faults.from_dict(data["faults"]) if "faults" in data else None
        delay = Delay.parse(data["delay"]) if "delay" in data else None
        if data.get("now") is not None:
            self.set_now(parse_instant(str(data["now"])))
        if any(data.get(k) for k in ("advance_days", "advance_hours", "advance_minutes")):
            self.advance(
                days=float(data.get("advance_days") or 0),
                hours=float(data.get("advance_hours") or 0),
                minutes=float(data.get("advance_minutes") or 0),
            )
        if faults is not None:
            self.set_faults(faults)
        if data.get("reset_rate_limits"):
            self.reset_rate_limits()
        if delay is not None:
            self.set_delay(delay)


_CONTROL_FIELDS = frozenset(
    {
        "now",
        "advance_days",
        "advance_hours",
        "advance_minutes",
        "faults",
        "reset_rate_limits",
        "delay",
    }
)


class _Server(ThreadingHTTPServer):
    """A thread per connection: a delayed response holds up only its own connection."""

    daemon_threads = True
    # The listen backlog: the default 5 drops connections (a 1 s SYN retry) when a client
    # opens many at once, as one keeping dozens of requests in flight does.
    request_queue_size = 128
    sandbox: Sandbox


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as the real API; every reply has Content-Length
    server_version = "polygon-sandbox"
    sys_version = ""
    disable_nagle_algorithm = True  # headers and body go out in separate writes
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        self._serve("GET")

    def do_POST(self) -> None:  # noqa: N802
        self._serve("POST")

    def do_PUT(self) -> None:  # noqa: N802
        self._serve("PUT")

    def do_DELETE(self) -> None:  # noqa: N802
        self._serve("DELETE")

    def _serve(self, method: str) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        headers = dict(self.headers.items())
        sandbox = self.server.sandbox
        reply, drop, delay = sandbox.process(method, self.path, headers, body)
        if delay:
            sandbox.sleep(delay)  # before the first byte, as network latency would
        if drop:
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        self.send_response(reply.status)
        self.send_header("Content-Type", reply.content_type)
        self.send_header("Content-Length", str(len(reply.body)))
        for name, value in reply.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(reply.body)

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        """Quiet: the request log lives in Sandbox.requests (and stderr with log_requests)."""

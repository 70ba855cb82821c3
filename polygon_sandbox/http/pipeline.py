"""How an API request is answered, in the vendor's order, and logged.

Unknown path → 404; no key → 401; unknown key → 401; injected rate limit → 429; the plan's rate
limit → 429; injected drop / 5xx / forbid; a route above the plan's tier → 403; the route's
handler (400 for a bad parameter, 403 for the plan's markets or history, 200); then an injected
delay and, for a 200, an injected truncation. Every answer is then held for the response delay
plus any injected slowness, before its first byte.
"""

from __future__ import annotations

import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic
from urllib.parse import parse_qs

from .auth import Plan, RateLimiter, extract_key, retry_after_header
from .clock import Clock
from .faults import Draw, Faults, FaultState
from .latency import Delay, Latency
from .params import QueryError
from .replies import (
    NO_KEY,
    NOT_ENTITLED,
    RATE_LIMITED,
    UNKNOWN_KEY,
    Reply,
    error_reply,
    server_error_reply,
)
from .request_log import RequestLog, RequestRecord
from .routing import D, Request, Route, RouteTable


@dataclass
class Outcome:
    """What becomes of one request: its reply, or a dropped connection, and the wait first."""

    reply: Reply
    drop: bool = False
    delay: float = 0.0
    faults: list[str] = field(default_factory=list)


class Pipeline(Generic[D]):
    """Answers the API requests of one sandbox: keys, rate limits, faults, the routes' handlers
    (given `data`), the response delay and the request log."""

    def __init__(
        self,
        routes: RouteTable[D],
        data: D,
        keys: Mapping[str, Plan],
        faults: Faults,
        delay: Delay,
        seed: int,
        rate_window_seconds: float,
        clock: Clock,
        default_host: Callable[[], str],
    ) -> None:
        self.routes = routes
        self.data = data
        self.keys: dict[str, Plan] = dict(keys)
        self.fault_state = FaultState(faults, seed)
        self.latency = Latency(delay, seed)
        self.log = RequestLog(routes.is_data_path)
        self._clock = clock
        self._default_host = default_host
        self._plan_limiter = RateLimiter(rate_window_seconds)
        self._fault_limiter = RateLimiter(rate_window_seconds)
        self._rate_lock = threading.Lock()

    def set_faults(self, faults: Faults) -> None:
        """Replace the active faults; restarts the fault RNG and the forbid counter."""
        self.fault_state.replace(faults)
        self._fault_limiter.reset()

    def reset_rate_limits(self) -> None:
        self._plan_limiter.reset()
        self._fault_limiter.reset()

    def clear_log(self) -> None:
        """Empty the log; data-request numbering (fault schedules) restarts at 1."""
        self.log.clear()
        self.fault_state.reset_counters()

    def answer(
        self, method: str, path: str, query: str, target: str, headers: Mapping[str, str]
    ) -> tuple[Outcome, RequestRecord]:
        """Answer and log one request; `headers` have lower-case names."""
        outcome, record = self._outcome_and_record(method, path, query, target, headers)
        record.delay = outcome.delay = outcome.delay + self.latency.draw()
        self.log.add(record)
        return outcome, record

    def _outcome_and_record(
        self, method: str, path: str, query: str, target: str, headers: Mapping[str, str]
    ) -> tuple[Outcome, RequestRecord]:
        received_at = time.monotonic()
        params = {k: v[0] for k, v in parse_qs(query, keep_blank_values=True).items()}
        data_seq = self.log.number(path)
        rid = uuid.uuid4().hex
        match = self.routes.match(method, path)
        route_ticker = match[1].get("ticker") if match else None
        key, auth = extract_key(headers.get("authorization"), params.get("apiKey"))
        plan = self.keys.get(key) if key is not None else None
        outcome = self._outcome(match, plan, key, params, data_seq, headers, rid)
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
            ticker=reply.ticker or route_ticker,
            timespan=reply.timespan,
            results_count=reply.results_count,
            fault=",".join(outcome.faults) or None,
            data_seq=data_seq,
            received_at=received_at,
        )
        return outcome, record

    def _outcome(
        self,
        match: tuple[Route[D], dict[str, str]] | None,
        plan: Plan | None,
        key: str | None,
        params: dict[str, str],
        data_seq: int | None,
        headers: Mapping[str, str],
        rid: str,
    ) -> Outcome:
        if match is None:
            return Outcome(error_reply(404, rid, message="Not found", status_word="NOT_FOUND"))
        if key is None:
            return Outcome(error_reply(401, rid, error=NO_KEY))
        if plan is None:
            return Outcome(error_reply(401, rid, error=UNKNOWN_KEY))
        route, path_params = match
        ticker = path_params.get("ticker")
        faults = self.fault_state.faults
        draw = self.fault_state.draw(data_seq) if data_seq is not None else Draw()
        outcome = Outcome(Reply(0, b""))
        if draw.slow_seconds:
            outcome.delay = draw.slow_seconds
            outcome.faults.append("slow")

        if self._rate_limited(key, plan, faults, outcome, rid):
            return outcome
        if draw.drop:
            outcome.drop = True
            outcome.faults.append("drop")
            return outcome
        if draw.error_status is not None:
            outcome.reply = server_error_reply(draw.error_status, rid)
            outcome.faults.append("error")
            return outcome
        forbidden = self.fault_state.forbidden(ticker)
        if forbidden or not plan.reaches(route.tier):
            outcome.reply = error_reply(
                403, rid, message=NOT_ENTITLED, status_word="NOT_AUTHORIZED"
            )
            if forbidden:
                outcome.faults.append("forbid")
            return outcome
        host = headers.get("host") or self._default_host()
        request = Request(params, path_params, plan, self._clock.now_ms(), host, rid)
        reply = self._handle(route, request)
        if reply.status == 200:
            self.fault_state.note_success(ticker)
            if draw.truncate:
                reply.body = reply.body[: len(reply.body) // 2]
                outcome.faults.append("truncate")
        outcome.reply = reply
        return outcome

    def _handle(self, route: Route[D], request: Request) -> Reply:
        """The handler's reply; a bad parameter is a 400, and a sandbox bug a 500, not a hang."""
        try:
            return route.handler(self.data, request)
        except QueryError as exc:
            reply = error_reply(400, request.request_id, error=str(exc))
            reply.ticker = request.ticker
            return reply
        except Exception:
            traceback.print_exc(file=sys.stderr)
            return error_reply(500, request.request_id, error="Internal server error")

    def _rate_limited(
        self, key: str, plan: Plan, faults: Faults, outcome: Outcome, rid: str
    ) -> bool:
        with self._rate_lock:  # check and count atomically across both limiters
            wait = self._rate_wait(key, plan, faults, outcome)
        if not wait:
            return False
        outcome.reply = error_reply(429, rid, error=RATE_LIMITED)
        if faults.retry_after:
            outcome.reply.headers["Retry-After"] = retry_after_header(wait)
        return True

    def _rate_wait(self, key: str, plan: Plan, faults: Faults, outcome: Outcome) -> float:
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

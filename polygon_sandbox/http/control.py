"""The `/_sandbox/...` control endpoints, for tests: health, the request log, the clock, faults
and the response delay. No auth, not logged, never delayed."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

import orjson

from .clock import parse_instant
from .faults import Faults
from .latency import Delay
from .replies import Reply, json_reply
from .request_log import RequestRecord

CONTROL_FIELDS = frozenset(
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


class Controllable(Protocol):
    """What the control endpoints read and change (the Sandbox)."""

    @property
    def url(self) -> str: ...

    @property
    def now(self) -> datetime: ...

    @property
    def faults(self) -> Faults: ...

    @property
    def delay(self) -> Delay: ...

    @property
    def requests(self) -> list[RequestRecord]: ...

    def clear_requests(self) -> None: ...

    def apply_control(self, data: Any) -> None: ...

    def set_now(self, moment: datetime) -> None: ...

    def advance(self, days: float = 0, hours: float = 0, minutes: float = 0) -> None: ...

    def set_faults(self, faults: Faults) -> None: ...

    def reset_rate_limits(self) -> None: ...

    def set_delay(self, delay: Delay | float | tuple[float, float] | str | None) -> None: ...


def is_control_path(path: str) -> bool:
    return path.startswith("/_sandbox/") or path == "/_sandbox"


def control_reply(sandbox: Controllable, method: str, path: str, body: bytes) -> Reply:
    if method == "GET" and path == "/_sandbox/health":
        return json_reply(200, {"status": "OK", "now": sandbox.now.isoformat(), "url": sandbox.url})
    if method == "GET" and path == "/_sandbox/requests":
        return json_reply(200, [r.to_dict() for r in sandbox.requests])
    if method == "POST" and path == "/_sandbox/requests/clear":
        sandbox.clear_requests()
        return json_reply(200, {"status": "OK"})
    if path == "/_sandbox/control" and method in ("GET", "POST"):
        if method == "POST":
            try:
                sandbox.apply_control(orjson.loads(body or b"{}"))
            except (ValueError, TypeError) as exc:
                return json_reply(400, {"status": "ERROR", "error": str(exc)})
        return json_reply(
            200,
            {
                "status": "OK",
                "now": sandbox.now.isoformat(),
                "faults": sandbox.faults.to_dict(),
                "delay": sandbox.delay.to_json(),
            },
        )
    return json_reply(404, {"status": "NOT_FOUND", "message": "Not found"})


def apply_control(sandbox: Controllable, data: Any) -> None:
    """What POST /_sandbox/control does: any of now, advance_days, advance_hours,
    advance_minutes, faults (replaces all faults), reset_rate_limits, delay (seconds,
    `[low, high]`, or null to switch it off)."""
    if not isinstance(data, dict):
        raise ValueError("control body must be a JSON object")
    unknown = sorted(set(data) - CONTROL_FIELDS)
    if unknown:
        raise ValueError(f"unknown control field(s): {', '.join(unknown)}")
    faults = Faults.from_dict(data["faults"]) if "faults" in data else None
    delay = Delay.parse(data["delay"]) if "delay" in data else None
    if data.get("now") is not None:
        sandbox.set_now(parse_instant(str(data["now"])))
    if any(data.get(k) for k in ("advance_days", "advance_hours", "advance_minutes")):
        sandbox.advance(
            days=float(data.get("advance_days") or 0),
            hours=float(data.get("advance_hours") or 0),
            minutes=float(data.get("advance_minutes") or 0),
        )
    if faults is not None:
        sandbox.set_faults(faults)
    if data.get("reset_rate_limits"):
        sandbox.reset_rate_limits()
    if delay is not None:
        sandbox.set_delay(delay)

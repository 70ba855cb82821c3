"""Injected failures, so a client's retries, backoff and error handling can be tested.

Schedules name data-request numbers: the n-th request to /v2/... since the sandbox started or
since `clear_requests()` (1-based, the `data_seq` of its RequestRecord). Rates draw from an RNG
seeded by the sandbox seed, so a run with the same requests fails the same way.
"""

from __future__ import annotations

import random
import threading
from dataclasses import asdict, dataclass, field, fields
from typing import Any

ERROR_STATUSES = (500, 502, 503, 504)


@dataclass
class Faults:
    """Which failures to inject. Everything is off by default."""

    rate_limit: int | None = None  # requests per rate window per key, for every key
    retry_after: bool = False  # send Retry-After (whole seconds, rounded up) with 429s
    error_rate: float = 0.0  # probability of a random 500/502/503/504
    error_schedule: list[int] = field(default_factory=list)  # these data requests get a 502
    slow_schedule: list[int] = field(default_factory=list)
    slow_seconds: float = 3.0  # delay of the requests in slow_schedule
    drop_schedule: list[int] = field(default_factory=list)  # close without any response
    drop_rate: float = 0.0
    truncate_schedule: list[int] = field(default_factory=list)  # 200 with half a JSON body
    truncate_rate: float = 0.0
    forbid_ticker: str | None = None  # after `forbid_after` successes, 403 for this ticker
    forbid_after: int = 0

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Faults:
        """Build from JSON-like data (the control endpoint); unknown names are an error."""
        names = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"unknown fault field(s): {', '.join(unknown)}")
        faults = cls(**data)
        faults.validate()
        return faults

    def validate(self) -> None:
        for name in ("error_rate", "drop_rate", "truncate_rate"):
            value = getattr(self, name)
            if not isinstance(value, int | float) or not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a number between 0 and 1")
        for name in ("error_schedule", "slow_schedule", "drop_schedule", "truncate_schedule"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, int) for v in value):
                raise ValueError(f"{name} must be a list of request numbers")
        if self.rate_limit is not None and (
            not isinstance(self.rate_limit, int) or self.rate_limit < 1
        ):
            raise ValueError("rate_limit must be a positive integer or null")
        if not isinstance(self.forbid_after, int) or self.forbid_after < 0:
            raise ValueError("forbid_after must be a non-negative integer")
        if not isinstance(self.slow_seconds, int | float) or self.slow_seconds < 0:
            raise ValueError("slow_seconds must be a non-negative number")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Draw:
    """The fate of one data request, decided when it arrives."""

    drop: bool = False
    error_status: int | None = None
    slow_seconds: float = 0.0
    truncate: bool = False


class FaultState:
    """The active Faults plus what they need to remember (RNG, successes per ticker)."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.faults = faults
        self._rng = random.Random(seed)
        self._successes = 0

    def replace(self, faults: Faults) -> None:
        faults.validate()
        with self._lock:
            self.faults = faults
            self._rng = random.Random(self._seed)
            self._successes = 0

    def reset_counters(self) -> None:
        with self._lock:
            self._successes = 0

    def draw(self, data_seq: int) -> Draw:
        f = self.faults
        with self._lock:
            drop_roll = self._rng.random() if f.drop_rate > 0 else 1.0
            error_roll = self._rng.random() if f.error_rate > 0 else 1.0
            error_pick = self._rng.choice(ERROR_STATUSES) if f.error_rate > 0 else 500
            truncate_roll = self._rng.random() if f.truncate_rate > 0 else 1.0
        error_status: int | None = None
        if data_seq in f.error_schedule:
            error_status = 502
        elif error_roll < f.error_rate:
            error_status = error_pick
        return Draw(
            drop=data_seq in f.drop_schedule or drop_roll < f.drop_rate,
            error_status=error_status,
            slow_seconds=f.slow_seconds if data_seq in f.slow_schedule else 0.0,
            truncate=data_seq in f.truncate_schedule or truncate_roll < f.truncate_rate,
        )

    def forbidden(self, ticker: str | None) -> bool:
        f = self.faults
        return (
            f.forbid_ticker is not None
            and ticker == f.forbid_ticker
            and self._successes >= f.forbid_after
        )

    def note_success(self, ticker: str | None) -> None:
        if ticker is not None and ticker == self.faults.forbid_ticker:
            with self._lock:
                self._successes += 1

"""Response delay: the network latency a real API adds to every answer.

Loopback answers in microseconds, so a client that keeps several requests in flight looks no
better there than one that waits for each answer. A delay, fixed or drawn uniformly from a
range, held before the first byte of every API response, makes latency-bound workloads
measurable. Draws come from an RNG seeded by the sandbox seed, so a run can be repeated.
"""

from __future__ import annotations

import math
import random
import threading
from dataclasses import dataclass
from typing import Any

MAX_DELAY_SECONDS = 60.0


@dataclass(frozen=True)
class Delay:
    """Seconds to hold each response: `low` when fixed, uniform in [low, high] otherwise."""

    low: float = 0.0
    high: float = 0.0

    def __post_init__(self) -> None:
        for value in (self.low, self.high):
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise ValueError(f"delay must be a number of seconds, got {value!r}")
            if not math.isfinite(value) or not 0.0 <= value <= MAX_DELAY_SECONDS:
                raise ValueError(
                    f"delay must be between 0 and {MAX_DELAY_SECONDS:g} seconds, got {value!r}"
                )
        if self.low > self.high:
            raise ValueError(f"delay range {self.low:g}-{self.high:g} has its ends reversed")

    @classmethod
    def parse(cls, value: Any) -> Delay:
        """A number (fixed), `[low, high]`, the text `"0.1"` or `"0.05-0.5"`, or None (off)."""
        if isinstance(value, Delay):
            return value
        if value is None:
            return cls()
        if isinstance(value, str):
            parts = value.strip().split("-")
            try:
                numbers = [float(part) for part in parts]
            except ValueError:
                raise ValueError(
                    f"delay must be seconds (0.1) or a range of seconds (0.05-0.5), got {value!r}"
                ) from None
            return cls.parse(numbers[0] if len(numbers) == 1 else numbers)
        if isinstance(value, list | tuple):
            if len(value) != 2:
                raise ValueError(f"a delay range is [low, high] in seconds, got {value!r}")
            return cls(value[0], value[1])
        return cls(value, value)

    @property
    def fixed(self) -> bool:
        return self.low == self.high

    def to_json(self) -> float | list[float]:
        """What the control endpoint reports: a number when fixed, `[low, high]` for a range."""
        return self.low if self.fixed else [self.low, self.high]


class Latency:
    """The active Delay and its seeded RNG; one draw per API request, in arrival order."""

    def __init__(self, delay: Delay, seed: int) -> None:
        self._seed = seed
        self._lock = threading.Lock()
        self.delay = delay
        self._rng = random.Random(seed)

    def replace(self, delay: Delay) -> None:
        """Set a new delay and restart the RNG, so the same requests get the same delays."""
        with self._lock:
            self.delay = delay
            self._rng = random.Random(self._seed)

    def draw(self) -> float:
        with self._lock:
            delay = self.delay
            if delay.fixed:
                return delay.low
            return self._rng.uniform(delay.low, delay.high)

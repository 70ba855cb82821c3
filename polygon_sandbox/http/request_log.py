"""The request log: every API request as the sandbox saw it, and the numbering of data requests
that fault schedules refer to."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any


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


class RequestLog:
    """The records in arrival order; `is_data_path` says which paths count as data requests."""

    def __init__(self, is_data_path: Callable[[str], bool]) -> None:
        self.is_data_path = is_data_path
        self._lock = threading.Lock()
        self._records: list[RequestRecord] = []
        self._data_count = 0

    def number(self, path: str) -> int | None:
        """The next data-request number if `path` is a data path (counted now), else None."""
        if not self.is_data_path(path):
            return None
        with self._lock:
            self._data_count += 1
            return self._data_count

    def add(self, record: RequestRecord) -> None:
        with self._lock:
            record.seq = len(self._records) + 1
            self._records.append(record)

    @property
    def records(self) -> list[RequestRecord]:
        with self._lock:
            return list(self._records)

    def data_records(self) -> list[RequestRecord]:
        return [r for r in self.records if self.is_data_path(r.path)]

    def clear(self) -> None:
        """Empty the log; data-request numbering restarts at 1."""
        with self._lock:
            self._records.clear()
            self._data_count = 0

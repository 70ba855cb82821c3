"""After an answer that every request would get (the API rejected the key), no request leaves.

The HTTP client raises such an answer (the error handler's FAIL: 401, or a 404 for a path that
is not the API's) as a config_error. From then on every request of the sync, in any stream and
any worker thread, stops just before it would be sent (cdk/http.py mounts the check after the
pace's wait), with the same error: with requests in flight, each would otherwise go out and be
rejected too. The error raised is the user's words alone (the HTTP client's carries the request
and the response headers as its internal message) and stops the sync (cdk/failures.py).
"""

from __future__ import annotations

import threading

from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.cdk.failures import StopsTheSync


class Halt:
    """The sync's one switch: set by the first failure every request would meet."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._message: str | None = None

    def on_failure(self, error: AirbyteTracedException) -> AirbyteTracedException:
        """The error to raise for a request the HTTP client failed: a config_error halts every
        request after it; any other failure is raised as it is."""
        if error.failure_type != FailureType.config_error:
            return error
        with self._lock:
            if self._message is None:
                self._message = error.message or str(error)
            message = self._message
        return self._stopped(message)

    def check(self) -> None:
        """Raises the halting error if the sync is halted: called before each request leaves."""
        with self._lock:
            message = self._message
        if message is not None:
            raise self._stopped(message)

    @staticmethod
    def _stopped(message: str) -> StopsTheSync:
        return StopsTheSync(
            message=message, internal_message=message, failure_type=FailureType.config_error
        )

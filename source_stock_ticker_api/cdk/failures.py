"""A failed read says it once: one TRACE error per failure, no traceback or raw HTTP in the logs.

The CDK reports a failed stream up to four times: the HTTP client logs the request and response
(headers included) at ERROR before raising; `AbstractSource.read` logs "Encountered an exception
while reading stream S" with the traceback, yields the stream's TRACE error, and after the last
stream logs and raises a summary of every failed stream ("During the sync, the following streams
did not sync successfully: S: AirbyteTracedException(...)"), printed as a second TRACE error.
What is kept: the stream's own TRACE error (its words are the error handler's or the stream's,
messages.py) and a non-zero exit. `unit_tests/cdk/test_failures_contract.py` checks each CDK
behaviour relied on here against the installed CDK.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Iterator, Mapping
from typing import Any

from airbyte_cdk.exception_handler import generate_failed_streams_error_message
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteStateMessage,
    ConfiguredAirbyteCatalog,
    FailureType,
    TraceType,
    Type,
)
from airbyte_cdk.sources import AbstractSource
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

# What the CDK's summary of failed streams starts with (the message, with no stream in it).
SUMMARY_PREFIX = generate_failed_streams_error_message({})
# AbstractSource.read's line for a failed stream, logged with the traceback.
STREAM_FAILED = re.compile(r"Encountered an exception while reading stream \S+")
# Its line when stop_sync_on_stream_failure is true, which says the connector cannot continue.
STOPPING = re.compile(r"Stopping sync on error from stream (?P<stream>\S+) because .*")
# The HTTP client's lines before it raises: the request and response of a failed request
# (`'GET' request to '<url>' failed with status code '401' ... Response (headers): ...`), and
# the two lines for retries exhausted, one with the traceback. The error raised says it.
HTTP_CLIENT_FAILURE = re.compile(
    r"'[A-Z]+' request to '.*' failed with (?:status code|exception)"
    r"|Retries exhausted with backoff exception\."
    r"|Max retry limit reached",
    re.DOTALL,
)


class StopsTheSync(AirbyteTracedException):
    """A failure no later stream can escape (the API rejected the key): the CDK reads no
    further stream after it (FailuresOnce.stop_sync_on_stream_failure)."""


class SyncFailed(AirbyteTracedException):
    """Raised in place of the CDK's summary of failed streams: every failure was reported on
    its own already. `run` exits non-zero without printing it; any other caller gets one more
    config_error naming the streams, as from the CDK."""


class FailureLines(logging.Filter):
    """Drops the HTTP client's lines for a failed request and strips the traceback from
    AbstractSource's line for a failed stream; the summary line names the streams only."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if HTTP_CLIENT_FAILURE.match(message):
            return False
        if STREAM_FAILED.fullmatch(message):
            record.exc_info, record.exc_text, record.stack_info = None, None, None
        elif message.startswith(SUMMARY_PREFIX):
            record.msg, record.args = summary(_streams_named(message)), ()
        elif stopping := STOPPING.fullmatch(message):
            record.msg, record.args = stopped_after(stopping["stream"]), ()
        return True


FAILURE_LINES = FailureLines()


def quiet_http_client(logger: logging.Logger) -> None:
    """The HTTP client's failure lines left out of `logger` (a stream's), and out of the
    "airbyte" logger, where the CDK's retry decorators log. Adding it twice is a no-op."""
    logger.addFilter(FAILURE_LINES)
    logging.getLogger("airbyte").addFilter(FAILURE_LINES)


def summary(streams: list[str]) -> str:
    """The summary of a failed sync: which streams did not sync (each said why already)."""
    return f"{SUMMARY_PREFIX}{', '.join(streams)}."


def stopped_after(stream: str) -> str:
    """Why no stream is read after `stream` (a StopsTheSync)."""
    return f"No stream is read after {stream}: its failure would stop every one of them."


def _streams_named(message: str) -> list[str]:
    """The streams of the CDK's summary: one `name: <error>` a line."""
    lines = message[len(SUMMARY_PREFIX) :].split("\n")
    return [line.split(":", 1)[0] for line in lines if re.match(r"[a-z_]+: ", line)]


class FailuresOnce(AbstractSource):
    """The CDK's read, each failure reported once.

    Relies on: `AbstractSource.read` logging each stream failure through the `logger` it is
    given and yielding the stream's TRACE error, consulting `stop_sync_on_stream_failure`
    while it handles the stream's exception, and raising its summary (SUMMARY_PREFIX) after
    the last stream. Gains: one TRACE error per failure; no traceback, request or response
    headers in a log line; and after a StopsTheSync, no stream started in vain.
    """

    @property
    def stop_sync_on_stream_failure(self) -> bool:
        """Stop after a failure that every later stream would meet too."""
        return isinstance(sys.exc_info()[1], StopsTheSync)

    def read(
        self,
        logger: logging.Logger,
        config: Mapping[str, Any],
        catalog: ConfiguredAirbyteCatalog,
        state: list[AirbyteStateMessage] | None = None,
    ) -> Iterator[AirbyteMessage]:
        failed: list[str] = []
        logger.addFilter(FAILURE_LINES)
        try:
            for message in super().read(logger, config, catalog, state):
                name = _failed_stream(message)
                if name is not None:
                    failed.append(name)
                yield message
        except AirbyteTracedException as error:
            if not failed or not str(error.message).startswith(SUMMARY_PREFIX):
                raise
            raise SyncFailed(
                message=summary(failed), failure_type=FailureType.config_error
            ) from None
        finally:
            logger.removeFilter(FAILURE_LINES)


def _failed_stream(message: AirbyteMessage) -> str | None:
    """The stream a TRACE error names, if the message is one."""
    trace = message.trace
    if message.type is not Type.TRACE or trace is None or trace.type is not TraceType.ERROR:
        return None
    error = trace.error
    descriptor = error.stream_descriptor if error is not None else None
    return descriptor.name if descriptor is not None else None

"""The CDK's entrypoint with behaviours of ours, and the record lines written straight to stdout.

The package `cdk/` holds every place where this connector replaces part of the Airbyte CDK or
uses its private members (this module, record_pages.py, http.py). Each override says which CDK
behaviour it relies on; the tests in `unit_tests/cdk/` check those behaviours against the
installed CDK, so an upgrade that changes one fails there, by name, rather than silently in a
sync.

Gains are per record, measured by taking one override out at a time (CPU time in-process, best of
25 rounds of 20,000 records), and as a share of records/s on `make bench`'s workload (b), 4
tickers of minute bars over a year, where the connector spends about 11.5 µs a record. Every
override kept gains at least 5%; the behaviour overrides (field names, secret masking) stay
whatever they cost.

Those per-record gains are for records one by one, the path of in-process reads (the CDK's
`entrypoint_wrapper`, its standard tests) and of `_limit`. A sync run by `run()` sends each page
of a price stream through the CDK as one RecordPage (records_as_messages, StockTickerEntrypoint,
RecordPagesSource), so the CDK's per-message layers (`Stream.read`'s state observation,
`AbstractSource._read_stream`, the entrypoint's memory check and counting) run once a page. In
CPU time, in-process, for one ticker's year of minute bars (240,600 records, 5 pages), that took
3.72 to 3.76 s before and 1.23 to 1.27 s after (about 15.5 -> 5.2 µs a record, alternating
runs). On `benchmarks/bench.py --runs 3 --skip-daily --skip-seconds`, workload (b) went from
29,404 records/s against the baseline's 77,052 (0.38) to 79,621 against 94,338 (0.84), in two
runs on a loaded machine (2026-11-26); peak RSS from 149 to 164 MB, the page's lines (about
12 MB for 50,000 minute bars), flat from 240,600 to 962,400 records.
"""

from __future__ import annotations

import io
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from functools import lru_cache
from typing import Any, BinaryIO, Protocol, runtime_checkable

import orjson
from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.models import (
    AirbyteMessage,
    AirbyteRecordMessage,
    ConnectorSpecification,
    Type,
)
from airbyte_cdk.sources import Source
from airbyte_cdk.sources.connector_state_manager import HashableStreamDescriptor
from airbyte_cdk.sources.utils.schema_helpers import split_config
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.print_buffer import PrintBuffer

from source_stock_ticker_api.cdk.log_lines import bound_the_cdk_log_lines, bounded
from source_stock_ticker_api.cdk.record_pages import RECORD_PAGES, RecordPage, record_line_ends
from source_stock_ticker_api.config import MIN_KEY_LENGTH


@runtime_checkable
class ParsesConfig(Protocol):
    """A source that parses its config once per command (source.SourceStockTickerApi)."""

    def parsed_config(self, raw: Mapping[str, Any]) -> object: ...


STDOUT_BUFFER_BYTES = 64 * 1024


@lru_cache(maxsize=64)
def _descriptor(name: str, namespace: str | None) -> HashableStreamDescriptor:
    return HashableStreamDescriptor(name=name, namespace=namespace)


class StockTickerEntrypoint(AirbyteEntrypoint):
    """The CDK's entrypoint with two behaviours of ours and a shorter way out for records."""

    records_out: BinaryIO | None = None  # while run() holds stdout: see shared_stdout
    record_pages = True  # a page of records as one RecordPage message when records_out is set

    def __init__(self, source: Source) -> None:
        """The CDK's entrypoint, its log lines bounded (cdk/log_lines.py)."""
        super().__init__(source)
        bound_the_cdk_log_lines()

    def validate_connection(  # type: ignore[override]  # the CDK calls it through self
        self, source_spec: ConnectorSpecification, config: Mapping[str, Any]
    ) -> None:
        """Our field-naming checks first (the source's one parse of the config), then the
        CDK's JSON-schema check.

        Relies on: `check`, `discover` and `read` calling this hook, through `self`, before
        anything else reads the config. Gains: messages that name the field to fix; the CDK's
        schema errors ("0 is less than the minimum of 1") do not.
        """
        source = self.source
        if isinstance(source, ParsesConfig):
            source.parsed_config(config)
        AirbyteEntrypoint.validate_connection(source_spec, config)

    @staticmethod
    def set_up_secret_filter(
        config: Mapping[str, Any], connection_specification: Mapping[str, Any]
    ) -> None:
        """The CDK's masking of secret values in output, minus values too short to be a key.

        Relies on: `check`, `discover` and `read` calling this static hook, and
        `update_secrets` replacing the process-wide list the CDK's logger and exceptions
        mask. Gains: a key too short to be real (parse_config refuses it before any request)
        would otherwise turn every matching digit of the output, timestamps included, into
        `****` and break the JSON.
        """
        secrets = get_secrets(connection_specification, config)
        update_secrets([secret for secret in secrets if len(str(secret)) >= MIN_KEY_LENGTH])

    @staticmethod
    def handle_record_counts(
        message: AirbyteMessage, stream_message_count: defaultdict[HashableStreamDescriptor, float]
    ) -> AirbyteMessage:
        """The CDK's counting, without building a stream descriptor for every record.

        Relies on: `read` passing every message through this static hook, and the counter
        being keyed by `HashableStreamDescriptor` (hashable, compared by value). Gains: 0.7 µs
        a record (1.9 -> 1.2 µs), about 6% of records/s; all of it is the cached descriptor.
        A RecordPage counts its records, so STATE messages' `sourceStats.recordCount` stay exact.
        """
        record = message.record
        if message.type is Type.RECORD and record is not None:
            count = message.count if isinstance(message, RecordPage) else 1
            stream_message_count[_descriptor(record.stream, record.namespace)] += count
            return message
        return AirbyteEntrypoint.handle_record_counts(message, stream_message_count)

    def read(
        self, source_spec: ConnectorSpecification, config: Any, catalog: Any, state: list[Any]
    ) -> Iterable[AirbyteMessage]:
        """Writes records as they come; yields every other message, for `run` to print.

        Relies on: `run` printing what `read` yields, one serialized message a line, and
        record_json producing the very bytes of that line. Gains: records skip the generic
        serializer and the str round trip, 1.5 µs a record (3.6 -> 2.1 µs), about 13% of
        records/s; with shared_stdout, 2.4 µs (3.6 -> 1.2 µs).

        With records_out set, records_as_messages sends a page at a time (RecordPage), which
        is written here as it is. Not when the config holds the CDK's `_limit`: the CDK counts
        that limit in messages, so it would read whole pages; records go one by one then.
        """
        out = self.records_out
        limited = split_config(config)[1].limit if isinstance(config, Mapping) else None
        token = RECORD_PAGES.set(out is not None and self.record_pages and not limited)
        try:
            for message in super().read(source_spec, config, catalog, state):
                record = message.record
                if record is None or message.type is not Type.RECORD:
                    if message.type is Type.LOG and message.log is not None:
                        # The CDK's slice lines (`--debug`) and queued logs skip the formatter.
                        message.log.message = bounded(message.log.message)
                    yield message
                elif isinstance(message, RecordPage):
                    if out is not None:
                        out.write(message.lines)
                    else:  # records_as_messages sends none without records_out
                        sys.stdout.write(message.lines.decode())
                elif out is not None:
                    out.write(record_json(record))
                else:
                    sys.stdout.write(record_json(record).decode())
        finally:
            RECORD_PAGES.reset(token)


def record_json(record: AirbyteRecordMessage) -> bytes:
    """The line the CDK writes for a RECORD message (serializer + orjson), built directly.

    Meant for this connector's records, whose data is flat and holds no None (prices/records.py
    leaves out a field the API does not report, as the CDK's serializer would). Records with
    a namespace, meta or file reference take the CDK's path.
    """
    if record.namespace is not None or record.meta is not None or record.file_reference:
        message = AirbyteMessage(type=Type.RECORD, record=record)
        return (AirbyteEntrypoint.airbyte_message_to_string(message) + "\n").encode()
    head, tail = record_line_ends(record.stream, record.emitted_at)
    return b"".join((head, orjson.dumps(record.data), tail))


@contextmanager
def shared_stdout(print_buffer: PrintBuffer) -> Iterator[BinaryIO | None]:
    """A buffered binary stdout for record lines, which the CDK's print buffer writes into too.

    Relies on: the print buffer (`PRINT_BUFFER`, which the CDK's logger also writes to) being
    `sys.stdout` inside its `with`, writing to `sys.__stdout__` when it flushes, and flushing
    on every write when `flush_interval` is 0. Airbyte's images set PYTHONUNBUFFERED, so the
    process's own stdout would make one system call per record. Here `sys.__stdout__` becomes
    a text layer over the same 64 KiB buffer the records go to, and the print buffer passes each
    write on at once: logs, states and records leave in exactly the order they were written.
    Gains: 0.9 µs a record (2.1 -> 1.2 µs) over writing record lines into the print buffer,
    about 8% of records/s.

    Yields None, changing nothing, when stdout is not the print buffer (pytest capturing it)
    or has no file descriptor: records then go to `sys.stdout` like everything else.
    """
    original = sys.__stdout__
    if sys.stdout is not print_buffer or original is None:
        yield None
        return
    try:
        descriptor = original.fileno()
    except (OSError, ValueError):  # io.UnsupportedOperation is both
        yield None
        return
    print_buffer.flush()
    binary = io.BufferedWriter(io.FileIO(descriptor, "wb", closefd=False), STDOUT_BUFFER_BYTES)
    text = io.TextIOWrapper(
        binary, encoding=original.encoding, errors=original.errors, write_through=True
    )
    interval = print_buffer.flush_interval
    sys.__stdout__ = text  # type: ignore[misc]  # typeshed marks it Final; restored below
    print_buffer.flush_interval = 0
    try:
        yield binary
    finally:
        try:
            print_buffer.flush()
        finally:
            # Restored even when the flush fails (a reader that went away): what is left is
            # then written to wherever run() points stdout.
            print_buffer.flush_interval = interval
            sys.__stdout__ = original  # type: ignore[misc]
        text.detach()
        binary.flush()

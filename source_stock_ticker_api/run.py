"""Console entry point: `source-stock-ticker-api spec|check|discover|read ...`."""

from __future__ import annotations

import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any, BinaryIO

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import (
    AirbyteMessage,
    ConnectorSpecification,
    FailureType,
    Type,
)
from airbyte_cdk.sources.connector_state_manager import HashableStreamDescriptor
from airbyte_cdk.utils.airbyte_secrets_utils import get_secrets, update_secrets
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.config import MIN_KEY_LENGTH, parse_config
from source_stock_ticker_api.output import record_json, shared_stdout
from source_stock_ticker_api.source import SourceStockTickerApi


@lru_cache(maxsize=64)
def _descriptor(name: str, namespace: str | None) -> HashableStreamDescriptor:
    return HashableStreamDescriptor(name=name, namespace=namespace)


class StockTickerEntrypoint(AirbyteEntrypoint):
    """The CDK entrypoint, with our field-naming validation before the generic schema check,
    and a shorter path to stdout for records.

    The CDK's JSON-schema messages ("0 is less than the minimum of 1") do not say which field
    is wrong; ours do. Records, up to a million per sync, go as bytes into the stdout buffer
    that output.shared_stdout sets up (same line, same order) instead of through the generic
    per-message serializer and print; every other message takes the CDK's path.
    """

    records_out: BinaryIO | None = None  # while run() holds stdout: see output.shared_stdout

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        parse_config(config)
        AirbyteEntrypoint.validate_connection(source_spec, config)

    @staticmethod
    def set_up_secret_filter(
        config: Mapping[str, Any], connection_specification: Mapping[str, Any]
    ) -> None:
        """The CDK's masking of secret values in output, minus values too short to be a key.

        Such a key is refused by parse_config before it is sent anywhere; masking it would turn
        every matching digit of the output (timestamps included) into `****` and break the JSON.
        """
        secrets = get_secrets(connection_specification, config)
        update_secrets([secret for secret in secrets if len(str(secret)) >= MIN_KEY_LENGTH])

    @staticmethod
    def handle_record_counts(
        message: AirbyteMessage, stream_message_count: defaultdict[HashableStreamDescriptor, float]
    ) -> AirbyteMessage:
        """The CDK's counting, without building a stream descriptor for every record."""
        record = message.record
        if message.type is Type.RECORD and record is not None:
            stream_message_count[_descriptor(record.stream, record.namespace)] += 1.0
            return message
        return AirbyteEntrypoint.handle_record_counts(message, stream_message_count)

    def read(
        self, source_spec: ConnectorSpecification, config: Any, catalog: Any, state: list[Any]
    ) -> Iterable[AirbyteMessage]:
        """Writes records as they come; yields every other message, for run() to print."""
        out = self.records_out
        for message in super().read(source_spec, config, catalog, state):
            record = message.record
            if record is None or message.type is not Type.RECORD:
                yield message
            elif out is not None:
                out.write(record_json(record))
            else:
                sys.stdout.write(record_json(record).decode())


def run(args: list[str] | None = None) -> None:
    entrypoint = StockTickerEntrypoint(SourceStockTickerApi())
    parsed_args = entrypoint.parse_args(sys.argv[1:] if args is None else args)
    try:
        with PRINT_BUFFER, shared_stdout(PRINT_BUFFER) as records_out:
            entrypoint.records_out = records_out
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        # A configuration the user must fix: one TRACE error, no stack dump in the logs.
        error.emit_message()
        sys.exit(1)

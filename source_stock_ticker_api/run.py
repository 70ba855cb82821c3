"""Console entry point: `source-stock-ticker-api spec|check|discover|read ...`."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from airbyte_cdk.entrypoint import AirbyteEntrypoint
from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import ConnectorSpecification, FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.config import parse_config
from source_stock_ticker_api.source import SourceStockTickerApi


class StockTickerEntrypoint(AirbyteEntrypoint):
    """The CDK entrypoint, with our field-naming validation before the generic schema check.

    The CDK's JSON-schema messages ("0 is less than the minimum of 1") do not say which field
    is wrong; ours do.
    """

    @staticmethod
    def validate_connection(source_spec: ConnectorSpecification, config: Mapping[str, Any]) -> None:
        parse_config(config)
        AirbyteEntrypoint.validate_connection(source_spec, config)


def run(args: list[str] | None = None) -> None:
    entrypoint = StockTickerEntrypoint(SourceStockTickerApi())
    parsed_args = entrypoint.parse_args(sys.argv[1:] if args is None else args)
    try:
        with PRINT_BUFFER:
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        # A configuration the user must fix: one TRACE error, no stack dump in the logs.
        error.emit_message()
        sys.exit(1)

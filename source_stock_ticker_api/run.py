"""Console entry point: `source-stock-ticker-api spec|check|discover|read ...`.

Wires the CDK's entrypoint (with our overrides, source_stock_ticker_api.cdk) to stdout.
Exit codes: 0 done; 1 a configuration the user must fix or a stream that failed (one TRACE
error per failure, no stack dump);
141 the reader of stdout went away (`read ... | head`), ended quietly; anything else the CDK's.
"""

from __future__ import annotations

import os
import sys

from airbyte_cdk.logger import PRINT_BUFFER
from airbyte_cdk.models import FailureType
from airbyte_cdk.utils.traced_exception import AirbyteTracedException

from source_stock_ticker_api.cdk.entrypoint import StockTickerEntrypoint, shared_stdout
from source_stock_ticker_api.cdk.failures import SyncFailed
from source_stock_ticker_api.source import SourceStockTickerApi

STDOUT_FILENO = 1
READER_GONE_EXIT_CODE = 141
"""128 + SIGPIPE: what a shell reports for a program a closed pipe ends, as `yes | head` does."""


def run(args: list[str] | None = None) -> None:
    # The arguments first: `--help` and a wrong command print their usage and nothing else,
    # before the CDK's entrypoint logs its first line.
    parsed_args = StockTickerEntrypoint.parse_args(sys.argv[1:] if args is None else args)
    entrypoint = StockTickerEntrypoint(SourceStockTickerApi())
    try:
        with PRINT_BUFFER, shared_stdout(PRINT_BUFFER) as records_out:
            entrypoint.records_out = records_out
            for message in entrypoint.run(parsed_args):
                print(f"{message}\n", end="")
    except BrokenPipeError:
        # Python's advice for a closed pipe: point stdout at devnull, so the flush at exit
        # (buffers still hold lines) has nowhere to fail, and leave without a traceback. No
        # more requests are made: nobody would read their records.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, STDOUT_FILENO)
        sys.exit(READER_GONE_EXIT_CODE)
    except SyncFailed:
        # Every failed stream said why in its own TRACE error: nothing more to print.
        sys.exit(1)
    except AirbyteTracedException as error:
        if error.failure_type != FailureType.config_error:
            raise
        # A configuration the user must fix: one TRACE error, no stack dump in the logs.
        error.emit_message()
        sys.exit(1)

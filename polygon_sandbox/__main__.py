"""`python -m polygon_sandbox`: run the sandbox until SIGTERM/SIGINT.

The first stdout line is `SANDBOX_URL=http://host:port` (flushed), so a parent process started
with `--port 0` learns where to connect; nothing else is written to stdout.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from dataclasses import fields
from types import FrameType
from typing import Any

from .http.clock import parse_instant
from .http.faults import Faults
from .http.latency import Delay
from .sandbox import Sandbox


def _numbers(text: str) -> list[int]:
    """`1,4,7` → [1, 4, 7] (schedules of data-request numbers)."""
    try:
        return [int(part) for part in text.replace(" ", "").split(",") if part]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers, got {text!r}"
        ) from exc


def delay_arg(text: str) -> Delay:
    """`--delay 0.1` (fixed seconds) or `--delay 0.05-0.5` (uniform, seeded by `--seed`)."""
    try:
        return Delay.parse(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _flag(parser: argparse._ActionsContainer, name: str, **kwargs: Any) -> None:
    """Accept both --error-rate and --error_rate (the Faults field name)."""
    names = ["--" + name.replace("_", "-")] + (["--" + name] if "_" in name else [])
    parser.add_argument(*names, dest=name, **kwargs)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m polygon_sandbox",
        description="Local stand-in of the Polygon.io / Massive.com REST API.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument(
        "--now",
        type=parse_instant,
        default=None,
        help="freeze the clock (ISO-8601, e.g. 2024-03-01T21:00:00Z)",
    )
    parser.add_argument("--seed", type=int, default=1)
    _flag(parser, "rate_window_seconds", type=float, default=60.0, help="length of a rate window")
    parser.add_argument(
        "--log-requests", action="store_true", help="one line per request on stderr"
    )
    parser.add_argument(
        "--delay",
        type=delay_arg,
        default=Delay(),
        metavar="SECONDS|LOW-HIGH",
        help="hold every API response this long before its first byte, as network latency "
        "would: 0.1 (fixed) or 0.05-0.5 (uniform draw, seeded by --seed); default 0",
    )
    faults = parser.add_argument_group("faults (all off by default)")
    _flag(faults, "rate_limit", type=int, default=None, help="requests per window per key")
    _flag(faults, "retry_after", action="store_true", help="send Retry-After with 429s")
    _flag(faults, "error_rate", type=float, default=0.0)
    _flag(faults, "error_schedule", type=_numbers, default=[])
    _flag(faults, "slow_schedule", type=_numbers, default=[])
    _flag(faults, "slow_seconds", type=float, default=Faults.slow_seconds)
    _flag(faults, "drop_schedule", type=_numbers, default=[])
    _flag(faults, "drop_rate", type=float, default=0.0)
    _flag(faults, "truncate_schedule", type=_numbers, default=[])
    _flag(faults, "truncate_rate", type=float, default=0.0)
    _flag(faults, "forbid_ticker", default=None)
    _flag(faults, "forbid_after", type=int, default=0)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    # Every field of Faults has its flag of the same name (see build_parser).
    faults = Faults(**{field.name: getattr(args, field.name) for field in fields(Faults)})
    try:
        faults.validate()
    except ValueError as exc:
        print(f"polygon_sandbox: {exc}", file=sys.stderr)
        return 2
    sandbox = Sandbox(
        now=args.now,
        host=args.host,
        port=args.port,
        seed=args.seed,
        faults=faults,
        rate_window_seconds=args.rate_window_seconds,
        log_requests=args.log_requests,
        delay=args.delay,
    )
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    sandbox.start()
    print(f"SANDBOX_URL={sandbox.url}", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

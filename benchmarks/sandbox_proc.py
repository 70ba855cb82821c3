"""Runs polygon_sandbox for the benchmark, as its own process.

The same as `python -m polygon_sandbox`, plus two things a benchmark needs:
- a day cache large enough for a year of minute bars of 4 tickers, so after a warm-up run the
  sandbox serves from memory and the figures measure the client, not bar generation;
- `GET /_bench/times`: wall-clock time (time.time()) of every /v2/ request since the last
  `POST /_sandbox/requests/clear`, to measure time to first record from the first request.
"""

from __future__ import annotations

import argparse
import signal
import threading
import time
from typing import Any

import orjson

from polygon_sandbox import Sandbox
from polygon_sandbox.__main__ import delay_arg
from polygon_sandbox.data.market import Market
from polygon_sandbox.http.clock import parse_instant
from polygon_sandbox.http.replies import Reply


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--now", type=parse_instant, required=True)
    parser.add_argument("--cache-days", type=int, default=2000)
    parser.add_argument(
        "--delay", type=delay_arg, default=None, help="as python -m polygon_sandbox"
    )
    args = parser.parse_args()
    sandbox = Sandbox(now=args.now, port=0, delay=args.delay)
    sandbox.market = Market(sandbox.seed, cache_days=args.cache_days)  # every endpoint reads it
    times: list[float] = []
    lock = threading.Lock()
    process = sandbox.process

    def timed(method: str, target: str, headers: Any, body: bytes = b"") -> Any:
        if target.startswith("/_bench/times"):
            with lock:
                return Reply(200, orjson.dumps(times)), False, 0.0
        if target.startswith("/v2/"):
            with lock:
                times.append(time.time())
        elif target.startswith("/_sandbox/requests/clear"):
            with lock:
                times.clear()
        return process(method, target, headers, body)

    sandbox.process = timed  # type: ignore[method-assign]
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    sandbox.start()
    print(f"SANDBOX_URL={sandbox.url}", flush=True)
    while not stop.wait(0.5):
        pass
    sandbox.stop()


if __name__ == "__main__":
    main()

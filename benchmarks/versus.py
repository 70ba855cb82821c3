"""Two versions of the connector on one workload, in paired, alternating runs: is a change free?

`.venv/bin/python benchmarks/versus.py OTHER_CHECKOUT [--runs 5]` runs the loopback minute
workload of `make bench` ((b): 4 tickers, minute bars, a year, 962,400 records) with this
checkout's connector and the other checkout's (its own `.venv`, its own code), one after the
other, round after round, with the raw baseline loop in every round: the machine's speed drifts
from minute to minute, so each version is compared with the runs beside it. Prints each round,
the medians, and the ratios this / other for records/s and peak RSS. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

import bench

FOUR = ["AAPL", "MSFT", "GOOGL", "AMZN"]
START = "2025-11-21"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="a checkout of another version, installed")
    parser.add_argument("--runs", type=int, default=5, help="rounds (one run of each per round)")
    args = parser.parse_args()
    other = args.other.resolve()
    other_python = other / ".venv" / "bin" / "python"
    if not other_python.exists():
        parser.error(f"{other_python} does not exist: run `make install` in {other} first")
    env = bench.child_env(bench.NOW, cold=False)
    sandbox = bench.SandboxProcess(bench.NOW)
    try:
        with tempfile.TemporaryDirectory(prefix="versus-") as tmp:
            workdir = Path(tmp)
            ours = bench.connector_command(workdir, FOUR, "minute", START)
            config = workdir / "config.json"
            url = f'"{sandbox.url}"'.encode()
            config.write_bytes(config.read_bytes().replace(b'"SANDBOX"', url))
            theirs = [str(other_python), str(other / "main.py"), *ours[1:]]
            raw = [*bench.BASELINE, sandbox.url, bench.KEY, "minute", START, bench.TODAY, *FOUR]
            bench.run_once(sandbox, raw, workdir, env)  # warm-up: the sandbox caches its bars
            results: dict[str, list[bench.Run]] = {"this": [], "other": [], "raw": []}
            print(
                f"this: {bench.ROOT}\nother: {other}\n"
                f"sandbox {sandbox.url}, python {sys.version.split()[0]}"
            )
            print(
                f"{'round':>5} {'version':8} {'records':>8} {'wall s':>7} "
                f"{'records/s':>10} {'RSS MB':>7}"
            )
            for round_ in range(1, args.runs + 1):
                # Alternate which version goes first, so neither always follows the raw loop.
                order = [("this", ours), ("other", theirs)]
                if round_ % 2 == 0:
                    order.reverse()
                for name, command in [*order, ("raw", raw)]:
                    run = bench.run_once(sandbox, command, workdir, env)
                    results[name].append(run)
                    print(
                        f"{round_:>5} {name:8} {run.records:>8} {run.wall:>7.2f} "
                        f"{run.rate:>10,.0f} {run.rss_mb:>7.1f}"
                    )
            report(results)
    finally:
        sandbox.stop()


def report(results: dict[str, list[bench.Run]]) -> None:
    """Medians, and each version's records/s against the raw loop of the same rounds."""
    counts = {name: {r.records for r in runs} for name, runs in results.items()}
    if counts["this"] != counts["other"]:
        print(f"WARNING: the versions wrote different numbers of records: {counts}")
    rate = {name: statistics.median(r.rate for r in runs) for name, runs in results.items()}
    rss = {name: statistics.median(r.rss_mb for r in runs) for name, runs in results.items()}
    print("\nmedians:")
    for name in results:
        print(f"  {name:6} {rate[name]:>10,.0f} records/s, peak RSS {rss[name]:.1f} MB")
    paired = [t.rate / o.rate for t, o in zip(results["this"], results["other"], strict=True)]
    print(f"this / other records/s: {rate['this'] / rate['other']:.3f} (ratio of the medians)")
    print(f"  per round: {', '.join(f'{p:.3f}' for p in paired)}")
    print(f"this / other peak RSS: {rss['this'] / rss['other']:.3f}")
    for name in ("this", "other"):
        print(f"{name} / raw loop records/s: {rate[name] / rate['raw']:.2f}")


if __name__ == "__main__":
    main()

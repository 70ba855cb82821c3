"""The behaviour corpus: `record` writes integration_tests/behaviour_corpus/expected/ from the
current code, `compare` runs every scenario and prints a unified diff for each that differs.

    .venv/bin/python scripts/behaviour_corpus.py compare            # exit 1 on any difference
    .venv/bin/python scripts/behaviour_corpus.py compare --subprocess   # python main.py runs
    .venv/bin/python scripts/behaviour_corpus.py record --only spec --only discover

Record only on purpose: when a change is meant to alter what the connector prints or asks,
record after it and name the scenarios that changed in the commit message.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from integration_tests.behaviour_corpus import runner  # noqa: E402
from integration_tests.behaviour_corpus.scenarios import SCENARIOS, Scenario  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("record", "compare"))
    parser.add_argument(
        "--only", action="append", metavar="NAME", help="this scenario only (repeatable)"
    )
    parser.add_argument(
        "--subprocess",
        action="store_true",
        help="run `python main.py` as a subprocess instead of the entry point in-process",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, metavar="N", help="compare N times (determinism)"
    )
    args = parser.parse_args(argv)
    scenarios = runner.select(args.only)
    if args.action == "record":
        return record(scenarios, args.subprocess)
    return compare(scenarios, args.subprocess, args.repeat)


def record(scenarios: list[Scenario], subprocess_run: bool) -> int:
    runner.EXPECTED_DIR.mkdir(exist_ok=True)
    names = {scenario.name for scenario in SCENARIOS}
    for scenario in scenarios:
        started = time.monotonic()
        text = runner.rendered(scenario, subprocess_run=subprocess_run)
        runner.expected_path(scenario).write_text(text, encoding="utf-8")
        print(f"recorded {scenario.name} ({time.monotonic() - started:.1f} s)")
    stale = [p for p in sorted(runner.EXPECTED_DIR.glob("*.txt")) if p.stem not in names]
    for path in stale:
        path.unlink()
        print(f"removed {path.name}: no scenario of that name")
    return 0


def compare(scenarios: list[Scenario], subprocess_run: bool, repeat: int) -> int:
    differing: list[str] = []
    for attempt in range(1, repeat + 1):
        for scenario in scenarios:
            started = time.monotonic()
            diff = runner.difference(
                scenario, runner.rendered(scenario, subprocess_run=subprocess_run)
            )
            took = f"{time.monotonic() - started:.1f} s"
            label = f"{scenario.name}" + (f" (run {attempt})" if repeat > 1 else "")
            if diff:
                differing.append(label)
                print(f"DIFFERS {label} ({took})\n{diff}", flush=True)
            else:
                print(f"same    {label} ({took})", flush=True)
    if differing:
        print(f"{len(differing)} scenario run(s) differ: {', '.join(differing)}")
        return 1
    print(f"all {len(scenarios) * repeat} scenario run(s) match expected/")
    return 0


if __name__ == "__main__":
    sys.exit(main())

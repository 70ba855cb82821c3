"""`make demo`'s chart: its log axis has a labelled price beside every line, and says USD
(scripts/demo.py draw_closes, on the drawn figure)."""

from __future__ import annotations

import importlib.util
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "demo.py"

# Closes of the sandbox's range: a share near 190, an index near 5,000, a coin near 50,000.
RANGES = {"AAPL": (182.4, 196.8), "I:SPX": (4690.0, 5240.0), "X:BTCUSD": (41000.0, 68000.0)}


def demo() -> ModuleType:
    spec = importlib.util.spec_from_file_location("demo", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def records(ranges: dict[str, tuple[float, float]]) -> list[dict[str, Any]]:
    """Twenty days of closes per ticker, rising from the low to the high of its range."""
    messages = []
    for ticker, (low, high) in ranges.items():
        field = "stock_ticker" if ticker == "AAPL" else "ticker"
        for day in range(20):
            close = low + (high - low) * day / 19
            when = (date(2026, 10, 1) + timedelta(days=day)).isoformat()
            data = {field: ticker, "date": when, "close": close}
            messages.append({"type": "RECORD", "record": {"stream": "s", "data": data}})
    return messages


def labelled_ticks(figure: Any) -> dict[float, str]:
    (axes,) = figure.axes
    figure.canvas.draw()
    low, high = axes.get_ylim()
    labels = [label.get_text() for label in axes.get_yticklabels()]
    return {
        tick: label
        for tick, label in zip(axes.get_yticks(), labels, strict=True)
        if label and low <= tick <= high
    }


@pytest.mark.parametrize(
    "ranges",
    [RANGES, {**RANGES, "AAPL": (301.0, 318.0)}],
    ids=["sandbox prices", "a share between 1-2-5 ticks"],
)
def test_every_line_has_a_labelled_price_beside_it_and_the_axis_says_usd(
    tmp_path: Path, ranges: dict[str, tuple[float, float]]
) -> None:
    chart = tmp_path / "closing-prices.png"

    figure = demo().draw_closes(records(ranges), chart)

    assert chart.stat().st_size > 0
    (axes,) = figure.axes
    assert axes.get_ylabel() == "close, USD (log scale)"
    ticks = labelled_ticks(figure)
    for ticker, (low, high) in ranges.items():
        beside = {label for tick, label in ticks.items() if low <= tick <= high}
        assert beside, f"no labelled price within {ticker}'s closes {low}..{high}: {ticks}"
    assert all(label.replace(",", "").isdigit() for label in ticks.values()), ticks

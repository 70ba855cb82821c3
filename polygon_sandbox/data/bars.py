"""A bar row and the arithmetic every market's bars share.

A row is a tuple `(t, o, h, l, c, v, vw, n)` with `vw`/`n` None when the bar lacks them.
"""

from __future__ import annotations

from collections.abc import Sequence

Row = tuple[int, float, float, float, float, float, float | None, int | None]


def r4(value: float) -> float:
    """Round a positive price to 4 decimals (faster than round(), which matters per minute)."""
    return int(value * 10000.0 + 0.5) / 10000.0


def retime(row: Row, t: int) -> Row:
    """The same bar stamped with another `t`."""
    return (t, row[1], row[2], row[3], row[4], row[5], row[6], row[7])


def aggregate(rows: Sequence[Row], t: int) -> Row:
    """One bar from chronological rows: first open, last close, extremes, sums, weighted vw."""
    high = rows[0][2]
    low = rows[0][3]
    volume = 0.0
    weighted = 0.0
    weighted_volume = 0.0
    trades = 0
    has_trades = False
    for row in rows:
        if row[2] > high:
            high = row[2]
        if row[3] < low:
            low = row[3]
        volume += row[5]
        if row[6] is not None:
            weighted += row[6] * row[5]
            weighted_volume += row[5]
        if row[7] is not None:
            trades += row[7]
            has_trades = True
    vw = r4(weighted / weighted_volume) if weighted_volume else None
    return (t, rows[0][1], high, low, rows[-1][4], volume, vw, trades if has_trades else None)


def start_of(row: Row) -> int:
    """A row's `t`: the key rows are searched by (bisect)."""
    return row[0]

"""Minute and second bars drawn inside a day's bar.

Minute bars of a day are drawn *inside* that day's bar: their open, close, high, low, volume and
trade count add up exactly to it, so today's partial daily bar (built from the minutes so far)
converges to the final one. Second bars are drawn inside their minute the same way.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from datetime import date

from .bars import Row, aggregate, r4
from .daily_walk import NORMALS
from .seeds import stable_int
from .trading_calendar import MINUTE_MS, Session, session
from .universe import THIN_TICKERS, split_factor


def minute_bars(
    seed: int, ticker: str, day: date, bar: Row, raw_volume: int, trades_total: int
) -> list[Row]:
    """The split-adjusted minute bars of a trading day (04:00 ET to the session end) inside
    its final bar `bar`, whose raw volume and trade count they share out."""
    t0, o, h, low, c, volume, _, _ = bar
    factor = split_factor(ticker, day)
    sess = session(day)
    count = sess.minutes
    volume_weights, sigma_weights = _profiles_for(sess)
    rng = random.Random(stable_int(seed, ticker, day.toordinal(), "minutes"))
    rand = rng.random
    normals = NORMALS
    size = float(len(normals))

    # A Brownian bridge from the open to the close, scaled to stay inside [low, high].
    walk_points = [0.0] * (count + 1)
    acc = 0.0
    for k in range(count):
        acc += normals[int(rand() * size)] * sigma_weights[k]
        walk_points[k + 1] = acc
    drift = acc / count
    bridge = [walk_points[k] - drift * k for k in range(count + 1)]
    span = h - low
    top = max(bridge)
    bottom = min(bridge)
    scale = 0.85 * span / (top - bottom) if top > bottom else 0.0
    step = (c - o) / count
    for k in range(count + 1):
        b = bridge[k]
        line = o + step * k
        if b > 0.0:
            scale = min(scale, (h - line) / b)
        elif b < 0.0:
            scale = min(scale, (low - line) / b)
    path = [o + step * k + scale * bridge[k] for k in range(count + 1)]

    # Wicks beyond the open/close of each minute, clipped to the day's range.
    wick = span * 0.01
    opens = [0.0] * count
    highs = [0.0] * count
    lows = [0.0] * count
    closes = [0.0] * count
    weights = [0.0] * count
    exp = math.exp
    for k in range(count):
        a = path[k]
        b = path[k + 1]
        reach = wick * sigma_weights[k]
        top_k = (a if a > b else b) + abs(normals[int(rand() * size)]) * reach
        bottom_k = (b if a > b else a) - abs(normals[int(rand() * size)]) * reach
        opens[k] = int(a * 10000.0 + 0.5) / 10000.0
        closes[k] = int(b * 10000.0 + 0.5) / 10000.0
        highs[k] = int((top_k if top_k < h else h) * 10000.0 + 0.5) / 10000.0
        lows[k] = int((bottom_k if bottom_k > low else low) * 10000.0 + 0.5) / 10000.0
        weights[k] = volume_weights[k] * exp(0.45 * normals[int(rand() * size)])
    opens[0] = o
    closes[-1] = c
    highs[max(range(count), key=highs.__getitem__)] = h
    lows[min(range(count), key=lows.__getitem__)] = low

    volumes = _partition(raw_volume, weights)
    bare = [rand() < 0.01 for _ in range(count)]
    with_trades = [k for k in range(count) if not bare[k]]
    trades = [0] * count
    if with_trades:
        shares = _partition(trades_total, [float(volumes[k]) for k in with_trades])
        for k, part in zip(with_trades, shares, strict=True):
            trades[k] = part

    rows: list[Row] = []
    t = t0 + sess.first_minute * MINUTE_MS
    for k in range(count):
        hk = highs[k]
        lk = lows[k]
        ck = closes[k]
        if bare[k]:
            rows.append((t, opens[k], hk, lk, ck, float(volumes[k] * factor), None, None))
        else:
            vw = int((hk + lk + ck) / 3.0 * 10000.0 + 0.5) / 10000.0
            rows.append((t, opens[k], hk, lk, ck, float(volumes[k] * factor), vw, trades[k]))
        t += MINUTE_MS
    assert sum(volumes) * factor == volume
    per_day = THIN_TICKERS.get(ticker)
    return rows if per_day is None else _thinned(rows, per_day, rng)


def second_bars(seed: int, ticker: str, day: date, minutes: list[Row]) -> list[Row]:
    """A sparse set of split-adjusted second bars inside each of the day's minute bars."""
    factor = split_factor(ticker, day)
    rng = random.Random(stable_int(seed, ticker, day.toordinal(), "seconds"))
    rand = rng.random
    rows: list[Row] = []
    for t, o, h, low, c, volume, vw, n in minutes:
        raw_volume = int(volume) // factor
        count = min(1 + int(rand() * 6), raw_volume, n if n is not None else 60)
        picked = sorted(rng.sample(range(60), count))
        points = [o]
        for _ in range(count - 1):
            points.append(r4(low + (h - low) * rand()))
        points.append(c)
        highs = [max(points[j], points[j + 1]) for j in range(count)]
        lows = [min(points[j], points[j + 1]) for j in range(count)]
        highs[max(range(count), key=highs.__getitem__)] = h
        lows[min(range(count), key=lows.__getitem__)] = low
        weights = [0.2 + rand() for _ in range(count)]
        volumes = _partition(raw_volume, weights)
        trades = _partition(n, weights) if n is not None else None
        for j in range(count):
            sv = float(volumes[j] * factor)
            st = t + picked[j] * 1000
            sc = points[j + 1]
            if vw is None or trades is None:
                rows.append((st, points[j], highs[j], lows[j], sc, sv, None, None))
            else:
                svw = r4((highs[j] + lows[j] + sc) / 3.0)
                rows.append((st, points[j], highs[j], lows[j], sc, sv, svw, trades[j]))
    return rows


def _intraday_profile(sess: Session) -> tuple[list[float], list[float]]:
    """Per-minute volume weights (U-shaped regular session, thin extended hours) and the
    matching volatility weights."""
    volume: list[float] = []
    for minute in range(sess.first_minute, sess.end_minute):
        if minute < sess.regular_open:
            span = sess.regular_open - sess.first_minute
            weight = 0.02 + 0.10 * (minute - sess.first_minute) / span
        elif minute < sess.regular_close:
            after_open = minute - sess.regular_open
            before_close = sess.regular_close - 1 - minute
            weight = 1.0 + 2.5 * math.exp(-after_open / 25.0) + 1.8 * math.exp(-before_close / 20.0)
        else:
            weight = 0.02 + 0.25 * math.exp(-(minute - sess.regular_close) / 30.0)
        volume.append(weight)
    return volume, [math.sqrt(w) for w in volume]


_PROFILES: dict[Session, tuple[list[float], list[float]]] = {}


def _profiles_for(sess: Session) -> tuple[list[float], list[float]]:
    found = _PROFILES.get(sess)
    if found is None:
        found = _PROFILES[sess] = _intraday_profile(sess)
    return found


def _partition(total: int, weights: Sequence[float]) -> list[int]:
    """Split an integer total into len(weights) parts >= 1 proportional to the weights."""
    count = len(weights)
    spare = total - count
    weight_sum = sum(weights)
    parts = [1 + int(spare * w / weight_sum) for w in weights]
    parts[max(range(count), key=weights.__getitem__)] += total - sum(parts)
    return parts


def _thinned(rows: list[Row], count: int, rng: random.Random) -> list[Row]:
    """`count` minute bars of a thinly traded day: each holds the trades of the quiet minutes
    before it, so the day's open, close, extremes and sums stay those of its daily bar."""
    last = len(rows) - 1
    picked = [*sorted(rng.sample(range(last), min(count, len(rows)) - 1)), last]
    thin: list[Row] = []
    after = 0
    for index in picked:
        thin.append(aggregate(rows[after : index + 1], rows[index][0]))
        after = index + 1
    return thin


def unadjust(rows: list[Row], factor: int) -> list[Row]:
    """Raw (as traded) rows from split-adjusted ones: prices × factor, volumes ÷ factor."""
    return [
        (
            t,
            r4(o * factor),
            r4(h * factor),
            r4(low * factor),
            r4(c * factor),
            v / factor,
            None if vw is None else r4(vw * factor),
            n,
        )
        for (t, o, h, low, c, v, vw, n) in rows
    ]

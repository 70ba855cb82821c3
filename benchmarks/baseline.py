"""The practical speed limit: a plain requests + orjson loop printing the same RECORD lines.

Fetches every ticker's whole range with `limit=50000`, following `next_url` (the fewest requests
the API allows), and writes the records the connector writes (same fields, same rendering of
time), with none of the Airbyte CDK around it. No retries, no state, no logs.

usage: baseline.py URL KEY TIMESPAN START END TICKER...
"""

from __future__ import annotations

import sys
import time
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import orjson
import requests

NEW_YORK = ZoneInfo("America/New_York")
# Record field and bar key, in the connector's field order; a missing key gives None.
BAR_FIELDS = (
    ("open", "o"),
    ("high", "h"),
    ("low", "l"),
    ("close", "c"),
    ("volume", "v"),
    ("vwap", "vw"),
    ("transactions", "n"),
)


def main() -> None:
    url, key, timespan, start, end, *tickers = sys.argv[1:]
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {key}"
    hours: dict[int, tuple[str, str]] = {}
    # Its own 64 KiB buffer, as the connector has: under PYTHONUNBUFFERED (set in Airbyte's
    # images and on some machines) sys.stdout writes through, one system call per record.
    out = open(sys.stdout.fileno(), "wb", buffering=64 * 1024, closefd=False)  # noqa: SIM115
    dumps, newline = orjson.dumps, orjson.OPT_APPEND_NEWLINE
    for ticker in tickers:
        next_url: str | None = f"{url}/v2/aggs/ticker/{ticker}/range/1/{timespan}/{start}/{end}"
        params = {"adjusted": "true", "sort": "asc", "limit": "50000"}
        while next_url:
            response = session.get(next_url, params=params, timeout=(10, 60))
            response.raise_for_status()
            body = orjson.loads(response.content)
            emitted_at = int(time.time() * 1000)
            for bar in body.get("results") or ():
                t = bar["t"]
                hour, rest = divmod(t, 3_600_000)
                cached = hours.get(hour)
                if cached is None:
                    moment = datetime.fromtimestamp(hour * 3600, timezone.utc)
                    cached = hours[hour] = (
                        moment.strftime("%Y-%m-%dT%H:"),
                        moment.astimezone(NEW_YORK).date().isoformat(),
                    )
                minutes, seconds = divmod(rest // 1000, 60)
                data = {
                    "stock_ticker": ticker,
                    "date": cached[1],
                    "timestamp": f"{cached[0]}{minutes:02d}:{seconds:02d}Z",
                    "price": bar["c"],
                    **{field: bar.get(key) for field, key in BAR_FIELDS},
                    "otc": bar.get("otc", False),
                }
                record = {"stream": "stock_prices", "data": data, "emitted_at": emitted_at}
                out.write(dumps({"type": "RECORD", "record": record}, option=newline))
            next_url = body.get("next_url")
    out.flush()


if __name__ == "__main__":
    main()

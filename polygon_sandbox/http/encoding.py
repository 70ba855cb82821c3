"""JSON encoding of responses with the vendor's number style.

The vendor's Go backend formats volumes with the shortest `%g` form, so any volume of a million
or more goes out in exponent notation (`"v":1.029145e+06`). Clients that parse JSON see the same
float; clients that pattern-match text or expect integers do not. orjson always writes plain
decimals, so such values are rewritten after encoding.
"""

from __future__ import annotations

import re
from typing import Any

import orjson

# orjson writes an integral float as digits + ".0"; seven or more digits means >= 1e6.
_BIG_VOLUME = re.compile(rb'"v":(\d{7,})\.0(?=[,}])')


def _exponent_form(match: re.Match[bytes]) -> bytes:
    digits = match.group(1)
    significant = digits.rstrip(b"0")
    mantissa = significant[:1] + (b"." + significant[1:] if len(significant) > 1 else b"")
    return b'"v":' + mantissa + b"e+%02d" % (len(digits) - 1)


def dumps(payload: Any) -> bytes:
    """Encode a response body; volumes >= 1e6 in exponent form."""
    return _BIG_VOLUME.sub(_exponent_form, orjson.dumps(payload))


def format_volume(value: float) -> str:
    """How one volume is written on the wire (for documentation and tests)."""
    return dumps({"v": value})[5:-1].decode()

"""Builds API answers from the JSON templates under unit_tests/resource/http/response/."""

from __future__ import annotations

import json
from typing import Any

from airbyte_cdk.test.mock_http import HttpResponse
from airbyte_cdk.test.mock_http.response_builder import (
    FieldPath,
    RecordBuilder,
    create_record_builder,
    find_template,
)


def template(name: str) -> dict[str, Any]:
    """A fresh copy of `resource/http/response/<name>.json`."""
    return find_template(name, __file__)


class BarBuilder(RecordBuilder):
    """One bar of the aggs.json template; `t` (its start, Unix ms) is the cursor."""

    def with_value(self, field: str, value: Any) -> BarBuilder:
        self.with_field(FieldPath(field), value)
        return self

    def without(self, field: str) -> BarBuilder:
        """Drop a field the API may leave out (`vw`, `n`, `otc`)."""
        self._record.pop(field, None)
        return self


def bar(t: int) -> BarBuilder:
    """A bar from the aggs.json template, starting at Unix ms `t`."""
    sample = create_record_builder(template("aggs"), FieldPath("results")).build()
    builder = BarBuilder(sample, id_path=None, cursor_path=FieldPath("t"))
    builder.with_cursor(t)
    return builder


def expected_record(
    date: str, timestamp: str, ticker: str = "AAPL", **changes: Any
) -> dict[str, Any]:
    """The record the connector makes of a `bar()` from the aggs.json template, with `changes`."""
    record = {
        "stock_ticker": ticker,
        "date": date,
        "timestamp": timestamp,
        "price": 172.75,
        "open": 170.76,
        "high": 172.97,
        "low": 170.51,
        "close": 172.75,
        "volume": 1029145.0,
        "vwap": 171.5053,
        "transactions": 12850,
        "otc": False,
    }
    return record | changes


class AggsResponseBuilder:
    """A 200 page of bars, optionally pointing at the next page with `next_url`."""

    def __init__(self, ticker: str = "AAPL") -> None:
        self._body = template("aggs")
        self._body["ticker"] = ticker
        self._bars: list[RecordBuilder] = []
        self._next_url: str | None = None

    def with_bar(self, record: RecordBuilder) -> AggsResponseBuilder:
        self._bars.append(record)
        return self

    def with_bars(self, *starts: int) -> AggsResponseBuilder:
        for start in starts:
            self.with_bar(bar(start))
        return self

    def with_next_url(self, next_url: str) -> AggsResponseBuilder:
        self._next_url = next_url
        return self

    def build_json(self) -> dict[str, Any]:
        body = dict(self._body)
        results = [record.build() for record in self._bars]
        body["queryCount"] = body["resultsCount"] = len(results)
        if results:
            body["results"] = results
        else:
            # What the API sends when a range holds no bar: no `results` at all.
            del body["results"]
        if self._next_url:
            body["next_url"] = self._next_url
        return body

    def build(self) -> HttpResponse:
        return HttpResponse(json.dumps(self.build_json()), 200)


def empty_response(ticker: str = "ZZZZ") -> HttpResponse:
    """200 with no bars: a range without trading, or a symbol the API does not know."""
    body = template("aggs_empty")
    body["ticker"] = ticker
    return HttpResponse(json.dumps(body), 200)


def error_response(
    status: int, name: str | None = None, headers: dict[str, str] | None = None
) -> HttpResponse:
    """An error answer from the template `<name or status>.json`."""
    return HttpResponse(json.dumps(template(name or str(status))), status, headers or {})

"""spec.yaml is the one source of bounds, defaults and choices: parse_config follows every one."""

from __future__ import annotations

from typing import Any

import pytest

from source_stock_ticker_api.config import SPEC_PROPERTIES, TIMESPANS, ConfigError, parse_config
from unit_tests.config_builder import ConfigBuilder

INTEGER_FIELDS = sorted(n for n, p in SPEC_PROPERTIES.items() if "integer" in p.get("type", ()))
DEFAULTED_FIELDS = sorted(n for n, p in SPEC_PROPERTIES.items() if "default" in p)
ENUM_FIELDS = sorted(n for n, p in SPEC_PROPERTIES.items() if "enum" in p)


pytestmark = pytest.mark.now()


def parsed_field(field: str, value: Any) -> Any:
    return getattr(parse_config(ConfigBuilder().with_field(field, value).build()), field)


def test_the_walk_covers_every_bounded_and_defaulted_field() -> None:
    assert INTEGER_FIELDS == [
        "max_concurrent_requests",
        "multiplier",
        "request_timeout_seconds",
        "requests_per_minute",
    ]
    assert DEFAULTED_FIELDS == [
        "adjusted",
        "api_url",
        "max_concurrent_requests",
        "multiplier",
        "request_timeout_seconds",
        "requests_per_minute",
        "timespan",
    ]
    assert ENUM_FIELDS == ["timespan"]


@pytest.mark.parametrize("field", INTEGER_FIELDS)
def test_every_integer_field_has_both_bounds_in_the_spec_and_in_parse_config(field: str) -> None:
    low, high = SPEC_PROPERTIES[field]["minimum"], SPEC_PROPERTIES[field]["maximum"]
    assert parsed_field(field, low) == low
    assert parsed_field(field, high) == high
    for outside in (low - 1, high + 1):
        with pytest.raises(ConfigError) as error:
            parsed_field(field, outside)
        assert error.value.message == (
            f"{field} must be a whole number from {low} to {high}, got {outside}."
        )


@pytest.mark.parametrize("field", DEFAULTED_FIELDS)
@pytest.mark.parametrize("absent", ["missing", "null"])
def test_every_default_in_the_spec_is_what_parse_config_takes(field: str, absent: str) -> None:
    builder = ConfigBuilder()
    config = (
        builder.without(field).build()
        if absent == "missing"
        else builder.with_field(field, None).build()
    )
    assert getattr(parse_config(config), field) == SPEC_PROPERTIES[field]["default"]


@pytest.mark.parametrize("choice", TIMESPANS)
def test_every_timespan_choice_in_the_spec_is_accepted(choice: str) -> None:
    assert parsed_field("timespan", choice) == choice


def test_a_timespan_outside_the_spec_lists_the_spec_choices() -> None:
    with pytest.raises(ConfigError) as error:
        parsed_field("timespan", "tick")
    choices = ", ".join(c for c in SPEC_PROPERTIES["timespan"]["enum"] if c is not None)
    assert error.value.message == f"timespan 'tick' is not one of: {choices}."

"""The project's own JSON Schemas (draft 2020-12) of the API responses the connector relies on.

The sandbox tests validate real sandbox responses against them, so a sandbox change that a
client of the real API would notice (a bar without `c`, `results: null` where the API leaves
`results` out, the key in `next_url`, an error body without `request_id`) fails the suite. The
facts come from the vendor's public API documentation and from responses seen in the wild; see
README.md beside this file.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

SCHEMA_DIR = Path(__file__).resolve().parent
CUSTOM_BARS = "urn:polygon-sandbox:custom-bars"
PREVIOUS_CLOSE = "urn:polygon-sandbox:previous-close"
GROUPED_DAILY = "urn:polygon-sandbox:grouped-daily"
ERRORS = "urn:polygon-sandbox:errors"
# Which error body the API sends with each HTTP status that has a JSON one (502/504 are HTML).
ERROR_SHAPES = {
    400: "error",
    401: "error",
    403: "notAuthorized",
    404: "notFound",
    429: "error",
    500: "error",
    503: "error",
}


@functools.cache
def registry() -> Registry:
    """Every schema in this folder under its `$id`, each checked against the 2020-12 metaschema."""
    found = Registry()
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        Draft202012Validator.check_schema(contents)
        resource = Resource.from_contents(contents)
        uri = resource.id()
        if uri is None:
            raise ValueError(f"{path.name} has no $id: nothing could refer to it")
        found = found.with_resource(uri, resource)
    return found


def validator(uri: str) -> Draft202012Validator:
    """A validator for the schema at `uri`, e.g. CUSTOM_BARS or f"{ERRORS}#/$defs/notFound"."""
    return Draft202012Validator({"$ref": uri}, registry=registry())


def error_validator(http_status: int) -> Draft202012Validator:
    """The error body the API sends with `http_status` (a KeyError if it sends no JSON one)."""
    return validator(f"{ERRORS}#/$defs/{ERROR_SHAPES[http_status]}")

"""metadata.yaml against Airbyte's metadata reference, and the files that must agree with it.

One version (pyproject, metadata, Dockerfile label, newest changelog row), one license, one
documentation URL, one base image: a release that bumps one and forgets another fails here.
"""

from __future__ import annotations

import re
import uuid
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
METADATA = yaml.safe_load((ROOT / "metadata.yaml").read_text())
DATA: dict[str, Any] = METADATA["data"]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
SPEC = yaml.safe_load((ROOT / "source_stock_ticker_api" / "spec.yaml").read_text())
DOCS = ROOT / "docs" / "stock-ticker-api.md"
DOCKERFILE = (ROOT / "Dockerfile").read_text()

# From Airbyte's ConnectorMetadataDefinitionV0 (metadata_service models): `data` forbids other keys.
REQUIRED_KEYS = {
    "name",
    "definitionId",
    "connectorType",
    "dockerRepository",
    "dockerImageTag",
    "license",
    "documentationUrl",
    "githubIssueLabel",
    "connectorSubtype",
    "releaseStage",
}
OPTIONAL_KEYS = {
    "icon",
    "connectorBuildOptions",
    "connectorTestSuitesOptions",
    "supportsDbt",
    "supportsNormalization",
    "externalDocumentationUrls",
    "maxSecondsBetweenMessages",
    "releaseDate",
    "protocolVersion",
    "erdUrl",
    "supportLevel",
    "tags",
    "registryOverrides",
    "allowedHosts",
    "releases",
    "normalizationConfig",
    "suggestedStreams",
    "resourceRequirements",
    "ab_internal",
    "remoteRegistries",
    "supportsRefreshes",
    "generated",
    "supportsFileTransfer",
    "supportsDataActivation",
    "connectorIPCOptions",
}
TEST_SUITES = {"unitTests", "integrationTests", "acceptanceTests", "liveTests"}
DOC_TYPES = {
    "api_deprecations",
    "api_reference",
    "api_release_history",
    "authentication_guide",
    "data_model_reference",
    "developer_community",
    "migration_guide",
    "openapi_spec",
    "other",
    "permissions_scopes",
    "rate_limits",
    "sql_reference",
    "status_page",
}
BASE_IMAGE = re.compile(
    r"^docker\.io/airbyte/python-connector-base:\d+\.\d+\.\d+@sha256:[0-9a-f]{64}$"
)
SEMVER = re.compile(r"^\d+\.\d+\.\d+$")


def changelog_rows() -> list[tuple[str, date, str, str]]:
    """(version, date, pull request, subject) of each row of the docs' changelog, in order."""
    text = DOCS.read_text()
    section = text.split("## Changelog", 1)[1]
    rows = []
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if len(cells) == 4 and SEMVER.match(cells[0]):
            rows.append((cells[0], date.fromisoformat(cells[1]), cells[2], cells[3]))
    return rows


def dockerfile_base_image() -> str:
    (default,) = re.findall(r"^ARG BASE_IMAGE=(\S+)$", DOCKERFILE, flags=re.MULTILINE)
    return default


def test_top_level_shape() -> None:
    assert set(METADATA) == {"data", "metadataSpecVersion"}
    assert METADATA["metadataSpecVersion"] == "1.0"


def test_data_has_every_required_key_and_no_unknown_key() -> None:
    assert REQUIRED_KEYS <= set(DATA), REQUIRED_KEYS - set(DATA)
    unknown = set(DATA) - REQUIRED_KEYS - OPTIONAL_KEYS
    assert not unknown, f"not in Airbyte's metadata reference: {unknown}"


def test_identity() -> None:
    assert uuid.UUID(DATA["definitionId"]).version == 4
    assert DATA["connectorType"] == "source"
    assert DATA["connectorSubtype"] == "api"
    assert DATA["dockerRepository"] == "airbyte/source-stock-ticker-api"
    assert DATA["githubIssueLabel"] == "source-stock-ticker-api"
    assert DATA["name"] == "Stock Ticker API"
    assert DATA["releaseStage"] in {"alpha", "beta", "generally_available", "custom"}
    assert DATA["supportLevel"] in {"community", "certified", "archived"}
    assert DATA["tags"] == ["language:python", "cdk:python"]
    assert date.fromisoformat(DATA["releaseDate"])


def test_version_is_one_everywhere() -> None:
    version = PYPROJECT["project"]["version"]
    assert SEMVER.match(version)
    assert DATA["dockerImageTag"] == version
    newest = changelog_rows()[0]
    assert newest[0] == version, f"newest changelog row is {newest[0]}, pyproject says {version}"
    assert f"LABEL io.airbyte.version={version}" in DOCKERFILE


def test_changelog_is_newest_first_with_a_subject_per_row() -> None:
    rows = changelog_rows()
    assert rows, "docs/stock-ticker-api.md has no changelog row"
    versions = [tuple(int(part) for part in row[0].split(".")) for row in rows]
    assert versions == sorted(versions, reverse=True)
    assert len(set(versions)) == len(versions)
    dates = [row[1] for row in rows]
    assert dates == sorted(dates, reverse=True)
    assert all(row[3] for row in rows)
    assert rows[-1][:2] == ("0.1.0", date(2026, 11, 23))


def test_licenses_agree() -> None:
    assert DATA["license"] == PYPROJECT["project"]["license"] == "MIT"


def test_documentation_url_matches_spec_and_docs_page() -> None:
    assert SPEC["documentationUrl"] == DATA["documentationUrl"]
    url = urlsplit(DATA["documentationUrl"])
    assert url.scheme == "https" and url.netloc == "docs.airbyte.com"
    assert url.path == f"/integrations/sources/{DOCS.stem}"


def test_base_image_is_pinned_and_the_dockerfile_uses_it() -> None:
    base_image = DATA["connectorBuildOptions"]["baseImage"]
    assert BASE_IMAGE.match(base_image)
    assert base_image == (
        "docker.io/airbyte/python-connector-base:4.0.2@sha256:"
        "9fdb1888c4264cf6fee473649ecb593f56f58e5d0096a87ee0b231777e2e3e73"
    )
    assert dockerfile_base_image() == base_image
    assert f"LABEL io.airbyte.name={DATA['dockerRepository']}" in DOCKERFILE


def test_allowed_hosts_cover_every_documented_api_url() -> None:
    hosts = DATA["allowedHosts"]["hosts"]
    assert hosts == ["api.polygon.io", "api.massive.com"]
    api_url = SPEC["connectionSpecification"]["properties"]["api_url"]
    for url in [api_url["default"], *api_url["examples"]]:
        assert urlsplit(url).hostname in hosts


def test_pypi_registry_names_the_package() -> None:
    pypi = DATA["remoteRegistries"]["pypi"]
    assert set(pypi) == {"enabled", "packageName"}
    assert isinstance(pypi["enabled"], bool)
    assert pypi["packageName"] == "airbyte-" + PYPROJECT["project"]["name"]


def test_registry_overrides() -> None:
    overrides = DATA["registryOverrides"]
    assert set(overrides) <= {"oss", "cloud"}
    assert all(isinstance(entry["enabled"], bool) for entry in overrides.values())


@pytest.mark.parametrize("option", DATA["connectorTestSuitesOptions"], ids=lambda o: o["suite"])
def test_connector_test_suites(option: dict[str, Any]) -> None:
    assert set(option) <= {"suite", "testSecrets", "testConnections"}
    assert option["suite"] in TEST_SUITES


def test_every_test_suite_has_its_directory() -> None:
    suites = {option["suite"] for option in DATA["connectorTestSuitesOptions"]}
    assert suites == {"unitTests", "integrationTests", "acceptanceTests"}
    assert (ROOT / "unit_tests").is_dir() and (ROOT / "integration_tests").is_dir()
    assert (ROOT / "acceptance-test-config.yml").is_file()


def test_external_documentation_urls() -> None:
    for entry in DATA["externalDocumentationUrls"]:
        assert set(entry) <= {"title", "url", "type", "requiresLogin"}
        assert entry["title"] and urlsplit(entry["url"]).scheme == "https"
        assert entry["type"] in DOC_TYPES


def test_icon_is_an_svg_at_the_root() -> None:
    assert DATA["icon"] == "icon.svg"
    text = (ROOT / "icon.svg").read_text()
    assert text.lstrip().startswith("<svg") and "viewBox" in text
    assert text.rstrip().endswith("</svg>")


def test_docs_page_follows_the_template() -> None:
    text = DOCS.read_text()
    headings = re.findall(r"^## (.+)$", text, flags=re.MULTILINE)
    assert headings == [
        "Prerequisites",
        "Setup guide",
        "Supported sync modes",
        "Supported streams",
        "Limitations & troubleshooting",
        "Changelog",
    ]
    assert "| Version | Date       | Pull Request | Subject |" in text
    for fact in ("5 requests per minute", "2 years", "401", "403", "429", "stock_prices"):
        assert fact in text

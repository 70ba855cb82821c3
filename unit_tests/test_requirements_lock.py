"""requirements-dev.txt, which `make install` installs, must be exactly poetry.lock.

pyproject.toml and poetry.lock are the source of truth; `make lock` re-solves the lock and
re-exports the requirements file. These checks catch a lock changed without the export (or the
reverse), a dependency declared but never locked, and a package index named in either file, so
that installs keep following the machine's own pip configuration.
"""

from __future__ import annotations

import re
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = ROOT / "requirements-dev.txt"
PIN = re.compile(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)")
HASH = re.compile(r"--hash=(sha256:[0-9a-f]{64})")

Pins = dict[tuple[str, str], set[str]]


def canonical(name: str) -> str:
    """PEP 503 name, as pip compares them."""
    return re.sub(r"[-_.]+", "-", name).lower()


def locked(lock_text: str) -> Pins:
    """(name, version) -> file hashes, for every package of a poetry.lock."""
    packages = tomllib.loads(lock_text)["package"]
    return {(canonical(p["name"]), p["version"]): {f["hash"] for f in p["files"]} for p in packages}


def required(requirements_text: str) -> Pins:
    """(name, version) -> hashes, for every requirement of a pip requirements file."""
    pins: Pins = {}
    logical = re.sub(r"\\\n", " ", requirements_text)
    for line in (raw.strip() for raw in logical.splitlines()):
        if not line or line.startswith("#"):
            continue
        match = PIN.match(line)
        assert match, f"not pinned with == in {REQUIREMENTS.name}: {line[:80]}"
        key = (canonical(match.group(1)), match.group(2))
        assert key not in pins, f"{key} twice in {REQUIREMENTS.name}"
        pins[key] = set(HASH.findall(line))
    return pins


def differences(lock: Pins, requirements: Pins) -> list[str]:
    """What a reader needs to see to fix a drift: packages missing either side, hashes apart."""
    problems = [f"only in poetry.lock: {n}=={v}" for n, v in sorted(lock.keys() - requirements)]
    problems += [
        f"only in {REQUIREMENTS.name}: {n}=={v}" for n, v in sorted(requirements.keys() - lock)
    ]
    problems += [
        f"hashes differ for {n}=={v}"
        for n, v in sorted(lock.keys() & requirements.keys())
        if lock[(n, v)] != requirements[(n, v)]
    ]
    return problems


def test_requirements_file_is_the_lock_exported() -> None:
    lock = locked((ROOT / "poetry.lock").read_text())
    requirements = required(REQUIREMENTS.read_text())
    assert differences(lock, requirements) == [], "run `make lock`"
    assert all(requirements.values()), "every requirement carries its hashes"


def test_a_drift_is_named() -> None:
    lock = {("pytest", "8.4.2"): {"sha256:" + "a" * 64}, ("ruff", "0.8.6"): {"sha256:" + "b" * 64}}
    requirements = required(
        "# header\n"
        'pytest==8.4.1 ; python_version >= "3.10" \\\n    --hash=sha256:' + "a" * 64 + "\n"
        "Ruff==0.8.6 \\\n    --hash=sha256:" + "c" * 64 + "\n"
    )
    assert differences(lock, requirements) == [
        "only in poetry.lock: pytest==8.4.2",
        f"only in {REQUIREMENTS.name}: pytest==8.4.1",
        "hashes differ for ruff==0.8.6",
    ]


def test_every_declared_dependency_is_locked() -> None:
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    declared = [
        re.split(r"[\s(<>=!~;\[]", spec, maxsplit=1)[0]
        for spec in pyproject["project"]["dependencies"]
    ]
    for group in pyproject["tool"]["poetry"].get("group", {}).values():
        declared += list(group["dependencies"])
    names = {name for name, _ in locked((ROOT / "poetry.lock").read_text())}
    assert sorted(canonical(d) for d in declared if canonical(d) not in names) == []


def test_no_package_index_is_named() -> None:
    """Installs use the machine's pip configuration: neither file may pin an index."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert "source" not in pyproject["tool"]["poetry"]
    lock = tomllib.loads((ROOT / "poetry.lock").read_text())
    assert [p["name"] for p in lock["package"] if "source" in p] == []
    options = [line for line in REQUIREMENTS.read_text().splitlines() if line.startswith("-")]
    assert options == []

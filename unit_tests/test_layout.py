"""The package's layout is its architecture: layers that import only downwards, no cycles, rooms
a reader can take in, and the CDK's private members used in one package only."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "source_stock_ticker_api"
ROOT = "source_stock_ticker_api"
# From the top down: a module may import its own package and any lower layer, never a higher
# one; the two stream families never import each other.
LAYERS: dict[str, int] = {
    "run": 6,
    "source": 5,
    "prices": 4,
    "reference": 4,
    "polygon": 3,
    "cdk": 2,
    "config": 1,
    "state_file": 1,
    "input_files": 1,
    "messages": 1,
    "bars": 1,
    "markets": 1,
    "clock": 1,
}
MAX_MODULE_LINES = 450
MAX_CLASS_LINES = 250
# Members of the CDK that are not its public interface; cdk/ holds every use, with its tests.
CDK_PRIVATES = ("_fetch_next_page", "_http_client", "_read_stream", "_session")


def modules() -> Iterator[tuple[str, Path]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join((ROOT, *parts)).removesuffix(".__init__")
        yield name, path


def imports(path: Path) -> set[str]:
    """The package's modules `path` imports (`from package import module` counts too)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith(ROOT):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names if alias.name.startswith(ROOT))
    known = {name for name, _ in modules()}
    return {name for name in found if name in known and name != ROOT}


def unit(module: str) -> str:
    """The layer unit of a module: its subpackage, or the top-level module itself."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_every_module_has_a_layer() -> None:
    assert {unit(name) for name, _ in modules()} - {""} == set(LAYERS)


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_imports_go_only_downwards(name: str, path: Path) -> None:
    if name == ROOT:
        return
    here = unit(name)
    for imported in imports(path):
        there = unit(imported)
        if there == here:
            continue
        assert LAYERS[there] < LAYERS[here] or (LAYERS[here] == LAYERS[there] == 1), (
            f"{name} imports {imported}: layer {here} ({LAYERS[here]}) may import only lower "
            f"layers, and {there} is at {LAYERS[there]}"
        )


def test_there_is_no_import_cycle() -> None:
    graph = {name: imports(path) for name, path in modules()}
    state: dict[str, int] = {}  # 1 visiting, 2 done

    def visit(name: str, trail: list[str]) -> None:
        state[name] = 1
        for imported in sorted(graph.get(name, ())):
            if state.get(imported) == 1:
                cycle = [*trail[trail.index(imported) :], imported] if imported in trail else []
                raise AssertionError(f"import cycle: {' -> '.join(cycle or [name, imported])}")
            if imported not in state:
                visit(imported, [*trail, imported])
        state[name] = 2

    for name in graph:
        if name not in state:
            visit(name, [name])


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_modules_and_classes_stay_small(name: str, path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count("\n") <= MAX_MODULE_LINES, f"{name} has {text.count(chr(10))} lines"
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.ClassDef):
            assert node.end_lineno is not None
            lines = node.end_lineno - node.lineno + 1
            assert lines <= MAX_CLASS_LINES, f"class {node.name} in {name} has {lines} lines"


@pytest.mark.parametrize(("name", "path"), list(modules()), ids=lambda v: str(v))
def test_the_cdks_private_members_are_used_in_the_cdk_package_only(name: str, path: Path) -> None:
    if unit(name) == "cdk":
        return
    code = "\n".join(
        line for line in path.read_text(encoding="utf-8").splitlines() if not _is_comment(line)
    )
    for private in CDK_PRIVATES:
        assert not re.search(rf"\.{private}\b", code), f"{name} uses the CDK's {private}"


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith("#")

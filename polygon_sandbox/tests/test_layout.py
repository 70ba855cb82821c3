"""The sandbox's layout holds: imports go downwards (endpoints → data, http; data and http
import neither each other nor the endpoints), there are no import cycles, and every family's
routes lie under its data prefix, so that fault schedules count them."""

from __future__ import annotations

import ast
from pathlib import Path

from polygon_sandbox.endpoints import FAMILIES, ROUTES

PACKAGE = Path(__file__).resolve().parents[1]
# What each layer may import from the sandbox, besides itself.
ALLOWED = {
    "polygon_sandbox.data": (),
    "polygon_sandbox.http": (),
    "polygon_sandbox.endpoints": ("polygon_sandbox.data", "polygon_sandbox.http"),
}


def _module_name(path: Path) -> str:
    parts = ("polygon_sandbox", *path.relative_to(PACKAGE).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _is_module(name: str) -> bool:
    relative = Path(*name.split(".")[1:])
    return (PACKAGE / relative).with_suffix(".py").exists() or (PACKAGE / relative).is_dir()


def _imports(path: Path) -> set[str]:
    """The sandbox modules `path` imports (a name imported from a package counts as the
    submodule it names, if it is one)."""
    name = _module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:
                child = f"{base}.{alias.name}"
                found.add(child if _is_module(child) else base)
    return {m for m in found if m == "polygon_sandbox" or m.startswith("polygon_sandbox.")}


def _graph() -> dict[str, set[str]]:
    files = [p for p in PACKAGE.rglob("*.py") if "tests" not in p.relative_to(PACKAGE).parts]
    return {_module_name(p): _imports(p) for p in files}


def test_imports_go_downwards() -> None:
    wrong = []
    for module, imported in _graph().items():
        for layer, allowed in ALLOWED.items():
            if module == layer or module.startswith(layer + "."):
                for target in imported:
                    ok = (layer, *allowed)
                    if not any(target == a or target.startswith(a + ".") for a in ok):
                        wrong.append(f"{module} imports {target}")
    assert wrong == []


def test_no_import_cycles() -> None:
    graph = _graph()
    done: set[str] = set()

    def visit(module: str, trail: tuple[str, ...]) -> None:
        assert module not in trail, " → ".join((*trail, module))
        if module in done:
            return
        for target in graph.get(module, ()):
            visit(target, (*trail, module))
        done.add(module)

    for module in graph:
        visit(module, ())


def test_every_route_lies_under_its_familys_data_prefix() -> None:
    for family in FAMILIES:
        for route in family.routes:
            assert route.pattern.startswith(family.data_prefix), (family.name, route.pattern)
            assert ROUTES.is_data_path(route.pattern)


def test_no_two_routes_answer_the_same_request() -> None:
    keys = [(route.method, route.pattern) for route in ROUTES.routes]
    assert len(keys) == len(set(keys))

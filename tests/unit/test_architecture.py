"""The shape of the code: imports only go down, nothing but entry points imports the composition
root, and composing the modules refuses duplicates. ``make arch`` runs this file alone."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest
from dbos import DBOS

from steward.bootstrap import MODULES, build
from steward.config import Settings
from steward.errors import ConfigError
from steward.module import Module, On, Subscribe
from steward.product import Plan, Product

SRC = Path(__file__).resolve().parents[2] / "src"
ENTRY_POINTS = {"steward.app", "steward.cli", "steward.__main__"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(SRC).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(
    tree: ast.Module, name: str, is_package: bool, modules: set[str]
) -> Iterator[str]:
    """Imported module names, leaving out ``if TYPE_CHECKING:`` blocks (type-only). ``from pkg
    import sub`` names the submodule, as ``import pkg.sub`` does; ``from pkg import name`` the
    package."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    package = name if is_package else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                yield sub if sub in modules else base


def import_graph() -> dict[str, set[str]]:
    files = {_module_name(p): p for p in (SRC / "steward").rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in files.items():
        tree = ast.parse(path.read_text())
        targets = _runtime_imports(tree, name, path.name == "__init__.py", set(files))
        graph[name] = {t for t in targets if t in files and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_in_src() -> None:
    assert cycles(import_graph()) == []


def test_nothing_but_entry_points_imports_bootstrap() -> None:
    importers = {m for m, targets in import_graph().items() if "steward.bootstrap" in targets}
    assert importers <= ENTRY_POINTS


def test_every_domain_declares_itself_once() -> None:
    names = [m.name for m in MODULES]
    assert len(names) == len(set(names))
    for module in MODULES:
        assert isinstance(module, Module)


@DBOS.workflow(name="tests.architecture.noop")
def _noop_workflow(domain_event_id: int) -> None:
    return None


def _not_a_workflow(domain_event_id: int) -> None:
    return None


def _handler(ctx: object) -> None:
    return None


def _settings(tmp_path: Path) -> Settings:
    return Settings(
        database_url=f"sqlite:///{tmp_path}/arch.sqlite",
        admin_token="test-admin-token-0123456789",
    )


def _product(*modules: Module) -> Product:
    return Product(name="Arch", plans=[Plan(key="p", name="P", price=1)], modules=modules)


@pytest.mark.parametrize(
    ("modules", "message"),
    [
        ((Module("inbox"),), "module 'inbox' is declared twice"),
        (
            (
                Module("a", handlers=(On("stripe", ("x.y",), _handler),)),
                Module("b", handlers=(On("stripe", ("x.y",), _handler),)),
            ),
            "registered twice for stripe x.y",
        ),
        (
            (Module("c", subscribers=(Subscribe("x.happened", _not_a_workflow),)),),
            "is not a DBOS workflow",
        ),
        (
            (
                Module("d", subscribers=(Subscribe("x.happened", _noop_workflow),)),
                Module("e", subscribers=(Subscribe("x.happened", _noop_workflow),)),
            ),
            "already subscribes to x.happened",
        ),
    ],
)
def test_composition_refuses_duplicates(
    tmp_path: Path, modules: tuple[Module, ...], message: str
) -> None:
    with pytest.raises(ConfigError, match=message):
        build(_settings(tmp_path), product=_product(*modules))


def test_a_route_declared_twice_fails_at_start(tmp_path: Path) -> None:
    from fastapi import APIRouter

    from steward.app import create_app

    twice = APIRouter()

    @twice.get("/healthz")
    def healthz() -> dict[str, str]:
        return {}

    steward = build(_settings(tmp_path), product=_product(Module("dup", routers=(twice,))))
    with pytest.raises(ConfigError, match="route GET /healthz is declared twice"):
        create_app(steward=steward)


def _calls(dependant: object) -> set[object]:
    found: set[object] = set()
    for dep in getattr(dependant, "dependencies", ()):
        found.add(getattr(dep, "call", None))
        found |= _calls(dep)
    return found


def test_every_admin_endpoint_takes_the_one_operator_identity() -> None:
    from fastapi.routing import APIRoute

    from steward.api.deps import require_operator

    admin = [
        route
        for module in MODULES
        for router in module.routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.path.startswith("/admin/")
    ]
    assert len(admin) > 40
    missing = [
        f"{r.path} {sorted(r.methods)}"
        for r in admin
        if require_operator not in _calls(r.dependant)
    ]
    assert missing == []

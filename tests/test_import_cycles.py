"""No import circles among the product's modules.

A circle means a change to one module can break the import of any other in
it, and it is usually closed by a lazy import that hides it. The GraphQL
types are left out: their circle follows the type graph (a case has a
consumer, a consumer has cases) and is broken with `strawberry.lazy`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import csm_graph

PACKAGE = Path(csm_graph.__file__).parent


def _modules() -> dict[str, Path]:
    found = {}
    for path in PACKAGE.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        parts = ("csm_graph", *path.relative_to(PACKAGE).with_suffix("").parts)
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _imports(path: Path) -> Iterator[str]:
    """Every module `path` imports when it runs (not under `TYPE_CHECKING`),
    and every name imported from one, which may itself be a module."""

    def walk(nodes: list[ast.stmt]) -> Iterator[str]:
        for node in nodes:
            if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
                yield from walk(node.orelse)
                continue
            if isinstance(node, ast.Import):
                yield from (alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                yield node.module
                yield from (f"{node.module}.{alias.name}" for alias in node.names)
            for child in ast.iter_child_nodes(node):
                if isinstance(child, ast.stmt):
                    yield from walk([child])

    yield from walk(ast.parse(path.read_text()).body)


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    graph = {
        name: {m for m in _imports(path) if m in modules} - {name} for name, path in modules.items()
    }
    return graph


def _is_graphql_type_module(name: str) -> bool:
    return name.startswith("csm_graph.schema")


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan),
    counting edges inside the GraphQL types, or outside them, only."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if _is_graphql_type_module(target) != _is_graphql_type_module(node):
                continue
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_walk_sees_a_circle_when_there_is_one() -> None:
    graph = {"csm_graph.a": {"csm_graph.b"}, "csm_graph.b": {"csm_graph.c"}}
    graph["csm_graph.c"] = {"csm_graph.a"}
    assert cycles(graph) == [["csm_graph.a", "csm_graph.b", "csm_graph.c"]]


def test_the_graph_holds_the_imports_it_should() -> None:
    graph = _graph()
    assert "csm_graph.transactions" in graph["csm_graph.jobs"]
    assert "csm_graph.jobs" in graph["csm_graph.notifications.services"]
    # An import inside a function counts: a lazy import hides a circle, it does not end it.
    assert "csm_graph.workers.settings" in graph["csm_graph.cli"]


def test_no_module_outside_the_graphql_types_imports_itself_in_a_circle() -> None:
    outside = [c for c in cycles(_graph()) if not all(map(_is_graphql_type_module, c))]
    assert outside == []

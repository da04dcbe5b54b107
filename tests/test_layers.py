"""The layers of server/ hold: pure packages import no I/O frameworks, and no
module imports another that (at run time) imports it back."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PURE = ("server.core", "server.report", "schemas")
IO_FRAMEWORKS = ("asyncio", "starlette", "redis", "uvicorn", "websockets", "sqlite3", "socket")


def _module(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _runtime_imports(path: Path, *, type_only: bool = False) -> set[str]:
    """Modules imported when ``path`` runs (with ``type_only``, also those
    under ``if TYPE_CHECKING:``)."""
    tree = ast.parse(path.read_text("utf-8"))
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        if (not type_only and isinstance(node, ast.If)
                and "TYPE_CHECKING" in ast.unparse(node.test)):
            for branch in node.orelse:
                visit(branch)
            return
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return found


def _graph(*, type_only: bool = False) -> dict[str, set[str]]:
    files = [*ROOT.joinpath("server").rglob("*.py"), *ROOT.joinpath("schemas").rglob("*.py")]
    modules = {_module(p): p for p in files}
    return {name: {m for m in _runtime_imports(path, type_only=type_only)
                   if m in modules and m != name}
            for name, path in modules.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}  # 1 = on the path, 2 = done
    path: list[str] = []

    def dfs(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt):], nxt]
            if nxt not in state and (cycle := dfs(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (cycle := dfs(start)):
            return cycle
    return None


def test_no_import_cycle_in_server() -> None:
    """Not even through imports made for type checking only."""
    assert find_cycle(_graph(type_only=True)) is None


def test_cycle_finder_finds_one() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]


def test_pure_packages_import_no_io_framework() -> None:
    offenders = []
    for pkg in PURE:
        for path in ROOT.joinpath(*pkg.split(".")).rglob("*.py"):
            for name in _runtime_imports(path):
                top = name.split(".")[0]
                if top in IO_FRAMEWORKS or any(name.startswith(p) for p in
                                               ("server.live", "server.ws", "server.web",
                                                "server.store", "server.app")):
                    offenders.append(f"{_module(path)} imports {name}")
    assert offenders == []

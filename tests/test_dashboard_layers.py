"""The dashboard's layers: imports flow one way (app and pages -> ui -> data -> access -> scrs), no module
imports another that imports it back, modules stay small, and the access policy needs no Streamlit.

The import graph is read from the source with `ast` (nothing is imported), so a test fails on the line that
adds a back-edge, before anything runs.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
APP = REPO / "streamlit_app"
# Higher imports lower, never the other way; within one layer only across its own modules.
LAYERS = {"app": 4, "app_pages": 4, "ui": 3, "data": 2, "access": 1}
MAX_MODULE_LINES = 400
MAX_PAGE_LINES = 250


def module_name(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def layer(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "streamlit_app" or len(parts) < 2:
        return None
    return LAYERS.get(parts[1])


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The `streamlit_app` modules `path` imports (at any depth in the file), resolved to module names."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # `from streamlit_app.ui import charts` imports the module streamlit_app.ui.charts
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name and name != "streamlit_app":
                found.add(name)
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(p): p for p in APP.rglob("*.py")}
    modules = set(paths)
    return {name: imports_of(path, modules) - {name} for name, path in paths.items()}


def test_every_streamlit_app_module_is_in_a_layer() -> None:
    unplaced = [m for m in import_graph() if m not in ("streamlit_app",) and layer(m) is None]
    assert unplaced == [], f"modules outside app_pages/ui/data/access: {unplaced}"


def test_imports_flow_one_way() -> None:
    back_edges = [
        f"{module} imports {target}"
        for module, targets in import_graph().items()
        for target in targets
        if layer(module) is not None and layer(target) is not None and layer(target) > layer(module)
    ]
    assert back_edges == []


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every cycle a depth-first walk meets, as the path that closes it."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    cycles: list[list[str]] = []

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                cycles.append([*path[path.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for start in sorted(graph):
        if start not in state:
            visit(start, [start])
    return cycles


def test_no_import_cycle() -> None:
    assert find_cycles(import_graph()) == []


def test_the_checks_find_a_planted_back_edge_and_cycle(tmp_path: Path) -> None:
    """The walk itself can fail: an access module importing the data layer is seen as a back-edge."""
    planted = tmp_path / "planted.py"
    planted.write_text("from streamlit_app.data import query\nimport streamlit_app.ui.format as fmt\n")
    modules = set(import_graph())
    found = imports_of(planted, modules)
    assert found == {"streamlit_app.data", "streamlit_app.data.query", "streamlit_app.ui.format"}
    assert all(layer(t) > layer("streamlit_app.access.policy") for t in found)
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]


def test_modules_and_pages_stay_small() -> None:
    sizes = {p.relative_to(REPO).as_posix(): len(p.read_text(encoding="utf-8").splitlines()) for p in APP.rglob("*.py")}
    assert {f: n for f, n in sizes.items() if n > MAX_MODULE_LINES} == {}
    pages = {f: n for f, n in sizes.items() if f.startswith("streamlit_app/app_pages/") and n > MAX_PAGE_LINES + 10}
    assert pages == {}


def test_every_data_function_that_takes_a_viewer_uses_it() -> None:
    """A viewer parameter is a promise that the function enforces access or disclosure with it."""
    unused = []
    for path in sorted((APP / "data").glob("*.py")):
        for node in ast.parse(path.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.FunctionDef) and any(a.arg == "viewer" for a in node.args.args):
                uses = [n for stmt in node.body for n in ast.walk(stmt) if isinstance(n, ast.Name) and n.id == "viewer"]
                if not uses:
                    unused.append(f"{path.name}:{node.name}")
    assert unused == []


@pytest.mark.parametrize("module", ["streamlit_app.access.policy", "scrs.disclosure", "scrs.roles"])
def test_policy_and_disclosure_import_without_streamlit(module: str) -> None:
    code = f"import sys, {module}; print('streamlit' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, check=True)
    assert out.stdout.strip() == "False"


def test_one_list_of_roles() -> None:
    """The users file, the CLI and the access policy all take their roles from `scrs.roles`."""
    from scrs import cli, users
    from scrs.roles import ROLES
    from streamlit_app.access import policy

    assert users.ROLES is ROLES
    for role in ROLES:
        assert cli.build_parser().parse_args(["users", "add", "someone", "--role", role]).role == role
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["users", "add", "someone", "--role", "superuser"])
    assert set(policy.SUPPRESSED_ROLES) | set(policy.LOG_READERS) == set(ROLES)
    for role in ROLES:
        policy.Viewer(role, "A" if role == "division" else None)
    with pytest.raises(ValueError):
        policy.Viewer("superuser")  # type: ignore[arg-type]
    for path in (REPO / "scrs" / "users.py", REPO / "scrs" / "cli.py", *APP.rglob("*.py")):
        assert '"committee", "division", "registrar", "engineer"' not in path.read_text(encoding="utf-8"), path

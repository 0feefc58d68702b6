"""Project habits a reviewer can check by hand, checked here so they stay true (issue 10, part 4)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TESTS = sorted((REPO / "tests").rglob("*.py"))


def test_tests_import_the_installed_packages_without_path_edits_or_fallbacks():
    """The packages are installed (`pip install -e .`) and tests/ is a package: no test edits sys.path or
    falls back to another import when one fails (a fallback hides a broken import path)."""
    offenders = [
        f"{path.relative_to(REPO)}:{n}"
        for path in TESTS
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"sys\.path\.(insert|append)|except\s+\(?\s*(ImportError|ModuleNotFoundError)", line)
    ]
    assert offenders == []


def test_the_fast_subset_leaves_out_pipeline_runs_and_browsers():
    makefile = (REPO / "Makefile").read_text(encoding="utf-8")
    fast = re.search(r"^test-fast:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert fast and '-m "not pipeline and not e2e and not dbt and not slow"' in fast.group(1)
    assert re.search(r"^test: lint\b", makefile, re.M), "make test runs make lint first"
    lint = re.search(r"^lint:.*\n((?:\t.*\n)+)", makefile, re.M)
    assert lint and "ruff check ." in lint.group(1) and "ruff format --check ." in lint.group(1)
    markers = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["markers"]
    assert {m.split(":")[0] for m in markers} >= {"pipeline", "e2e", "dbt", "slow"}


class _Item:
    """Just what the collection hook reads and writes on a pytest item."""

    def __init__(self, *fixturenames: str) -> None:
        self.fixturenames = list(fixturenames)
        self.markers: list[str] = []

    def add_marker(self, marker) -> None:
        self.markers.append(marker.name)


def test_tests_using_the_session_pipeline_are_marked_pipeline():
    from tests.conftest import pytest_collection_modifyitems

    items = {
        "unit": _Item("tmp_path"),
        "reads the publication": _Item("published_warehouse", "tmp_path"),
        "changes a copy": _Item("fresh_pipeline"),
        "module fixture on the run": _Item("rejected_run", "pipeline_run"),
        "extracts only": _Item("generated_extracts"),
    }
    pytest_collection_modifyitems(None, list(items.values()))
    assert {name: item.markers for name, item in items.items()} == {
        "unit": [],
        "reads the publication": ["pipeline"],
        "changes a copy": ["pipeline"],
        "module fixture on the run": ["pipeline"],
        "extracts only": ["pipeline"],
    }

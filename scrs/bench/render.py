"""Page render budget (issue #4): each dashboard page rendered by Streamlit's AppTest on the demo warehouse.

`make bench` runs this after the national benchmark. It builds the demo warehouse (`scrs generate` at the
demo scale, `scrs run`) under `.bench/demo` if it is not there, signs in as an engineer through the real
sign-in form, and renders every page: the first render (cold caches) and the median of the warm ones. The
result replaces the "Page render" section of `docs/benchmarks.md`. No time is asserted anywhere.
"""

from __future__ import annotations

import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from scrs.settings import REPO_ROOT

APP = REPO_ROOT / "streamlit_app" / "app.py"
PAGES = (
    "overview",
    "divisions",
    "trends",
    "division_detail",
    "training",
    "improvement_plan",
    "impact",
    "data_quality",
    "about",
    "downloads",
)
MARK = "<!-- bench:page-render -->"


def ensure_demo_warehouse(base: Path) -> Path:
    landing, warehouse = base / "landing", base / "warehouse"
    scrs = str(Path(sys.executable).parent / "scrs")
    if not (landing / "_truth").exists():
        subprocess.run([scrs, "generate", "--out", str(landing), "--quiet"], check=True)
    if not (warehouse / "warehouse.duckdb").exists():
        subprocess.run([scrs, "run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet"], check=True)
    return warehouse


def render_times(warehouse: Path, runs: int = 5) -> list[tuple[str, float, float]]:
    """(page, first render ms, median warm render ms) for every page, signed in as an engineer."""
    from streamlit.testing.v1 import AppTest

    from scrs.users import UsersFile

    password = secrets.token_urlsafe(16)
    users_file = Path(tempfile.mkdtemp()) / "users.json"
    UsersFile(users_file).add("bench-engineer", "engineer", None, password)
    os.environ["SCRS_WAREHOUSE_DIR"] = str(warehouse)
    os.environ["SCRS_USERS_FILE"] = str(users_file)
    at = AppTest.from_file(str(APP), default_timeout=300).run()
    at.text_input(key="login_username").input("bench-engineer")
    at.text_input(key="login_password").input(password)
    next(b for b in at.button if b.label == "Sign in").click()
    at.run()
    rows = []
    for page in PAGES:
        times = []
        for _ in range(runs):
            start = time.perf_counter()
            at.switch_page(f"app_pages/{page}.py").run()
            times.append((time.perf_counter() - start) * 1000)
            if at.exception:
                raise RuntimeError(f"page {page} raised: {at.exception[0].message}")
        rows.append((page, times[0], statistics.median(times[1:])))
    return rows


def write_section(rows: list[tuple[str, float, float]], docs: Path) -> str:
    lines = [
        MARK,
        "## Page render (demo warehouse)",
        "",
        "Each page rendered by Streamlit's AppTest (script run, queries and charts; no browser), signed in as an "
        "engineer, on the demo warehouse (`scrs generate` defaults, `scrs run`). *First* is the first render "
        "after start-up (cold caches); *warm* the median of the next four.",
        "",
        "| page | first ms | warm ms |",
        "|---|---|---|",
        *(f"| {page} | {first:,.0f} | {warm:,.0f} |" for page, first, warm in rows),
        "",
    ]
    section = "\n".join(lines)
    text = docs.read_text() if docs.exists() else "# Benchmarks\n"
    text = text.split(MARK)[0].rstrip() + "\n\n" + section
    docs.write_text(text)
    return section


def main() -> None:
    warehouse = ensure_demo_warehouse(REPO_ROOT / ".bench" / "demo")
    print(write_section(render_times(warehouse), REPO_ROOT / "docs" / "benchmarks.md"))


if __name__ == "__main__":
    main()

"""Shared fixtures: one real generator + pipeline run per test session, reused read-only by many tests.

Tests that change a warehouse copy it first (`fresh_pipeline`), so the session warehouse stays as the
pipeline published it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from filelock import FileLock

REPO = Path(__file__).resolve().parent.parent
SCRS = str(Path(sys.executable).parent / "scrs")

# Small data in tests, scale in the benchmark: two fiscal years around the 2020/21 audit.
TEST_SCALE = "0.004"
TEST_YEARS = "2019/20..2020/21"
TEST_SEED = "7"

os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
# The suite works on synthetic data only: demo mode, asked for explicitly, allows the public demo keys
# (pseudonymisation, access log; scrs/keys.py). Tests of the refusals switch it off for their own runs.
os.environ["SCRS_DEMO_MODE"] = "1"

# A test that needs any of these runs the real pipeline (once per session): marked `pipeline`, so that
# `make test-fast` (`-m "not pipeline and not e2e"`) leaves it out.
PIPELINE_FIXTURES = frozenset(
    {
        "generated_extracts",
        "pipeline_run",
        "published_warehouse",
        "fresh_pipeline",
        "worklist_sequence",
        "publication_sequence",
    }
)

# A test that needs any of these module fixtures builds or parses the dbt project against a database
# (test_dbt_rules.py's compliance build, test_improvement_plan.py's improvement build, test_orchestration.py's
# manifest): marked `dbt`, in `make test` but not `make test-fast`, which runs every dbt unit test in one
# `--empty` build instead (test_dbt_unit_tests.py). Tests that call dbt themselves carry `@pytest.mark.dbt`.
DBT_FIXTURES = frozenset({"dbt_work", "built", "defs"})


# `make test` and `make test-fast` run on two workers (`-n 2 --dist loadfile --no-loadscope-reorder`): whole
# files per worker, in this order first, so the longest files start at once and the short ones fill in at the
# end (a worker takes the next file when it has two tests or fewer left, so a one-test file brings the next with
# it). The first builds the session pipeline (its worker builds it, then the publication sequence); the second
# the shared worklist sequence (no session pipeline needed, so the other worker is not left waiting);
# test_incremental.py and the worklist browser test, which continue from those sequences, come late enough to
# find them built. Then every file costing more than ~15 s, longest first, so that what is left at the end is
# short. Wall and CPU seconds measured Nov 2026 in docs/testing.md; a file not listed keeps its place after these.
HEAVY_FILES_FIRST = (
    "test_publication.py",
    "test_worklist_pipeline.py",
    "test_service.py",
    "test_bench.py",
    # continues from test_publication.py's shared sequence (`publication_sequence`): late enough to find it built
    "test_incremental.py",
    "test_restatement.py",
    "test_resident.py",  # its own `scrs serve` and runs
    "test_dbt_gate.py",  # a full run on a restored warehouse and an incremental one (~25 CPU-s, by hand)
    "test_personal_data_scan.py",
    "e2e/test_worklist_browser.py",
    "e2e/test_accessibility_browser.py",
    "e2e/test_dashboard_browser.py",
    "test_improvement_pages.py",
    "test_dashboard_pages.py",
    "test_dbt_rules.py",
    "test_access_control.py",
    "test_disclosure_outsider.py",
    "e2e/test_improvement_browser.py",
    "test_generator.py",
    "test_disclosure_outsider_audit.py",
    "test_improvement_plan.py",
    "test_worklist_page.py",
    "test_committee_dashboard.py",
    "test_disclosure_complementary.py",
    "test_quality_screen.py",
    "e2e/test_fault_pages_browser.py",
    "test_free_text.py",
    # the two largest of `make test-fast` (one `dbt build --empty`; real argon2 hashing): not last
    "test_dbt_unit_tests.py",
    "test_auth_hardening.py",
)


def _heavy_rank(item: pytest.Item) -> int:
    path = Path(str(getattr(item, "path", "")))
    for rank, name in enumerate(HEAVY_FILES_FIRST):
        if path.match(name):
            return rank
    return len(HEAVY_FILES_FIRST)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = getattr(item, "fixturenames", ())
        if "e2e" in Path(str(getattr(item, "path", ""))).parts:  # every test under tests/e2e/ drives a real browser
            item.add_marker(pytest.mark.e2e)
        if PIPELINE_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.pipeline)
        if DBT_FIXTURES.intersection(fixtures):
            item.add_marker(pytest.mark.dbt)
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:  # every worker sorts alike, so collections still match
        items.sort(key=_heavy_rank)  # stable: the order within each file and among the rest is kept


# The suite's `scrs run`s are handed to one resident runner per worker (`scrs serve`: docs/operations.md), as
# `scrs run` does in production when the service's runner listens: each run is the same pipeline without the
# ~12 s of CPU a new process pays to import Dagster, Great Expectations and dbt (docs/testing.md). The runner
# starts at the first `scrs run` and stops with the session. A run that must be its own process (killed
# mid-run) is started with `--in-process`; test_service.py's daemon runs its own; test_resident.py tests the
# runner itself. SCRS_TEST_RUNNER=0 runs every `scrs run` in its own process instead.
_RUNNER: dict = {}


def resident_runner_socket() -> str:
    """The socket of this worker's resident runner, started on first use."""
    if "socket" not in _RUNNER:
        folder = Path(tempfile.mkdtemp(prefix="scrs-test-runner-", dir="/tmp"))  # socket paths: 107 bytes at most
        sock, log = folder / "runner.sock", folder / "serve.log"
        with open(log, "w") as out:
            proc = subprocess.Popen(
                [SCRS, "serve", "--socket", str(sock)],
                stdout=out,
                stderr=subprocess.STDOUT,
                # No standby copy after each run: tests copy a warehouse folder as soon as its run returns, and
                # the copy would be made meanwhile (tests/test_standby.py and test_resident.py test it).
                env={**os.environ, "SCRS_RUNNER_STANDBY": "0"},
                cwd=REPO,
            )
        deadline = time.monotonic() + 300
        while "ready on" not in log.read_text():
            if proc.poll() is not None or time.monotonic() > deadline:
                proc.kill()
                raise RuntimeError(f"the test session's resident runner did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.1)
        _RUNNER.update(socket=str(sock), proc=proc, log=log)
    return _RUNNER["socket"]


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    proc = _RUNNER.pop("proc", None)
    if proc is not None:
        proc.terminate()
        proc.wait(timeout=120)


def run_scrs(*args: str, env: dict[str, str] | None = None, check: bool = False) -> subprocess.CompletedProcess:
    """Run the installed `scrs` command as a user would, capturing its output (`scrs run` with this worker's
    resident runner listening, unless it asks for `--in-process` or SCRS_TEST_RUNNER=0)."""
    if args[:1] == ("run",) and "--in-process" not in args and os.environ.get("SCRS_TEST_RUNNER", "1") != "0":
        env = {"SCRS_RUNNER_SOCKET": resident_runner_socket(), **(env or {})}
    full_env = {**os.environ, **(env or {})}
    proc = subprocess.run([SCRS, *args], capture_output=True, text=True, env=full_env, cwd=REPO)
    if check and proc.returncode != 0:
        raise AssertionError(f"scrs {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def built_once(tmp_path_factory: pytest.TempPathFactory, name: str, build: Callable[[Path], None]) -> Path:
    """A folder `build` fills once per test session, also under pytest-xdist (`make test` runs `-n 2`).

    Without xdist it is a fresh temporary folder. Under xdist every worker is its own session, so the folder is
    made in the base temporary folder the workers share (`getbasetemp().parent`, new for each `pytest` run): the
    first worker to take the lock builds it, the others wait and reuse it (pytest-xdist's documented pattern).
    A failed build is recorded, and every worker that asks for it fails with the same message (no rebuild).
    """
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        out = tmp_path_factory.mktemp(name)
        build(out)
        return out
    root = tmp_path_factory.getbasetemp().parent
    out, status = root / name, root / f"{name}.status.json"
    with FileLock(str(root / f"{name}.lock")):
        if not status.exists():
            shutil.rmtree(out, ignore_errors=True)  # what a worker killed mid-build left
            out.mkdir()
            try:
                build(out)
            except BaseException as exc:
                status.write_text(json.dumps({"error": f"{type(exc).__name__}: {exc}"}))
                raise
            status.write_text(json.dumps({"error": None}))
    error = json.loads(status.read_text())["error"]
    if error is not None:
        pytest.fail(f"the shared {name} fixture failed in another worker: {error}", pytrace=False)
    return out


@pytest.fixture(scope="session", autouse=True)
def dbt_manifest_ready(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Under xdist, parse the dbt project once before any test of a `pipeline`/`dbt` session uses it.

    Every `scrs run` and Dagster definition calls `prepare_manifest()`, which re-parses into dbt/target/ when
    the manifest is older than the project (a fresh clone, an edited model). Two workers doing that at once
    would write the same manifest.json together; one parse under a lock, first, avoids it. Checked without
    importing Dagster (as scrs.freshness does), so `make test-fast` pays nothing."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        return
    if not any(item.get_closest_marker("pipeline") or item.get_closest_marker("dbt") for item in request.session.items):
        return
    from scrs.freshness import project_files

    manifest = REPO / "dbt" / "target" / "manifest.json"
    with FileLock(str(tmp_path_factory.getbasetemp().parent / "dbt-manifest.lock")):
        if manifest.exists() and all(p.stat().st_mtime <= manifest.stat().st_mtime for p in project_files()):
            return
        subprocess.run([sys.executable, "-m", "dagster_project.dbt_project"], cwd=REPO, check=True, capture_output=True)


@pytest.fixture(scope="session")
def generated_extracts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Synthetic extracts (and the generator's planted truth in `_truth/`)."""
    return built_once(tmp_path_factory, "extracts", _generate) / "landing"


def _generate(base: Path) -> None:
    out = base / "landing"
    run_scrs(
        "generate",
        "--out",
        str(out),
        "--scale",
        TEST_SCALE,
        "--years",
        TEST_YEARS,
        "--seed",
        TEST_SEED,
        "--quiet",
        check=True,
    )


@pytest.fixture(scope="session")
def pipeline_run(generated_extracts: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """`scrs run` once over the generated extracts: the landing copy, warehouse dir and output."""

    def run(base: Path) -> None:
        landing = base / "landing"
        shutil.copytree(generated_extracts, landing, ignore=shutil.ignore_patterns("_truth"))
        run_scrs("run", "--landing", str(landing), "--warehouse", str(base / "warehouse"), check=True)

    base = built_once(tmp_path_factory, "pipeline", run)
    if os.environ.get("PYTEST_XDIST_WORKER") is not None:
        # Each worker reads and writes its own copy (the dashboard's access log, review and as-reported stores),
        # as a serial session does: no test sees another worker's entries appear in the middle of it.
        own = tmp_path_factory.mktemp("pipeline")
        for part in ("landing", "warehouse"):
            shutil.copytree(base / part, own / part)
        base = own
    return {"landing": base / "landing", "warehouse": base / "warehouse", "truth": generated_extracts / "_truth"}


@pytest.fixture(scope="session")
def published_warehouse(pipeline_run: dict[str, Path]) -> Path:
    """The warehouse directory whose `warehouse.duckdb` the pipeline published (read-only use)."""
    return pipeline_run["warehouse"]


@pytest.fixture(scope="session")
def worklist_sequence(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The worklist's hand-made deliveries, review writes and rebuild (tests/worklist_sequence.py: four `scrs run`s),
    built once for tests/test_worklist_pipeline.py and tests/e2e/test_worklist_browser.py. Read-only: copy to write."""
    from tests import worklist_sequence

    return built_once(tmp_path_factory, "worklist_sequence", worklist_sequence.build)


@pytest.fixture(scope="session")
def publication_sequence(pipeline_run: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The quality gate's rejected, killed and good runs on a copy of the session publication
    (tests/publication_sequence.py), built once for tests/test_publication.py and tests/test_incremental.py,
    which continues from its end. Read-only: copy to write."""
    from tests import publication_sequence

    published = {"landing": pipeline_run["landing"], "warehouse": pipeline_run["warehouse"]}
    return built_once(tmp_path_factory, "publication_sequence", lambda out: publication_sequence.build(out, published))


@pytest.fixture(scope="session")
def draft_pack(published_warehouse: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`scrs report` for 2020/21 Q4 on the session publication, a draft (nothing recorded), built once for
    tests/test_committee_pack.py and tests/e2e/test_accessibility_browser.py (one `scrs report` is ~10 CPU-s,
    most of it the PDF). The pack is `out/`; `as_reported.sqlite` beside it is the store it was pointed at,
    which a draft must not create. Read-only."""

    def build(base: Path) -> None:
        run_scrs(
            "report", "--warehouse", str(published_warehouse), "--fiscal-year", "2020/21", "--quarter", "4",
            "--out", str(base / "out"), env={"SCRS_AS_REPORTED_DB": str(base / "as_reported.sqlite")}, check=True,
        )  # fmt: skip

    return built_once(tmp_path_factory, "draft_pack", build)


@pytest.fixture
def fresh_pipeline(pipeline_run: dict[str, Path], tmp_path: Path) -> dict[str, Path]:
    """A private copy of the published landing folder and warehouse, for tests that change them."""
    landing = tmp_path / "landing"
    warehouse = tmp_path / "warehouse"
    shutil.copytree(pipeline_run["landing"], landing)
    shutil.copytree(pipeline_run["warehouse"], warehouse)
    return {"landing": landing, "warehouse": warehouse, "truth": pipeline_run["truth"]}

"""The dashboard keeps each publication attached (scrs.warehouse.SharedReader) instead of opening the served file
per query: a new publication must still reach the next page run, and a run must still be able to publish while
the dashboard process holds the old one.

The figures each publication should show are read independently (a short-lived DuckDB connection of the test's
own, tests/dashboard_fixture.read_served), never through the app's data modules, and from the new file before it
is moved onto the served path: DuckDB shares one open database per path within a process, so reading the served
path itself could hand the test the app's old publication.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import duckdb
import pytest

from scrs.warehouse import SharedReader
from streamlit_app.data import query, reference
from tests.access_helpers import make_users_file, open_page
from tests.conftest import REPO
from tests.dashboard_fixture import PUBLISHED_RUN_ID, build_fixture_warehouse
from tests.dashboard_fixture import read_served as sql

HEADLINES = (
    "SELECT t.test_name, n.compliance_pct FROM marts.compliance_national_test n "
    "JOIN reference.audit_tests t USING (test_code) "
    "WHERE fiscal_quarter = 4 AND fiscal_year = (SELECT max(fiscal_year) FROM marts.compliance_national_test)"
)
PCT = "SELECT sum(compliance_pct) AS s FROM marts.compliance_national_test"


@pytest.fixture
def served(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fixture publication served to the app, the app's reader starting empty (and emptied afterwards)."""
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(tmp_path))
    monkeypatch.setenv("SCRS_USERS_FILE", str(make_users_file(tmp_path / "accounts" / "users.json")))
    build_fixture_warehouse(tmp_path, seed=1)
    query.READER.close()
    yield tmp_path / "warehouse.duckdb"
    query.READER.close()


def publication(directory: Path, seed: int) -> Path:
    """A fixture publication built beside the served one (in `directory`), to be moved onto it."""
    return build_fixture_warehouse(directory, seed=seed)


def headlines(warehouse_dir: Path) -> dict[str, str]:
    return {r.test_name: f"{r.compliance_pct:.2f}%" for r in sql(warehouse_dir, HEADLINES).itertuples()}


def open_descriptors_of(path: Path) -> list[str]:
    """This process's open file descriptors on `path`, the replaced file's too ("... (deleted)")."""
    fds = Path("/proc/self/fd")
    links = []
    for fd in fds.iterdir():
        try:
            links.append(os.readlink(fd))
        except OSError:
            continue
    return [link for link in links if link.startswith(str(path))]


@pytest.mark.skipif(not Path("/proc/self/fd").exists(), reason="needs /proc")
def test_a_page_after_a_swap_shows_the_new_publication_while_a_query_holds_the_old(served: Path) -> None:
    first_expected = headlines(served.parent)
    first = {m.label: m.value for m in open_page("overview").metric}
    assert first == first_expected
    old_sum = sql(served.parent, PCT)["s"].iloc[0]

    nxt = publication(served.parent / "next", seed=2)
    second_expected = headlines(nxt.parent)
    assert second_expected != first_expected, "the two publications must differ for this test to mean anything"
    with query.READER.cursor(served) as held:  # a query of another session, in flight across the swap
        os.replace(nxt, served)  # a new publication, as the pipeline publishes
        second = {m.label: m.value for m in open_page("overview").metric}
        assert second == second_expected
        # the query in flight goes on reading the publication it started on
        assert held.execute(PCT).fetchone()[0] == pytest.approx(old_sum)
        assert len(open_descriptors_of(served)) == 2, "old (held) and new publication both open"

    # the old publication is closed once its last query is done: its disk space is given back
    assert [d for d in open_descriptors_of(served) if d.endswith("(deleted)")] == []
    assert query.READER.attached_key == query.file_key()


def test_a_run_publishes_while_the_dashboard_holds_the_publication(served: Path) -> None:
    """A pipeline process prepares its build from the served file and replaces it (scrs.publish, the code a run
    publishes with) while this process has the publication attached and a cursor open on it."""
    assert reference.publication()["run_id"] == PUBLISHED_RUN_ID
    script = (
        "from scrs.publish import build_connection, prepare_build, publish_build\n"
        "from scrs.settings import Settings\n"
        "s = Settings.from_env()\n"
        "info = prepare_build(s, 'run-swap-test')\n"
        "with build_connection(s, 'run-swap-test') as con:\n"
        "    con.execute('update marts.compliance_national_test set compliance_pct = 1.0')\n"
        "publish_build(s, info)\n"
    )
    with query.READER.cursor(served) as held:
        run = subprocess.run(
            [sys.executable, "-c", script], cwd=REPO, env=os.environ.copy(), capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 0, run.stderr[-2000:]
        assert held.execute("SELECT run_id FROM meta.publication").fetchone()[0] == PUBLISHED_RUN_ID
    assert reference.publication()["run_id"] == "run-swap-test"
    assert set(reference.fiscal_periods().columns) == {"fiscal_year", "fiscal_quarter"}
    shown = query.query("SELECT DISTINCT compliance_pct FROM marts.compliance_national_test")
    assert shown["compliance_pct"].tolist() == [1.0]


def test_threads_reading_across_swaps_see_whole_publications_and_leave_nothing_open(tmp_path: Path) -> None:
    """Readers on several threads while publications are replaced under them: every answer is one
    publication's, none fails, and afterwards only the latest publication is open."""
    served = build_fixture_warehouse(tmp_path, seed=1)
    sums = {round(float(sql(tmp_path, PCT)["s"].iloc[0]), 6)}
    reader = SharedReader()
    seen: list[float] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            try:
                with reader.cursor(served) as cur:
                    seen.append(round(float(cur.execute(PCT).fetchone()[0]), 6))
            except BaseException as exc:  # noqa: BLE001 - collected and asserted below
                errors.append(exc)
                return

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    try:
        for seed in (2, 3, 4):
            nxt = publication(tmp_path / f"next{seed}", seed=seed)
            latest = round(float(sql(nxt.parent, PCT)["s"].iloc[0]), 6)
            sums.add(latest)
            os.replace(nxt, served)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert len(sums) == 4, "four different publications"
    assert seen and set(seen) <= sums
    with reader.cursor(served) as cur:
        assert round(float(cur.execute(PCT).fetchone()[0]), 6) == latest
    if Path("/proc/self/fd").exists():
        assert len(open_descriptors_of(served)) == 1
    reader.close()
    if Path("/proc/self/fd").exists():
        assert open_descriptors_of(served) == []


@pytest.mark.parametrize("error", [duckdb.FatalException, duckdb.InternalException])
def test_after_an_error_that_invalidates_duckdb_the_next_query_gets_a_new_instance(
    tmp_path: Path, error: type[duckdb.Error]
) -> None:
    """DuckDB invalidates an instance after a fatal or internal error (every later query fails the same
    way): the reader must not keep serving from it. (Raised here by hand: DuckDB has no way to cause one.)"""
    served = build_fixture_warehouse(tmp_path, seed=1)
    expected = float(sql(tmp_path, PCT)["s"].iloc[0])
    reader = SharedReader()
    with reader.cursor(served) as cur:
        first = cur.execute("SELECT current_setting('temp_directory')").fetchone()[0]
        cur.execute("SET temp_directory = ?", [first + "-marked"])  # marks this instance (a global setting)
    with pytest.raises(error), reader.cursor(served):
        raise error("database has been invalidated")
    with reader.cursor(served) as cur:
        assert cur.execute("SELECT current_setting('temp_directory')").fetchone()[0] == first, "a new instance"
        assert float(cur.execute(PCT).fetchone()[0]) == pytest.approx(expected)
    reader.close()

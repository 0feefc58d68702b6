"""What each measured process does: `python -m scrs.bench.child <job> ... --out RESULT.json`.

- `floor LANDING DB`: DuckDB reads every extract CSV of LANDING into one typed table per kind, nothing else.
- `run LANDING WAREHOUSE`: what `scrs run` does (dagster_project.runner.run_pipeline), plus the step times.
- `submit LANDING WAREHOUSE`: what `scrs run` does when a resident runner (`scrs serve`) listens: submit the
  run to it and follow it to its outcome (the run's own work is in the runner's process, measured with it).
- `dashboard WAREHOUSE`: every page's data-layer calls (streamlit_app.data), each run the first view after a
  publication (cleared caches, the publication attached afresh).

The parent (scrs.bench.measure) times the process and samples its tree's memory.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from scrs.ingest import schema
from scrs.ingest.raw import SQL_TYPES
from scrs.settings import EXTRACT_KINDS


def floor(landing: Path, db: Path) -> dict:
    from scrs.db import connect

    db.unlink(missing_ok=True)
    t0 = time.perf_counter()
    con = connect(db)
    rows: dict[str, int] = {}
    for kind in EXTRACT_KINDS:
        files = sorted(str(p) for p in landing.glob(f"{kind}_*.csv"))
        if not files:
            continue
        columns = "{" + ", ".join(f"'{c.name}': '{SQL_TYPES[c.type]}'" for c in schema.columns(kind)) + "}"
        con.execute(
            f"""CREATE TABLE {kind} AS SELECT * FROM read_csv($files, columns={columns}, header=true,
                auto_detect=false, timestampformat='{schema.TIMESTAMP_FORMAT}', dateformat='{schema.DATE_FORMAT}')""",
            {"files": files},
        ).fetchall()
        rows[kind] = con.execute(f"SELECT count(*) FROM {kind}").fetchone()[0]
    con.execute("CHECKPOINT").fetchall()
    con.close()
    seconds = time.perf_counter() - t0
    return {"seconds": seconds, "rows": rows, "db_bytes": db.stat().st_size}


def run(landing: Path, warehouse: Path) -> dict:
    from dagster_project.runner import run_pipeline

    t0 = time.perf_counter()
    outcome = run_pipeline(landing, warehouse)
    return {
        "seconds": time.perf_counter() - t0,
        "published": outcome.published,
        "reason": outcome.reason,
        "steps": [list(s) for s in outcome.steps],
    }


def submit(landing: Path, warehouse: Path) -> dict:
    """What `scrs run` does when the warehouse's resident runner listens (`SCRS_RUNNER_SOCKET`): submit, follow."""
    from scrs.resident import submit as submit_run

    t0 = time.perf_counter()
    outcome = submit_run(landing, warehouse, progress=False)
    if outcome is None:
        raise SystemExit("no resident runner is listening (SCRS_RUNNER_SOCKET)")
    return {
        "seconds": time.perf_counter() - t0,
        "published": outcome.published and outcome.error_kind is None,
        "reason": outcome.reason,
        "steps": [list(s) for s in outcome.steps],
    }


# ---------------------------------------------------------------------------------------------------------
# dashboard


def dashboard_pages(viewer) -> dict[str, list]:
    """Each page's data-layer calls as the page makes them with its default choices (streamlit_app/app_pages).

    Division detail uses Greater Glasgow (G), the largest division; the header of every page (app.py) reads
    the publication metadata.
    """
    from streamlit_app.data import compliance, quality, reference, training

    def latest_year() -> str | None:
        years = reference.fiscal_years()
        return years[-1] if years else None

    def divisions_page() -> None:
        reference.fiscal_years()
        year = reference.latest_audit_year()
        tests = reference.audit_tests()
        reference.command_areas()
        compliance.division_compliance(viewer, command_area=None, fiscal_year=year, fiscal_quarter=4)
        reference.divisions()
        compliance.national_compliance(viewer, fiscal_year=year, fiscal_quarter=4, test_code=tests["test_code"].iloc[0])

    def division_detail(all_years: bool) -> None:
        reference.divisions()
        compliance.division_compliance(viewer, division_code="G")
        year = None if all_years else latest_year()
        # Record-derived breakdowns are not shown to the committee (docs/access.md): time them as a registrar.
        registrar = type(viewer)("registrar")
        compliance.failure_reasons(registrar, "G", fiscal_year=year, fiscal_quarter=None)
        compliance.late_recording_by_unit(registrar, "G", fiscal_year=year, fiscal_quarter=None)
        compliance.late_recording_by_unit(registrar, None, fiscal_year=year, fiscal_quarter=None)

    def trends() -> None:
        tests = reference.audit_tests()
        test = tests["test_code"].iloc[0]
        compliance.national_compliance(viewer, test_code=test, fiscal_quarter=4)
        compliance.command_area_compliance(viewer, test_code=test, fiscal_quarter=4)
        area = reference.command_areas()[0]
        compliance.division_compliance(viewer, test_code=test, fiscal_quarter=4, command_area=area)

    def training_page() -> None:
        training.training_coverage(viewer)
        for by in training.TRAINING_GROUPINGS:
            training.training_rollup(viewer, by)

    def data_quality() -> None:
        quality.quality_check_results()
        quality.expectation_catalogue()
        quality.quality_runs()

    def about() -> None:
        reference.publication()
        reference.fiscal_periods()
        reference.load_registry_summary()
        reference.audit_tests()
        reference.synthetic_reference_rows()

    return {
        "Overview": [lambda: compliance.audit_headlines(viewer)],
        "Divisions": [divisions_page],
        "Division detail (latest year)": [lambda: division_detail(False)],
        "Division detail (all years)": [lambda: division_detail(True)],
        "Trends": [trends],
        "Training": [training_page],
        "Data quality": [data_quality],
        "About": [about],
    }


def dashboard(warehouse: Path, runs: int) -> dict:
    import logging
    import warnings

    os.environ["SCRS_WAREHOUSE_DIR"] = str(warehouse)
    warnings.filterwarnings("ignore")
    logging.getLogger("streamlit").setLevel(logging.ERROR)
    import streamlit as st

    from streamlit_app.access.policy import Viewer
    from streamlit_app.data.query import READER
    from streamlit_app.data.reference import publication

    for name in list(logging.root.manager.loggerDict):
        if name.startswith("streamlit"):
            logging.getLogger(name).setLevel(logging.ERROR)
    viewer = Viewer("committee")
    out: dict[str, dict] = {}
    for page, calls in dashboard_pages(viewer).items():
        times: list[float] = []
        error = None
        for _ in range(runs):
            # every run is a cold page, the first view after a publication: nothing cached, nothing attached
            st.cache_data.clear()
            READER.close()
            t0 = time.perf_counter()
            try:
                publication()  # app.py's header, on every page
                for call in calls:
                    call()
            except Exception as exc:  # a page another helper is changing: report, don't stop the benchmark
                error = f"{type(exc).__name__}: {str(exc).splitlines()[0][:200]}"
                break
            times.append(time.perf_counter() - t0)
        if error:
            out[page] = {"error": error}
        else:
            ordered = sorted(times)
            p95 = ordered[min(len(ordered) - 1, max(0, round(0.95 * len(ordered)) - 1))]
            out[page] = {"median": statistics.median(times), "p95": p95, "runs": len(times)}
    return {"pages": out}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrs.bench.child")
    parser.add_argument("job", choices=("floor", "run", "submit", "dashboard"))
    parser.add_argument("paths", nargs="+")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--out", required=True)
    args = parser.parse_args(argv)
    paths = [Path(p) for p in args.paths]
    if args.job == "floor":
        result = floor(paths[0], paths[1])
    elif args.job == "run":
        result = run(paths[0], paths[1])
    elif args.job == "submit":
        result = submit(paths[0], paths[1])
    else:
        result = dashboard(paths[0], args.runs)
    Path(args.out).write_text(json.dumps(result, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Data Docs: the site built from results held in memory (scrs/quality/data_docs.py) is page for page the site
GX builds through a data context and its validation store (the way the docs were built before, kept here as
the oracle), for passing, failing, unevaluable and missing-column results, over two extracts in one process."""

from __future__ import annotations

import dataclasses
import re
from datetime import UTC
from pathlib import Path
from typing import Any

import duckdb
import pytest
from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from scrs.ingest import discover_new_files, read_into_landing
from scrs.quality.data_docs import build_data_docs
from scrs.quality.suites import load_suite
from scrs.quality.validate import CheckResult, new_context, validate_landing
from scrs.settings import EXPECTATIONS_DIR
from tests.extract_factory import INCIDENT_COLUMNS, crime, incident, numbered, write_crimes, write_incidents


def gx_context_site(results: list[CheckResult], out: Path) -> None:
    """GX Data Docs the way GX builds them from a data context: suites added to the context, every result
    stored in its validation results store, then `build_data_docs` (the project's code before the in-memory
    build, but for the traceback of an unevaluable expectation, see below)."""
    ctx = new_context()
    for name in list(ctx.get_config().data_docs_sites or {}):
        ctx.delete_data_docs_site(name)
    ctx.add_data_docs_site(
        "scrs_quality",
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    grouped: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        grouped.setdefault((r.suite, r.file_name), []).append(r)
    suites: dict[str, Any] = {}
    for suite_name, _ in grouped:
        if suite_name not in suites:
            suites[suite_name] = ctx.suites.add(load_suite(EXPECTATIONS_DIR, suite_name).suite)
    for (suite_name, file_name), rs in sorted(grouped.items()):
        exps = suites[suite_name].expectations
        evrs = []
        for r in sorted(rs, key=lambda x: x.position if x.position is not None else -1):
            exp = exps[r.position] if r.position is not None and r.position < len(exps) else None
            if exp is None:
                continue
            result: dict[str, Any] = {}
            if r.unexpected_count is not None and r.rows_checked is not None:
                result["element_count"] = r.rows_checked
                result["unexpected_count"] = r.unexpected_count
                pct = 100.0 * r.unexpected_count / r.rows_checked if r.rows_checked else 0.0
                result["unexpected_percent"] = pct
                result["unexpected_percent_nonmissing"] = pct
                result["missing_count"] = 0
                result["missing_percent"] = 0.0
            if r.sample_lines:
                result["partial_unexpected_index_list"] = list(r.sample_lines)
                result["partial_unexpected_list"] = []
            # The one change: a traceback of "" where it was None, with which GX dropped the file's page.
            exc = {"raised_exception": bool(r.message), "exception_message": r.message, "exception_traceback": ""}
            evrs.append(
                ExpectationValidationResult(
                    success=r.success,
                    expectation_config=exp.configuration,
                    result=result,
                    exception_info=exc if r.message else None,
                    meta={"severity": r.severity, "check": r.check, "owner": r.owner},
                )
            )
        checked_at = rs[0].checked_at.replace(tzinfo=UTC)
        run_identifier = RunIdentifier(run_name=rs[0].run_id, run_time=checked_at)
        n_ok = sum(1 for e in evrs if e.success)
        suite_result = ExpectationSuiteValidationResult(
            success=not any(r.blocking and not r.success for r in rs),
            results=evrs,
            suite_name=suite_name,
            statistics={
                "evaluated_expectations": len(evrs),
                "successful_expectations": n_ok,
                "unsuccessful_expectations": len(evrs) - n_ok,
                "success_percent": 100.0 * n_ok / len(evrs) if evrs else None,
            },
            meta={
                "run_id": run_identifier,
                "validation_time": checked_at,
                "batch_spec": {"data_asset_name": file_name},
                "active_batch_definition": {
                    "datasource_name": "landing",
                    "data_connector_name": "file",
                    "data_asset_name": file_name,
                },
                "file_name": file_name,
            },
        )
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
            run_id=run_identifier,
            batch_identifier=file_name,
        )
        ctx.validation_results_store.set(key, suite_result)
    ctx.build_data_docs(site_names=["scrs_quality"])


# What differs between two builds of the same results: the build time in asset URLs, GX's random element ids.
_VOLATILE = [
    (re.compile(r"\?d=\d{8}T\d{6}\.\d+Z"), "?d=T"),
    (re.compile(r"collapse-body-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"), "collapse-body-U"),
]


def site_files(root: Path) -> dict[str, bytes]:
    """Every file of a site but our run summary, HTML with the volatile parts normalised."""
    out = {}
    for p in sorted(root.rglob("*")):
        if p.is_file() and p.name != "run_summary.html":
            data = p.read_bytes()
            if p.suffix == ".html":
                text = data.decode("utf-8")
                for pattern, repl in _VOLATILE:
                    text = pattern.sub(repl, text)
                data = text.encode("utf-8")
            out[str(p.relative_to(root))] = data
    return out


@pytest.fixture
def checked(tmp_path: Path) -> dict[str, list[CheckResult]]:
    """Results of two extracts: good files, failing rows (blocking and warning), a missing column, and an
    expectation GX could not evaluate."""
    landing = tmp_path / "landing"
    landing.mkdir()
    write_incidents(landing / "incidents_2021_01.csv", numbered(incident, 4, "incident_id", "PS-{:03d}"))
    write_incidents(
        landing / "incidents_2021_02.csv",
        [incident(incident_id="B1", grade="X"), incident(incident_id="B2", grade="X"), incident(incident_id="B2")],
    )
    write_incidents(
        landing / "incidents_2021_03.csv",
        [incident(incident_id="M1")],
        column_order=[c for c in INCIDENT_COLUMNS if c != "grade"],
    )
    write_crimes(landing / "crimes_2021_01.csv", [crime(crime_id="C1"), crime(crime_id="C2", incident_id=None)])
    con = duckdb.connect()
    out: dict[str, list[CheckResult]] = {}
    for kind in ("incidents", "crimes"):
        files = discover_new_files(con, landing, kind)
        read_into_landing(con, files, kind, pseudonym_key="test-key")
        out[kind] = validate_landing(con, kind, files, "run-docs")
    con.close()
    # A result GX could not evaluate (validate.py reports it with its message, as a failure).
    i = next(i for i, r in enumerate(out["crimes"]) if r.success and r.unexpected_count is not None)
    out["crimes"][i] = dataclasses.replace(
        out["crimes"][i], success=False, unexpected_count=None, message="expectation could not be evaluated: boom"
    )
    return out


def test_pages_are_those_gx_builds_through_its_validation_store(checked, tmp_path: Path):
    incidents = checked["incidents"]
    assert any(not r.success and r.blocking for r in incidents), "the batch must hold a blocking failure"
    assert any(not r.success and r.sample_lines for r in incidents), "... and failing lines"
    assert {r.file_name for r in incidents} == {
        "incidents_2021_01.csv",
        "incidents_2021_02.csv",
        "incidents_2021_03.csv",
    }
    for kind, results in checked.items():  # two builds in one process: the shared views carry nothing over
        build_data_docs(results, tmp_path / "ours" / kind)
        gx_context_site(results, (tmp_path / "gx" / kind).resolve())
        ours, theirs = site_files(tmp_path / "ours" / kind), site_files(tmp_path / "gx" / kind)
        assert sorted(ours) == sorted(theirs)
        assert len([n for n in ours if n.startswith("validations/")]) == len({r.file_name for r in results})
        different = [name for name in ours if ours[name] != theirs[name]]
        assert different == [], kind
    page = next((tmp_path / "ours" / "incidents" / "validations").rglob("incidents_2021_02.csv.html")).read_text()
    assert "grade" in page and "Failed" in page
    crimes_pages = (tmp_path / "ours" / "crimes" / "validations").rglob("*.html")
    assert any("boom" in p.read_text() for p in crimes_pages)

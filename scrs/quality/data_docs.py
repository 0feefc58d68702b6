"""GX Data Docs (static HTML, offline) for a run's validation results.

These are real GX Data Docs, rendered by GX's SiteBuilder from an ephemeral context: the suites are added to
it, and one GX `ExpectationSuiteValidationResult` per (file, suite) is stored in its validation results store,
assembled from this run's per-file CheckResults (the GX runs themselves cover several files at once, see
validate.py, so their raw results are not per file). Each result carries the failing-row count and the first
line numbers (`partial_unexpected_index_list`, header = line 1). Files that could not be read at all have no
GX result; they are listed on `run_summary.html` (written by us, next to GX's `index.html`), together with a
one-line-per-check table of the run.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from great_expectations.core import ExpectationSuiteValidationResult, ExpectationValidationResult
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)

from scrs.ingest.landing import FileFault
from scrs.quality.suites import load_suite
from scrs.quality.validate import CheckResult, new_context
from scrs.settings import EXPECTATIONS_DIR, SEEDS_DIR

SITE_NAME = "scrs_quality"


def _group(results: Iterable[CheckResult]) -> dict[tuple[str, str], list[CheckResult]]:
    out: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        out.setdefault((r.suite, r.file_name), []).append(r)
    return out


def build_data_docs(
    results: Sequence[CheckResult],
    data_docs_dir: Path | str,
    *,
    file_faults: Sequence[FileFault] = (),
    expectations_dir: Path | str = EXPECTATIONS_DIR,
    seeds_dir: Path | str = SEEDS_DIR,
    clean: bool = True,
) -> Path:
    """Build the site into `data_docs_dir` (rebuilt from scratch when `clean`); returns its index.html."""
    out = Path(data_docs_dir)
    if clean and out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True, exist_ok=True)

    ctx = new_context()
    for name in list(ctx.get_config().data_docs_sites or {}):
        ctx.delete_data_docs_site(name)
    ctx.add_data_docs_site(
        SITE_NAME,
        {
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )

    suites: dict[str, Any] = {}
    for suite_name, _ in _group(results):
        if suite_name not in suites:
            loaded = load_suite(expectations_dir, suite_name, seeds_dir)
            suites[suite_name] = ctx.suites.add(loaded.suite)

    for (suite_name, file_name), rs in sorted(_group(results).items()):
        suite = suites[suite_name]
        exps = suite.expectations
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
            exc = {
                "raised_exception": bool(r.message),
                "exception_message": r.message,
                "exception_traceback": None,
            }
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
        blocking_failed = any(r.blocking and not r.success for r in rs)
        suite_result = ExpectationSuiteValidationResult(
            success=not blocking_failed,
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

    ctx.build_data_docs(site_names=[SITE_NAME])
    _write_run_summary(out / "run_summary.html", results, file_faults)
    return out / "index.html"


def _write_run_summary(path: Path, results: Sequence[CheckResult], faults: Sequence[FileFault]) -> None:
    esc = html.escape
    rows = []
    for f in faults:
        rows.append((f.file, f.kind, f.severity, f.check, f.column or "", f.count, f.line_numbers, f.message, ""))
    for r in results:
        if not r.success:
            rows.append(
                (
                    r.file_name,
                    r.suite,
                    r.severity,
                    r.check,
                    r.column or "",
                    r.unexpected_count,
                    r.sample_lines,
                    r.why,
                    r.owner,
                )
            )
    body = "".join(
        "<tr class='{cls}'><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
        "<td>{}</td><td>{}</td></tr>".format(
            esc(str(a)),
            esc(str(b)),
            esc(str(c)),
            esc(str(d)),
            esc(str(e)),
            "" if n is None else n,
            esc(", ".join(map(str, lines))),
            esc(str(w or "")),
            esc(str(o or "")),
            cls=esc(str(c)),
        )
        for a, b, c, d, e, n, lines, w, o in rows
    )
    files = sorted({r.file_name for r in results} | {f.file for f in faults})
    n_block = len({r[0] for r in rows if r[2] == "blocking"})
    run_ids = sorted({r.run_id for r in results})
    path.write_text(
        f"""<!doctype html><html><head><meta charset="utf-8"><title>SCRS data quality: run summary</title>
<style>body{{font-family:sans-serif;margin:2em}}table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:4px 8px;vertical-align:top}}tr.blocking td{{background:#fde2e2}}
tr.warning td{{background:#fff6d6}}</style></head><body>
<h1>Data quality: run summary</h1>
<p>Run {esc(", ".join(run_ids) or "-")}, built {datetime.now(UTC):%Y-%m-%d %H:%M:%S} UTC.
{len(files)} file(s) checked, {n_block} with blocking failures. Line numbers are physical lines in the file,
header = line 1 (first 100). GX Data Docs per file and suite: <a href="index.html">index.html</a>.</p>
<table><tr><th>file</th><th>extract</th><th>severity</th><th>check</th><th>column</th><th>failing rows</th>
<th>first lines</th><th>why / detail</th><th>owner</th></tr>{body}</table>
{"<p>No failing checks.</p>" if not rows else ""}
</body></html>
""",
        encoding="utf-8",
    )


def write_data_docs_index(data_docs_dir: Path | str) -> Path:
    """A top-level index.html linking each extract's Data Docs and run summary (one folder per extract)."""
    root = Path(data_docs_dir)
    root.mkdir(parents=True, exist_ok=True)
    items = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir() and (p / "index.html").exists()):
        name = html.escape(folder.name)
        has_summary = (folder / "run_summary.html").exists()
        summary = f' · <a href="{name}/run_summary.html">run summary</a>' if has_summary else ""
        items.append(f'<li><a href="{name}/index.html">{name}</a>{summary}</li>')
    page = (
        "<!doctype html><html><head><meta charset='utf-8'><title>SCRS data quality: Data Docs</title></head>"
        "<body><h1>SCRS data quality: Data Docs</h1>"
        "<p>The latest Great Expectations validation of each extract, and a summary of its last run.</p>"
        f"<ul>{''.join(items) or '<li>No extract validated yet.</li>'}</ul></body></html>\n"
    )
    index = root / "index.html"
    index.write_text(page, encoding="utf-8")
    return index

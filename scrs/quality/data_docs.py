"""GX Data Docs (static HTML, offline) for a run's validation results.

These are real GX Data Docs, rendered by GX's SiteBuilder (its renderers, Jinja views, file layout, static
assets and index page) from one GX `ExpectationSuiteValidationResult` per (file, suite), assembled from this
run's per-file CheckResults (the GX runs themselves cover several files at once, see validate.py, so their raw
results are not per file). Each result carries the failing-row count and the first line numbers
(`partial_unexpected_index_list`, header = line 1). Files that could not be read at all have no GX result;
they are listed on `run_summary.html` (written by us, next to GX's `index.html`), together with a
one-line-per-check table of the run.

The SiteBuilder reads the suites and results from `_RunResults`, which holds them in memory in the form GX's
stores give back (JSON keys sorted, times as ISO text), instead of from a GX data context: a context
serialises every result into its validation store (`to_json_dict`, marshmallow, deep copies) and reads it back
twice, which was about two thirds of the cost of the docs, and the pages are the same (compared by
tests/test_data_docs.py). The Jinja views are shared by every build in a process, so GX's templates are
compiled once, not once per extract.
"""

from __future__ import annotations

import html
import json
import shutil
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from great_expectations.core.expectation_suite import ExpectationSuiteSchema
from great_expectations.core.expectation_validation_result import expectationSuiteValidationResultSchema
from great_expectations.core.run_identifier import RunIdentifier
from great_expectations.data_context.types.resource_identifiers import (
    ExpectationSuiteIdentifier,
    ValidationResultIdentifier,
)
from great_expectations.data_context.util import instantiate_class_from_config
from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView

from scrs.ingest.landing import FileFault
from scrs.quality.results import CheckResult
from scrs.quality.suites import load_suite
from scrs.settings import EXPECTATIONS_DIR, SEEDS_DIR

SITE_NAME = "scrs_quality"
_EXPECTATIONS_STORE = "expectations_store"
_VALIDATIONS_STORE = "validation_results_store"


def _group(results: Iterable[CheckResult]) -> dict[tuple[str, str], list[CheckResult]]:
    out: dict[tuple[str, str], list[CheckResult]] = {}
    for r in results:
        out.setdefault((r.suite, r.file_name), []).append(r)
    return out


class _KeyedStore:
    """What GX's site builders ask of a store: its keys, and the object stored under a key."""

    def __init__(self, items: dict[Any, Any]) -> None:
        self._items = items

    def list_keys(self) -> list[Any]:
        return list(self._items)

    def get(self, key: Any) -> Any:
        return self._items[key]


class _RunResults:
    """The part of a GX data context that SiteBuilder reads (stores, suites, one result by key), holding one
    build's suites and validation results in memory."""

    expectations_store_name = _EXPECTATIONS_STORE
    validation_results_store_name = _VALIDATIONS_STORE
    plugins_directory = None
    variables = SimpleNamespace(data_context_id=None)  # an ephemeral context has none

    def __init__(self, suites: dict[str, Any], results: dict[ValidationResultIdentifier, Any]) -> None:
        # An expectations store gives back the suite's dict (SiteSectionBuilder makes the suite from it).
        suite_schema = ExpectationSuiteSchema()
        self.stores = {
            _EXPECTATIONS_STORE: _KeyedStore(
                {
                    ExpectationSuiteIdentifier(name=name): suite_schema.loads(
                        suite_schema.dumps(suite, indent=2, sort_keys=True)
                    )
                    for name, suite in suites.items()
                }
            ),
            _VALIDATIONS_STORE: _KeyedStore(results),
        }
        self.suites = SimpleNamespace(get=suites.__getitem__)  # ValidationResultsPageRenderer reads suite meta
        self._results = results

    def get_validation_result(
        self, expectation_suite_name: str, run_id: Any = None, batch_identifier: Any = None, **_: Any
    ) -> Any:
        key = ValidationResultIdentifier(
            expectation_suite_identifier=ExpectationSuiteIdentifier(name=expectation_suite_name),
            run_id=run_id,
            batch_identifier=batch_identifier,
        )
        return self._results.get(key, {})


@cache
def _views() -> tuple[DefaultJinjaPageView, DefaultJinjaIndexPageView]:
    """GX's page and index views, one of each per process: each holds a Jinja environment that compiles GX's
    templates on first use."""
    views = DefaultJinjaPageView(), DefaultJinjaIndexPageView()
    for view in views:
        view.env.auto_reload = False  # GX's templates don't change while the process runs: no stat per use
    return views


def _as_stored(obj: dict[str, Any]) -> dict[str, Any]:
    """A result as GX's validation store writes it and reads it back: JSON, keys sorted at every level."""
    return json.loads(json.dumps(obj, sort_keys=True))


def _suite_result(
    configs: list[dict[str, Any]], suite_name: str, file_name: str, rs: list[CheckResult]
) -> tuple[ValidationResultIdentifier, Any]:
    """The validation store's key of one file's GX suite validation result, and the result as the store gives
    it back. `configs` are the suite's expectation configurations as JSON, by position."""
    evrs = []
    for r in sorted(rs, key=lambda x: x.position if x.position is not None else -1):
        if r.position is None or r.position >= len(configs):
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
        evrs.append(
            {
                "success": r.success,
                "expectation_config": configs[r.position],
                "result": result,
                # GX renders a raised exception's traceback as text: a None there (as until 28 Nov 2026) made it
                # drop the file's whole page. There is no traceback (validate.py keeps the message only).
                "exception_info": {
                    "raised_exception": bool(r.message),
                    "exception_message": r.message or None,
                    "exception_traceback": "" if r.message else None,
                },
                "meta": {"severity": r.severity, "check": r.check, "owner": r.owner},
            }
        )
    checked_at = rs[0].checked_at.replace(tzinfo=UTC)
    run_identifier = RunIdentifier(run_name=rs[0].run_id, run_time=checked_at)
    n_ok = sum(1 for e in evrs if e["success"])
    blocking_failed = any(r.blocking and not r.success for r in rs)
    stored = _as_stored(
        {
            "id": None,
            "success": not blocking_failed,
            "results": evrs,
            "suite_name": suite_name,
            "suite_parameters": {},
            "statistics": {
                "evaluated_expectations": len(evrs),
                "successful_expectations": n_ok,
                "unsuccessful_expectations": len(evrs) - n_ok,
                "success_percent": 100.0 * n_ok / len(evrs) if evrs else None,
            },
            "meta": {
                "run_id": run_identifier.to_json_dict(),
                "validation_time": checked_at.isoformat(),
                "batch_spec": {"data_asset_name": file_name},
                "active_batch_definition": {
                    "datasource_name": "landing",
                    "data_connector_name": "file",
                    "data_asset_name": file_name,
                },
                "file_name": file_name,
            },
        }
    )
    key = ValidationResultIdentifier(
        expectation_suite_identifier=ExpectationSuiteIdentifier(name=suite_name),
        run_id=run_identifier,
        batch_identifier=file_name,
    )
    return key, expectationSuiteValidationResultSchema.load(stored)


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

    grouped = _group(results)
    suites: dict[str, Any] = {}
    for suite_name, _ in grouped:
        if suite_name not in suites:
            suites[suite_name] = load_suite(expectations_dir, suite_name, seeds_dir).suite
    configs = {name: [e.configuration.to_json_dict() for e in suite.expectations] for name, suite in suites.items()}
    stored = dict(
        _suite_result(configs[suite_name], suite_name, file_name, rs)
        for (suite_name, file_name), rs in sorted(grouped.items())
    )

    builder = instantiate_class_from_config(
        config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(out.resolve())},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
        runtime_environment={
            "data_context": _RunResults(suites, stored),
            "root_directory": None,
            "site_name": SITE_NAME,
        },
        config_defaults={"module_name": "great_expectations.render.renderer.site_builder"},
    )
    page_view, index_view = _views()  # in place of the builder's own, which would compile GX's templates again
    for section in builder.site_section_builders.values():
        section.view_class = page_view
    builder.site_index_builder.view_class = index_view
    builder.build()
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

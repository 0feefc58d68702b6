"""The quality gate: GX suites as blocking asset checks on each extract's landing batch.

Free-text columns are screened for personal data as well (scrs/quality/free_text.py, a blocking file fault).
A file with a blocking fault is moved to quarantine with its report, and the check fails, which stops the
run before `raw` and dbt: nothing of that run is published. Warnings are recorded and never block. Every
run's results go to the quality history outside the rebuildable warehouse, published or not.
"""

import duckdb
from dagster import (
    AssetCheckExecutionContext,
    AssetCheckResult,
    AssetChecksDefinition,
    AssetCheckSeverity,
    asset_check,
)

from dagster_project.ingest import landed_files, load_file_faults
from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from scrs.ingest import FileFault, LandingFile
from scrs.publish import build_connection
from scrs.quality.free_text import screen_free_text
from scrs.quality.history import write_history
from scrs.quality.quarantine import quarantine
from scrs.quality.results import CheckResult, blocking_failures, one_line_reason
from scrs.settings import EXTRACT_KINDS, Settings

# Great Expectations and pandas (about 3 s of CPU to import) are imported by the two helpers below, so only a
# run with something to check pays for them.


def _validate(con: duckdb.DuckDBPyConnection, kind: str, files: list[LandingFile], run_id: str) -> list[CheckResult]:
    from scrs.quality.validate import validate_landing

    return validate_landing(con, kind, files, run_id)


def _write_data_docs(settings: Settings, kind: str, results: list[CheckResult], faults: list[FileFault]) -> None:
    from scrs.quality.data_docs import build_data_docs, write_data_docs_index

    build_data_docs(results, settings.data_docs_dir / kind, file_faults=faults)
    write_data_docs_index(settings.data_docs_dir)


def build_quality_check(kind: str) -> AssetChecksDefinition:
    @asset_check(
        asset=["landing", kind],
        name=f"{kind}_expectations",
        blocking=True,
        description=f"expectations/{kind}.json (GX): structural faults block and quarantine the file; "
        "warnings are recorded.",
    )
    def quality_check(context: AssetCheckExecutionContext, warehouse: ScrsWarehouse) -> AssetCheckResult:
        settings = warehouse.settings()
        run_id = context.op_execution_context.run_id
        with build_connection(settings, run_id) as con:
            faults = load_file_faults(con, kind)
            files = landed_files(con, kind, settings.landing_dir)
            results = _validate(con, kind, files, run_id) if files else []
            faults += screen_free_text(con, kind, [f.name for f in files])  # staff numbers, ranks and names
        failures = blocking_failures(results, faults)
        if results or faults:
            write_history([*results, *faults], settings.quality_history_dir, run_id)
            _write_data_docs(settings, kind, results, faults)
        quarantined = [
            str(quarantine(settings.landing_dir / name, items, settings.quarantine_dir, run_id=run_id))
            for name, items in failures.items()
        ]
        warnings = sum(1 for r in results if not r.success and not r.blocking)
        warnings += sum(1 for f in faults if not f.blocking)
        if results or faults:
            outcome = one_line_reason(failures) if failures else "every blocking check passed"
            report(context, f"quality {kind}: {outcome}; {warnings} warning(s)")
        return AssetCheckResult(
            passed=not failures,
            severity=AssetCheckSeverity.ERROR,
            metadata={
                "reason": one_line_reason(failures) if failures else "every blocking check passed",
                "files_checked": len(files) + len({f.file for f in faults}),
                "blocking_failures": sum(len(v) for v in failures.values()),
                "warnings": warnings,
                "quarantined": ", ".join(quarantined) or "none",
            },
        )

    return quality_check


quality_checks: list[AssetChecksDefinition] = [build_quality_check(kind) for kind in EXTRACT_KINDS]

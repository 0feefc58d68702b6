"""Data quality: GX suites over landing rows, per-file results, quarantine, history and the QA catalogue.

    results = validate_landing(con, kind, files, run_id)          # one CheckResult per expectation and file
    failures = blocking_failures(results, file_faults)            # {file name: [blocking failures]}
    for name, items in failures.items():
        quarantine(landing_dir / name, items, quarantine_dir, run_id=run_id)
    write_history([*results, *file_faults], history_dir, run_id)  # DIR/quality/history/<run_id>.parquet
    build_data_docs(results, data_docs_dir, file_faults=file_faults)
    reason = one_line_reason(failures)                             # for stderr when the run stops

At publish: load_history_into(con, history_dir); load_expectation_catalogue(con, expectations_dir).
"""

import importlib
import logging
from typing import Any

# GX logs every ephemeral context and docs-site detail at INFO; keep pipeline logs readable.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

# Imported on first use (PEP 562), so that `scrs.quality.free_text` (the review store's note screen, on the
# export and dashboard paths) does not pay Great Expectations' import, several seconds, through this package.
_HOME = {
    "build_data_docs": "data_docs",
    "load_expectation_catalogue": "history",
    "load_history_into": "history",
    "write_history": "history",
    "quarantine": "quarantine",
    "SuiteError": "suites",
    "expectation_catalogue": "suites",
    "load_suite": "suites",
    "CheckResult": "validate",
    "blocking_failures": "validate",
    "one_line_reason": "validate",
    "validate_landing": "validate",
}


def __getattr__(name: str) -> Any:
    if name not in _HOME:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_HOME[name]}"), name)
    globals()[name] = value
    return value


__all__ = [
    "CheckResult",
    "SuiteError",
    "blocking_failures",
    "build_data_docs",
    "expectation_catalogue",
    "load_expectation_catalogue",
    "load_history_into",
    "load_suite",
    "one_line_reason",
    "quarantine",
    "validate_landing",
    "write_history",
]

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

# Names are imported on first use (PEP 562), so importing one light submodule (free_text, which the review
# store and the dashboard use) does not import Great Expectations (seconds of CPU per process).
_EXPORTS = {
    "build_data_docs": "data_docs",
    "load_expectation_catalogue": "history",
    "load_history_into": "history",
    "write_history": "history",
    "quarantine": "quarantine",
    "SuiteError": "suites",
    "expectation_catalogue": "suites",
    "load_suite": "suites",
    "CheckResult": "results",
    "blocking_failures": "results",
    "one_line_reason": "results",
    "validate_landing": "validate",
}


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{_EXPORTS[name]}"), name)
    globals()[name] = value
    return value


__all__ = sorted(_EXPORTS)

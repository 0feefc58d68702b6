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

import logging

from scrs.quality.data_docs import build_data_docs
from scrs.quality.history import load_expectation_catalogue, load_history_into, write_history
from scrs.quality.quarantine import quarantine
from scrs.quality.suites import SuiteError, expectation_catalogue, load_suite
from scrs.quality.validate import (
    CheckResult,
    blocking_failures,
    one_line_reason,
    validate_landing,
)

# GX logs every ephemeral context and docs-site detail at INFO; keep pipeline logs readable.
logging.getLogger("great_expectations").setLevel(logging.WARNING)

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

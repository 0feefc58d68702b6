"""Data quality: GX suites over landing rows, per-file results, quarantine, history and the QA catalogue."""

from scrs.quality.validate import (
    CheckResult,
    blocking_failures,
    one_line_reason,
    validate_landing,
)

__all__ = ["CheckResult", "blocking_failures", "one_line_reason", "validate_landing"]

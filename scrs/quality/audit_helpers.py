"""Helper columns of `audit_outcomes` (the registrars' verdicts), computed by DuckDB before validation.

The structural faults of contract section 6 that need more than one value of a row, as 'Y' / 'N' columns
the suite (expectations/audit_outcomes.json) checks with `expect_column_values_to_be_in_set ['Y']`:

- `_sample_known`: the sample_id is a registered sample: in `raw.audit_sample` (earlier runs) or in
  `landing.audit_sample` (delivered in this run). NULL when sample_id is empty.
- `_record_in_sample`: (sample_id, test_code, record_id) is a record of that sample. NULL when the sample is
  unknown (that fault is reported once, by `_sample_known`) or a key column is empty.
- `_reason_codes_known`: every `;`-separated code of failure_reasons (trimmed; an empty part is not a code)
  is a failure reason of some test (seeds/audit_tests.csv). NULL when failure_reasons is empty.
- `_reasons_of_test`: every code belongs to the row's own test. NULL when a code is unknown (reported by
  `_reason_codes_known`), the test is unknown or failure_reasons is empty.

Reasons on a COMPLIANT verdict, or none on a NON_COMPLIANT one, need no helper: the suite checks them with a
row condition on `verdict`.
"""

from __future__ import annotations

import duckdb

from scrs.audit.reference import reasons_by_test
from scrs.db import table_exists


def _text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _list(values: list[str] | tuple[str, ...]) -> str:
    return "[" + ", ".join(_text(v) for v in values) + "]::VARCHAR[]"


def outcome_helper_parts(con: duckdb.DuckDBPyConnection) -> tuple[list[str], list[str], list[str]]:
    """(CTEs, helper expressions, joins) over the CTE `l` (landing rows of audit_outcomes being checked)."""
    sources = [
        f"SELECT DISTINCT sample_id, test_code, record_id FROM {schema}.audit_sample "
        "WHERE sample_id IN (SELECT sample_id FROM l)"
        for schema in ("raw", "landing")
        if table_exists(con, schema, "audit_sample")
    ]
    ctes: list[str] = []
    joins: list[str] = []
    if sources:
        ctes += [
            f"registered AS (SELECT DISTINCT * FROM ({' UNION ALL '.join(sources)}))",
            "registered_ids AS (SELECT DISTINCT sample_id FROM registered)",
        ]
        joins += [
            "LEFT JOIN registered_ids ri ON ri.sample_id = l.sample_id",
            """LEFT JOIN registered rs ON rs.sample_id = l.sample_id AND rs.test_code = l.test_code
                AND rs.record_id = l.record_id""",
        ]
        known, in_sample = "ri.sample_id IS NOT NULL", "rs.record_id IS NOT NULL"
    else:
        known, in_sample = "false", "false"

    by_test = reasons_by_test()
    every = sorted({r for reasons in by_test.values() for r in reasons})
    parts = "list_transform(string_split(l.failure_reasons, ';'), lambda x: trim(x))"
    all_known = f"list_bool_and(list_transform({parts}, lambda x: list_contains({_list(every)}, x)))"
    own = "CASE l.test_code " + " ".join(f"WHEN {_text(t)} THEN {_list(r)}" for t, r in by_test.items()) + " END"
    helpers = [
        f"CASE WHEN l.sample_id IS NULL THEN NULL WHEN {known} THEN 'Y' ELSE 'N' END AS _sample_known",
        f"""CASE WHEN l.sample_id IS NULL OR l.test_code IS NULL OR l.record_id IS NULL OR NOT ({known})
            THEN NULL WHEN {in_sample} THEN 'Y' ELSE 'N' END AS _record_in_sample""",
        f"""CASE WHEN l.failure_reasons IS NULL THEN NULL WHEN {all_known} THEN 'Y' ELSE 'N' END
            AS _reason_codes_known""",
        f"""CASE WHEN l.failure_reasons IS NULL OR NOT coalesce({all_known}, false) OR ({own}) IS NULL THEN NULL
            WHEN list_bool_and(list_transform({parts}, lambda x: list_contains({own}, x))) THEN 'Y' ELSE 'N' END
            AS _reasons_of_test""",
    ]
    return ctes, helpers, joins

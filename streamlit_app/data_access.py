"""Every query the dashboard makes, in one place.

Rules this module keeps (docs/architecture.md, ../shared/stack-notes.md):
- It reads only the published warehouse, `Settings.from_env().served_db`, and only what dbt and the
  pipeline already built (marts, reference seeds, quality copy, publication metadata). It never recomputes a
  rate, an interval or a status; the only arithmetic is on mart columns (a change between two published
  rates, counts summed over a grouping the marts do not have).
- Each query opens a short-lived READ-ONLY DuckDB connection, fetches everything, and closes it. No
  connection is ever held, so a pipeline run can always replace the served file (`os.replace`).
- Results are cached with `st.cache_data`, keyed on the served file's identity (path, mtime, size, inode)
  plus the SQL and its parameters: a new publication is a new file, so the next page run sees it.
- SQL is parameterised (`?`); identifiers come only from constants in this module, never from user input.
- Every public function takes the `viewer`; committee views get `suppress_small_cells` here, not in pages,
  and record-derived data of a division is refused to a viewer who may not see it.
- Access control is enforced here and nowhere else (docs/access.md): the viewer is the one the signed-in
  session resolved to (`streamlit_app.auth`); record-level data and downloads are scoped to it in
  parameterised SQL (`scrs.export`'s queries); every refusal raises `AccessDenied` and is written to the
  access log, and so is every download.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import streamlit as st

from scrs import access_log as _access_log
from scrs.settings import Settings
from scrs.warehouse import NoPublicationError, read_only
from streamlit_app.viewer import Viewer

RATE_VALUE_COLUMNS = ("compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct")
TRAINING_VALUE_COLUMNS = ("assigned", "in_progress", "completed", "completion_pct")
TRAINING_GROUPINGS = ("unit_code", "role_cluster", "course_code")


class DataUnavailable(Exception):
    """The published warehouse, or a table the page needs, is not there (yet). Shown as st.info."""


class AccessDenied(Exception):
    """The viewer may not see this data."""


def log_event(viewer: Viewer | None, event: str, **fields: Any) -> None:
    """Append to the access log (`Settings.access_log`) on behalf of `viewer`."""
    _access_log.append(
        settings().access_log,
        event,
        user=None if viewer is None else viewer.username,
        role=None if viewer is None else viewer.role,
        division=None if viewer is None else viewer.division_code,
        **fields,
    )


def _deny(viewer: Viewer, message: str, *, scope: str | None = None, detail: str | None = None) -> None:
    """Log the refused attempt, then raise `AccessDenied` with `message` (shown to the user)."""
    log_event(viewer, "access_denied", scope=scope, detail=detail or message)
    raise AccessDenied(message)


# --------------------------------------------------------------------------------------------------------
# Connection, cache and settings


def settings() -> Settings:
    return Settings.from_env()


def served_db_path() -> Path:
    return settings().served_db


def _file_key() -> tuple[str, int, int, int]:
    path = served_db_path()
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise DataUnavailable(
            f"Nothing has been published yet: there is no warehouse at `{path}`. "
            "Run the pipeline (`make demo` builds a demonstration warehouse), then reload this page."
        ) from None
    return (str(path), stat.st_mtime_ns, stat.st_size, stat.st_ino)


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached_query(file_key: tuple[str, int, int, int], sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    # file_key names the file and, through its mtime/size/inode, the publication: a replaced served file
    # is a new cache key. The connection is read-only and closed before returning (scrs.warehouse).
    with read_only(Path(file_key[0])) as con:
        return con.execute(sql, list(params)).df()


def _query(sql: str, params: Sequence[Any] = ()) -> pd.DataFrame:
    key = _file_key()
    try:
        return _cached_query(key, sql, tuple(params))
    except NoPublicationError as exc:  # removed between the stat and the connect
        raise DataUnavailable(str(exc)) from exc
    except duckdb.CatalogException as exc:
        raise DataUnavailable(
            f"The published warehouse at `{key[0]}` does not have what this page needs "
            f"({str(exc).splitlines()[0]}). It may come from an older pipeline; run the pipeline again."
        ) from exc
    except duckdb.IOException as exc:
        raise DataUnavailable(
            f"The published warehouse at `{key[0]}` could not be opened read-only "
            f"({str(exc).splitlines()[0]}). Try again in a moment."
        ) from exc


def _tables() -> set[str]:
    frame = _query("SELECT table_schema || '.' || table_name AS name FROM information_schema.tables")
    return set(frame["name"])


def _where(filters: Mapping[str, Any], allowed: Iterable[str], alias: str = "m") -> tuple[str, list[Any]]:
    """`WHERE` from fixed column names (checked against `allowed`) and parameterised values.

    None means no filter; a list or tuple becomes `IN (?, ...)`.
    """
    allowed = set(allowed)
    clauses: list[str] = []
    params: list[Any] = []
    for column, value in filters.items():
        if column not in allowed:
            raise ValueError(f"not a filterable column: {column!r}")
        if value is None:
            continue
        if isinstance(value, list | tuple):
            if not value:
                clauses.append("FALSE")
                continue
            clauses.append(f"{alias}.{column} IN ({', '.join('?' * len(value))})")
            params.extend(value)
        else:
            clauses.append(f"{alias}.{column} = ?")
            params.append(value)
    return ("WHERE " + " AND ".join(clauses)) if clauses else "", params


# --------------------------------------------------------------------------------------------------------
# Disclosure control


def suppress_small_cells(
    df: pd.DataFrame,
    min_records: int,
    *,
    count_col: str = "examined",
    value_cols: Sequence[str] = RATE_VALUE_COLUMNS,
    status_col: str | None = "status",
    flag_col: str = "suppressed",
    exempt: pd.Series | None = None,
) -> pd.DataFrame:
    """Blank the figures of every row built on fewer than `min_records` records.

    `count_col` stays (it says why the row is blank) unless it is itself listed in `value_cols`; the
    values become missing, `status_col` (if present) becomes "suppressed", and `flag_col` marks the rows.
    Rows where `exempt` is true (a division user's own division) are left as they are.
    """
    out = df.copy()
    if count_col not in out.columns:
        raise KeyError(f"suppress_small_cells: no column {count_col!r}")
    counts = pd.to_numeric(out[count_col], errors="coerce")
    small = (counts < min_records).fillna(False).astype(bool)
    if exempt is not None:
        small = small & ~exempt.reindex(out.index).fillna(False).astype(bool)
    for column in value_cols:
        if column in out.columns:
            out[column] = out[column].astype("float64").where(~small)
    if status_col and status_col in out.columns:
        out[status_col] = out[status_col].astype("object").where(~small, "suppressed")
    out[flag_col] = small
    return out


def _for_viewer(
    df: pd.DataFrame,
    viewer: Viewer,
    *,
    own_col: str | None = None,
    own_scope: str | None = None,
    **kwargs: Any,
) -> pd.DataFrame:
    """Disclosure control for this viewer: committee-facing rows built on few records are suppressed.

    A division user sees its own division unsuppressed: rows whose `own_col` is its division code, or every
    row when the query was limited to its division (`own_scope`).
    """
    if viewer.suppresses_small_cells and not viewer.sees_unsuppressed(own_scope):
        exempt = None
        if own_col is not None and own_col in df.columns and viewer.role == "division":
            exempt = df[own_col].eq(viewer.division_code)
        return suppress_small_cells(df, settings().disclosure_min_records, exempt=exempt, **kwargs)
    out = df.copy()
    out[kwargs.get("flag_col", "suppressed")] = False
    return out


# --------------------------------------------------------------------------------------------------------
# Reference data and periods


def audit_tests(viewer: Viewer) -> pd.DataFrame:
    """The five tests with their definitions, in display order (seed `reference.audit_tests`)."""
    return _query(
        "SELECT test_code, test_name, display_order, population, compliant_when, failure_reasons, dated_by "
        "FROM reference.audit_tests ORDER BY display_order"
    )


def divisions(viewer: Viewer) -> pd.DataFrame:
    """Divisions with name and command area, ordered by command area then name."""
    return _query(
        "SELECT division_code, division_name, command_area FROM reference.divisions "
        "ORDER BY CASE command_area WHEN 'North' THEN 1 WHEN 'East' THEN 2 WHEN 'West' THEN 3 ELSE 4 END, "
        "division_name"
    )


def command_areas(viewer: Viewer) -> list[str]:
    return list(dict.fromkeys(divisions(viewer)["command_area"]))


def fiscal_periods(viewer: Viewer) -> pd.DataFrame:
    """Every (fiscal_year, fiscal_quarter) that has national figures, oldest first."""
    return _query("SELECT DISTINCT fiscal_year, fiscal_quarter FROM marts.compliance_national_test ORDER BY 1, 2")


def fiscal_years(viewer: Viewer) -> list[str]:
    return list(dict.fromkeys(fiscal_periods(viewer)["fiscal_year"]))


def latest_audit_year(viewer: Viewer) -> str | None:
    """The latest financial year with Q4 figures (the annual audit view), or None."""
    frame = _query("SELECT max(fiscal_year) AS y FROM marts.compliance_national_test WHERE fiscal_quarter = 4")
    value = frame["y"].iloc[0]
    return None if pd.isna(value) else str(value)


def previous_audit_year(viewer: Viewer, fiscal_year: str) -> str | None:
    frame = _query(
        "SELECT max(fiscal_year) AS y FROM marts.compliance_national_test WHERE fiscal_quarter = 4 AND fiscal_year < ?",
        [fiscal_year],
    )
    value = frame["y"].iloc[0]
    return None if pd.isna(value) else str(value)


# --------------------------------------------------------------------------------------------------------
# Compliance marts

_COMPLIANCE_SELECT = """
SELECT m.*, t.test_name, t.display_order, m.fiscal_year || ' Q' || m.fiscal_quarter AS period
FROM {table} m JOIN reference.audit_tests t USING (test_code)
{where}
ORDER BY m.fiscal_year, m.fiscal_quarter, t.display_order{extra_order}
"""


def national_compliance(
    viewer: Viewer,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_national_test` (+ test_name, display_order, period)."""
    where, params = _where(
        {"fiscal_year": fiscal_year, "fiscal_quarter": fiscal_quarter, "test_code": test_code},
        ("fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(table="marts.compliance_national_test", where=where, extra_order="")
    return _for_viewer(_query(sql, params), viewer)


def command_area_compliance(
    viewer: Viewer,
    *,
    command_area: str | Sequence[str] | None = None,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_by_command_area_test` (+ test_name, display_order, period)."""
    where, params = _where(
        {
            "command_area": command_area,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
            "test_code": test_code,
        },
        ("command_area", "fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(
        table="marts.compliance_by_command_area_test", where=where, extra_order=", m.command_area"
    )
    return _for_viewer(_query(sql, params), viewer)


def division_compliance(
    viewer: Viewer,
    *,
    division_code: str | Sequence[str] | None = None,
    command_area: str | None = None,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
    test_code: str | Sequence[str] | None = None,
) -> pd.DataFrame:
    """Rows of `marts.compliance_by_division_test` (+ test_name, display_order, period)."""
    where, params = _where(
        {
            "division_code": division_code,
            "command_area": command_area,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
            "test_code": test_code,
        },
        ("division_code", "command_area", "fiscal_year", "fiscal_quarter", "test_code"),
    )
    sql = _COMPLIANCE_SELECT.format(
        table="marts.compliance_by_division_test", where=where, extra_order=", m.division_code"
    )
    return _for_viewer(_query(sql, params), viewer, own_col="division_code")


def audit_headlines(viewer: Viewer) -> pd.DataFrame:
    """National figures for Q4 of the latest year, each test, with the previous year's Q4 and the change.

    Columns: the national mart's (for the latest audit) + test_name, display_order, and `prev_fiscal_year`,
    `prev_examined`, `prev_compliant`, `prev_compliance_pct`, `prev_ci_lower_pct`, `prev_ci_upper_pct`,
    `prev_status`, `change_pp` (latest rate minus previous rate, percentage points; missing when either is).
    Empty when there is no Q4 yet.
    """
    latest = latest_audit_year(viewer)
    if latest is None:
        return pd.DataFrame()
    previous = previous_audit_year(viewer, latest)
    frame = _query(
        """
        WITH cur AS (SELECT * FROM marts.compliance_national_test WHERE fiscal_year = ? AND fiscal_quarter = 4),
             prev AS (SELECT * FROM marts.compliance_national_test WHERE fiscal_year = ? AND fiscal_quarter = 4)
        SELECT cur.*, t.test_name, t.display_order,
               prev.fiscal_year AS prev_fiscal_year, prev.examined AS prev_examined,
               prev.compliant AS prev_compliant, prev.compliance_pct AS prev_compliance_pct,
               prev.ci_lower_pct AS prev_ci_lower_pct, prev.ci_upper_pct AS prev_ci_upper_pct,
               prev.status AS prev_status,
               round(cur.compliance_pct - prev.compliance_pct, 2) AS change_pp
        FROM cur JOIN reference.audit_tests t USING (test_code)
        LEFT JOIN prev USING (test_code)
        ORDER BY t.display_order
        """,
        [latest, previous],
    )
    frame = _for_viewer(frame, viewer)
    frame = _for_viewer(
        frame,
        viewer,
        count_col="prev_examined",
        value_cols=tuple(f"prev_{c}" for c in RATE_VALUE_COLUMNS),
        status_col="prev_status",
        flag_col="prev_suppressed",
    )
    either = frame["suppressed"] | frame["prev_suppressed"]
    frame["change_pp"] = frame["change_pp"].astype("float64").where(~either)
    return frame


# --------------------------------------------------------------------------------------------------------
# Record-derived aggregates (record_failures): one division's failure reasons and late recording


def _check_division_access(viewer: Viewer, division_code: str | None) -> None:
    if division_code is None:
        if viewer.role == "division":
            _deny(
                viewer,
                "Division users see record-derived figures for their own division only.",
                scope="all divisions",
                detail="record-derived figures for all divisions",
            )
        return
    if not viewer.may_see_division_records(division_code):
        _deny(
            viewer,
            f"Record-derived figures for division {division_code} are not available to you.",
            scope=division_code,
            detail="record-derived figures of another division",
        )


def failure_reasons(
    viewer: Viewer,
    division_code: str,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
) -> pd.DataFrame:
    """Counts of failing records by test and reason for one division (a record may have several reasons).

    Columns: test_code, test_name, display_order, failure_reason, records (failing records with that
    reason), failing_records (failing records in the test), examined (records examined in the test, from
    the division mart), share_of_failing_pct, share_of_examined_pct.
    """
    _check_division_access(viewer, division_code)
    where, params = _where(
        {"division_code": division_code, "fiscal_year": fiscal_year, "fiscal_quarter": fiscal_quarter},
        ("division_code", "fiscal_year", "fiscal_quarter"),
    )
    frame = _query(
        f"""
        WITH failing AS (SELECT m.test_code, m.failure_reasons FROM marts.record_failures m {where}),
        per_test AS (SELECT test_code, count(*) AS failing_records FROM failing GROUP BY test_code),
        reasons AS (
            SELECT test_code, trim(unnest(string_split(failure_reasons, ';'))) AS failure_reason FROM failing
        ),
        examined AS (
            SELECT m.test_code, sum(m.examined) AS examined FROM marts.compliance_by_division_test m {where}
            GROUP BY m.test_code
        )
        SELECT r.test_code, t.test_name, t.display_order, r.failure_reason, count(*) AS records,
               p.failing_records, e.examined,
               round(100.0 * count(*) / p.failing_records, 2) AS share_of_failing_pct,
               round(100.0 * count(*) / e.examined, 2) AS share_of_examined_pct
        FROM reasons r JOIN per_test p USING (test_code) JOIN reference.audit_tests t USING (test_code)
        LEFT JOIN examined e USING (test_code)
        WHERE r.failure_reason <> ''
        GROUP BY r.test_code, t.test_name, t.display_order, r.failure_reason, p.failing_records, e.examined
        ORDER BY t.display_order, records DESC, r.failure_reason
        """,
        params + params,
    )
    return _for_viewer(
        frame,
        viewer,
        own_scope=division_code,
        count_col="records",
        value_cols=("records", "share_of_failing_pct", "share_of_examined_pct"),
        status_col=None,
    )


def late_recording_by_unit(
    viewer: Viewer,
    division_code: str | None,
    *,
    fiscal_year: str | None = None,
    fiscal_quarter: int | None = None,
) -> pd.DataFrame:
    """Crimes recorded outside the 72-hour limit, by recording unit (division_code None: all divisions).

    The marts hold failing records only, so this is the make-up of late recording (how many late crimes
    each unit recorded, and how late), not a rate per unit. Columns: recording_unit, late_records,
    share_of_late_pct, median_hours_to_record.
    """
    _check_division_access(viewer, division_code)
    where, params = _where(
        {
            "test_code": "TIMELY72",
            "division_code": division_code,
            "fiscal_year": fiscal_year,
            "fiscal_quarter": fiscal_quarter,
        },
        ("test_code", "division_code", "fiscal_year", "fiscal_quarter"),
    )
    frame = _query(
        f"""
        SELECT coalesce(m.recording_unit, 'UNKNOWN') AS recording_unit, count(*) AS late_records,
               round(100.0 * count(*) / sum(count(*)) OVER (), 2) AS share_of_late_pct,
               round(median(m.hours_to_record), 1) AS median_hours_to_record
        FROM marts.record_failures m {where}
        GROUP BY 1 ORDER BY late_records DESC, recording_unit
        """,
        params,
    )
    return _for_viewer(
        frame,
        viewer,
        own_scope=division_code,
        count_col="late_records",
        value_cols=("late_records", "share_of_late_pct", "median_hours_to_record"),
        status_col=None,
    )


# --------------------------------------------------------------------------------------------------------
# Access control: division requests, downloads (the `scrs export` packs) and the access log

NATIONAL = "national"
DOWNLOAD_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("Parquet", "application/vnd.apache.parquet"),
}
LOG_READERS = ("registrar", "engineer")


@dataclass(frozen=True)
class PackFile:
    mart: str
    ext: str
    file_name: str
    data: bytes
    mime: str
    rows: int


@dataclass(frozen=True)
class DownloadPack:
    """One pack as `scrs export` writes it: every mart as CSV, Excel and Parquet, named for the download."""

    scope: str  # a division code, or NATIONAL
    period: str  # e.g. "2019-20_to_2020-21"
    published: str  # publication date, YYYY-MM-DD
    suppressed: bool  # small cells suppressed (the national pack)
    marts: tuple[tuple[str, int], ...]  # (mart, rows), in export order
    files: tuple[PackFile, ...]

    def file(self, mart: str, ext: str) -> PackFile:
        return next(f for f in self.files if f.mart == mart and f.ext == ext)


def _division_codes() -> list[str]:
    return list(_query("SELECT division_code FROM reference.divisions ORDER BY 1")["division_code"])


def check_division_request(viewer: Viewer, division_code: str | None) -> None:
    """A division asked for by URL or widget state: refused (and logged) when it is not the viewer's own."""
    if division_code is None or division_code == "":
        return
    if viewer.role == "division" and division_code != viewer.division_code:
        _deny(
            viewer,
            f"Division {str(division_code)[:12]!r} is not yours: you see record-level data of division "
            f"{viewer.division_code} only.",
            scope=str(division_code),
            detail="request for another division",
        )


def download_scopes(viewer: Viewer) -> list[str]:
    """The packs this viewer may download: NATIONAL and/or division codes."""
    if viewer.role == "committee":
        return [NATIONAL]
    if viewer.role == "division":
        return [str(viewer.division_code), NATIONAL]
    return [NATIONAL, *_division_codes()]


def _check_pack_access(viewer: Viewer, scope: str) -> None:
    if scope == NATIONAL:
        return
    if viewer.role == "committee":
        _deny(
            viewer,
            "The committee receives the national pack only (aggregates, small cells suppressed): no division's "
            "record-level data.",
            scope=str(scope),
            detail="division pack refused to committee",
        )
    check_division_request(viewer, scope)
    if scope not in _division_codes():
        raise DataUnavailable(f"There is no division {str(scope)[:12]!r}.")


def _pack_name(scope: str, mart: str, period: str, published: str, ext: str) -> str:
    who = "national" if scope == NATIONAL else f"division-{scope}"
    return f"scrs_{who}_{mart}_{period}_published-{published}.{ext}"


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_pack(file_key: tuple[str, int, int, int], scope: str, min_records: int) -> DownloadPack:
    import tempfile

    from scrs.export import division_queries, national_queries, write_marts

    queries = national_queries(min_records) if scope == NATIONAL else division_queries(scope)
    with tempfile.TemporaryDirectory(prefix="scrs-pack-") as tmp, read_only(Path(file_key[0])) as con:
        exported = write_marts(con, queries, Path(tmp))
        years = con.execute("SELECT min(fiscal_year), max(fiscal_year) FROM marts.compliance_national_test").fetchone()
        published_at = None
        if con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'meta' AND table_name = 'publication'"
        ).fetchone()[0]:
            row = con.execute("SELECT max(published_at) FROM meta.publication").fetchone()
            published_at = row[0] if row else None
        first, last = (str(y).replace("/", "-") if y else "none" for y in years)
        period = first if first == last else f"{first}_to_{last}"
        published = published_at.strftime("%Y-%m-%d") if published_at is not None else "unknown"
        files = []
        for mart in exported:
            for path in mart.files:
                ext = path.suffix.lstrip(".")
                files.append(
                    PackFile(
                        mart=mart.mart,
                        ext=ext,
                        file_name=_pack_name(scope, mart.mart, period, published, ext),
                        data=path.read_bytes(),
                        mime=DOWNLOAD_FORMATS[ext][1],
                        rows=mart.rows,
                    )
                )
    return DownloadPack(
        scope=scope,
        period=period,
        published=published,
        suppressed=scope == NATIONAL,
        marts=tuple((m.mart, m.rows) for m in exported),
        files=tuple(files),
    )


def download_pack(viewer: Viewer, scope: str) -> DownloadPack:
    """The pack `scrs export` writes for `scope` (a division code, or NATIONAL), if this viewer may have it.

    Division packs hold record-level data (`record_failures`): a division user gets its own only, the
    committee none; registrars and engineers any. The national pack suppresses small cells.
    """
    _check_pack_access(viewer, scope)
    key = _file_key()
    try:
        return _cached_pack(key, scope, settings().disclosure_min_records)
    except NoPublicationError as exc:
        raise DataUnavailable(str(exc)) from exc
    except (duckdb.CatalogException, duckdb.IOException) as exc:
        raise DataUnavailable(
            f"The published warehouse could not give this pack ({str(exc).splitlines()[0]}). Try again in a moment."
        ) from exc


def record_download(viewer: Viewer, pack: DownloadPack, file_name: str) -> None:
    """Log a download (called when the user clicks a download button)."""
    _check_pack_access(viewer, pack.scope)
    chosen = next((f for f in pack.files if f.file_name == file_name), None)
    if chosen is None:
        _deny(viewer, "That file is not part of this pack.", scope=pack.scope, detail="unknown download file")
        return
    log_event(viewer, "download", scope=pack.scope, file=chosen.file_name, rows=chosen.rows)


def access_log_entries(viewer: Viewer) -> pd.DataFrame:
    """Every access-log entry, newest first (registrars and engineers only)."""
    if viewer.role not in LOG_READERS:
        _deny(viewer, "The access log is for registrars and engineers only.", scope="access log")
    columns = [c for c in _access_log.FIELDS if c != "prev"]
    entries = _access_log.read(settings().access_log)
    frame = pd.DataFrame(entries, columns=list(_access_log.FIELDS)) if entries else pd.DataFrame(columns=columns)
    return frame[columns].iloc[::-1].reset_index(drop=True)


def access_log_intact(viewer: Viewer) -> int | None:
    """The first access-log line whose hash chain is broken, or None when the log is intact."""
    if viewer.role not in LOG_READERS:
        _deny(viewer, "The access log is for registrars and engineers only.", scope="access log")
    return _access_log.verify(settings().access_log)


# --------------------------------------------------------------------------------------------------------
# Training


def training_coverage(
    viewer: Viewer,
    *,
    unit_code: str | None = None,
    role_cluster: str | None = None,
    course_code: str | None = None,
) -> pd.DataFrame:
    """Rows of `marts.training_coverage` with unit and course names."""
    where, params = _where(
        {"unit_code": unit_code, "role_cluster": role_cluster, "course_code": course_code}, TRAINING_GROUPINGS
    )
    frame = _query(
        f"""
        SELECT m.*, coalesce(u.unit_name, m.unit_code) AS unit_name,
               coalesce(c.course_name, m.course_code) AS course_name
        FROM marts.training_coverage m
        LEFT JOIN reference.units u ON u.unit_code = m.unit_code
        LEFT JOIN reference.training_courses c ON c.course_code = m.course_code
        {where}
        ORDER BY m.unit_code, m.role_cluster, m.course_code
        """,
        params,
    )
    return _for_viewer(
        frame,
        viewer,
        own_col="unit_code",
        own_scope=unit_code,
        count_col="people",
        value_cols=TRAINING_VALUE_COLUMNS,
        status_col=None,
    )


def training_rollup(
    viewer: Viewer,
    by: str,
    *,
    unit_code: str | None = None,
    role_cluster: str | None = None,
    course_code: str | None = None,
) -> pd.DataFrame:
    """Training counts summed by one of unit_code / role_cluster / course_code (course assignments)."""
    if by not in TRAINING_GROUPINGS:
        raise ValueError(f"cannot group training by {by!r}")
    where, params = _where(
        {"unit_code": unit_code, "role_cluster": role_cluster, "course_code": course_code}, TRAINING_GROUPINGS
    )
    frame = _query(
        f"""
        SELECT m.{by}, sum(m.people) AS people, sum(m.assigned) AS assigned,
               sum(m.in_progress) AS in_progress, sum(m.completed) AS completed,
               round(100.0 * sum(m.completed) / nullif(sum(m.people), 0), 2) AS completion_pct
        FROM marts.training_coverage m {where}
        GROUP BY m.{by} ORDER BY completion_pct, m.{by}
        """,
        params,
    )
    return _for_viewer(
        frame,
        viewer,
        own_col="unit_code" if by == "unit_code" else None,
        own_scope=unit_code,
        count_col="people",
        value_cols=TRAINING_VALUE_COLUMNS,
        status_col=None,
    )


# --------------------------------------------------------------------------------------------------------
# Data quality (quality.check_results, quality.expectation_catalogue)
#
# Columns as scrs/quality/history.py writes them (check_name, column_name, field, suite/extract, why, ...).
# A few other spellings are accepted, and several candidates are coalesced in order, so the page keeps
# working if that schema moves. Normalised names: the keys below.

_CHECK_ALIASES: dict[str, tuple[str, ...]] = {
    "run_id": ("run_id",),
    "checked_at": ("checked_at", "run_at", "validated_at", "started_at", "created_at"),
    "extract": ("extract", "extract_kind", "suite", "kind", "suite_name"),
    "file_name": ("file_name", "source_file", "file"),
    "field": ("field", "column_name", "column"),
    "check": ("check_name", "check", "expectation_type", "expectation"),
    "severity": ("severity", "level"),
    "success": ("success", "passed"),
    "unexpected_count": ("unexpected_count", "failing_rows", "failed_rows"),
    "rows_checked": ("rows_checked", "element_count", "row_count"),
    "message": ("message", "why"),
    "published": ("published",),
}
_CATALOGUE_ALIASES: dict[str, tuple[str, ...]] = {
    "extract": ("extract", "extract_kind", "suite", "kind", "suite_name"),
    "field": ("field", "column_name", "column"),
    "check": ("check_name", "check", "expectation_type", "expectation"),
    "expectation_type": ("expectation_type", "expectation"),
    "description": ("why", "check_description", "description", "notes"),
    "severity": ("severity", "level"),
    "owner": ("owner", "data_owner", "responsible"),
}
_BLOCKING_WORDS = {"blocking", "block", "error", "critical", "true"}


def _normalise(frame: pd.DataFrame, aliases: Mapping[str, tuple[str, ...]]) -> pd.DataFrame:
    lower = {c.lower(): c for c in frame.columns}
    out = pd.DataFrame(index=frame.index)
    for name, candidates in aliases.items():
        column: pd.Series | None = None
        for candidate in candidates:
            if candidate in lower:
                values = frame[lower[candidate]]
                column = values if column is None else column.combine_first(values)
        out[name] = column if column is not None else None
    if "severity" in out.columns:
        if out["severity"].isna().all() and "blocking" in lower:
            out["severity"] = frame[lower["blocking"]]
        out["severity"] = [
            "blocking" if str(v).strip().lower() in _BLOCKING_WORDS else "warning" for v in out["severity"]
        ]
    return out


def _require_quality(name: str) -> None:
    if name not in _tables():
        raise DataUnavailable(
            f"The published warehouse has no `{name}` yet, so there is nothing to show here. "
            "It appears once a pipeline run with data-quality checks has been published."
        )


def quality_check_results(viewer: Viewer) -> pd.DataFrame:
    """Every check of every run, normalised columns (see `_CHECK_ALIASES`), newest run first."""
    _require_quality("quality.check_results")
    frame = _normalise(_query("SELECT * FROM quality.check_results"), _CHECK_ALIASES)
    frame["success"] = frame["success"].astype("boolean")
    frame["checked_at"] = pd.to_datetime(frame["checked_at"])
    return frame.sort_values(
        ["checked_at", "run_id", "severity", "extract", "field"],
        ascending=[False, False, True, True, True],
        na_position="last",
    ).reset_index(drop=True)


def quality_runs(viewer: Viewer) -> pd.DataFrame:
    """One row per run, newest first: checked_at, checks, failed blocking / warning checks, outcome."""
    checks = quality_check_results(viewer)
    if checks.empty:
        return pd.DataFrame(columns=["run_id", "checked_at", "checks", "blocking_failed", "warnings_failed", "outcome"])
    pub = publication(viewer)
    published_run = None if pub is None else pub.get("run_id")
    failed = checks["success"].eq(False).fillna(False)
    checks = checks.assign(
        blocking_failed=failed & checks["severity"].eq("blocking"),
        warnings_failed=failed & checks["severity"].eq("warning"),
    )
    runs = (
        checks.groupby("run_id", dropna=False)
        .agg(
            checked_at=("checked_at", "max"),
            checks=("run_id", "size"),
            blocking_failed=("blocking_failed", "sum"),
            warnings_failed=("warnings_failed", "sum"),
            published=("published", "max"),
        )
        .reset_index()
        .sort_values(["checked_at", "run_id"], ascending=False)
        .reset_index(drop=True)
    )

    def outcome(row: pd.Series) -> str:
        if published_run is not None and row["run_id"] == published_run:
            return "published (currently served)"
        if row["blocking_failed"] > 0:
            return "blocked: not published"
        if row["published"] is True or row["published"] == 1:
            return "published (since replaced)"
        return "passed its checks"

    runs["outcome"] = runs.apply(outcome, axis=1)
    return runs.drop(columns=["published"])


def expectation_catalogue(viewer: Viewer) -> pd.DataFrame:
    """One row per expectation: extract, field, check, expectation_type, description, severity, owner."""
    _require_quality("quality.expectation_catalogue")
    frame = _normalise(_query("SELECT * FROM quality.expectation_catalogue"), _CATALOGUE_ALIASES)
    return frame.sort_values(["extract", "field", "check"], na_position="last").reset_index(drop=True)


# --------------------------------------------------------------------------------------------------------
# Publication metadata


def publication(viewer: Viewer) -> dict[str, Any] | None:
    """The `meta.publication` row (run_id, published_at, latest_extracted_at, files_loaded, and
    latest_extracted_at_by_extract as JSON text when the pipeline wrote it), or None."""
    if "meta.publication" not in _tables():
        return None
    frame = _query("SELECT * FROM meta.publication ORDER BY published_at DESC LIMIT 1")
    return None if frame.empty else frame.iloc[0].to_dict()


def load_registry_summary(viewer: Viewer) -> pd.DataFrame:
    """Per extract kind: files loaded, rows, first and last load (empty if there is no registry)."""
    if "raw.load_registry" not in _tables():
        return pd.DataFrame(columns=["extract_kind", "files", "rows", "first_loaded_at", "last_loaded_at"])
    return _query(
        "SELECT extract_kind, count(*) AS files, sum(row_count) AS rows, min(loaded_at) AS first_loaded_at, "
        "max(loaded_at) AS last_loaded_at FROM raw.load_registry GROUP BY extract_kind ORDER BY extract_kind"
    )


def synthetic_reference_rows(viewer: Viewer) -> pd.DataFrame:
    """Reference rows flagged synthetic in the seeds (crime system go-live dates), if that seed is there."""
    if "reference.crime_system_go_live" not in _tables():
        return pd.DataFrame(columns=["division_code", "go_live_date", "note"])
    return _query(
        "SELECT division_code, go_live_date, note FROM reference.crime_system_go_live "
        "WHERE is_synthetic = 'Y' ORDER BY go_live_date, division_code"
    )


# --------------------------------------------------------------------------------------------------------
# --- Improvement plan and impact ---
#
# The improvement plan tracker's marts and reference seeds, and the crime system's impact
# (docs/improvement_updates.md). Aggregates only (no record-level data), so every viewer may see them;
# committee viewers get the usual small-cell suppression on each side of the before/after comparison.

_ACTION_ORDER = "JOIN reference.improvement_actions a USING (action_id)"
IMPACT_SIDE_COLUMNS = ("compliant", "pct", "ci_lower_pct", "ci_upper_pct")
IMPACT_DIFFERENCE_COLUMNS = ("difference_pp", "difference_ci_lower_pp", "difference_ci_upper_pp")


def improvement_statuses(viewer: Viewer) -> pd.DataFrame:
    """The five action statuses with their label, committee label and whether they count as closed."""
    return _query(
        "SELECT status, status_label, committee_label, is_closed, display_order, description "
        "FROM reference.improvement_statuses ORDER BY display_order"
    )


def improvement_status_counts(viewer: Viewer, *, level: str | None = None) -> pd.DataFrame:
    """Rows of `marts.improvement_status_counts_monthly` (level 'recommendation' or 'action'), oldest first."""
    where, params = _where({"level": level}, ("level",))
    return _query(
        f"SELECT m.* FROM marts.improvement_status_counts_monthly m {where} ORDER BY m.month_end, m.level DESC",
        params,
    )


def improvement_recommendation_status(viewer: Viewer) -> pd.DataFrame:
    """Rows of `marts.improvement_recommendation_status` with the recommendation's summary (seed)."""
    return _query(
        "SELECT m.*, r.summary FROM marts.improvement_recommendation_status m "
        "LEFT JOIN reference.improvement_recommendations r USING (recommendation_id) ORDER BY m.recommendation_id"
    )


def improvement_action_status(viewer: Viewer, *, recommendation_id: int | None = None) -> pd.DataFrame:
    """Rows of `marts.improvement_action_status` (+ action_seq), in plan order."""
    where, params = _where({"recommendation_id": recommendation_id}, ("recommendation_id",))
    return _query(
        f"SELECT m.*, a.action_seq FROM marts.improvement_action_status m {_ACTION_ORDER} {where} "
        "ORDER BY m.recommendation_id, a.action_seq",
        params,
    )


def improvement_slippage(viewer: Viewer) -> pd.DataFrame:
    """Rows of `marts.improvement_slippage` (+ action_seq), in plan order."""
    return _query(
        f"SELECT m.*, a.action_seq FROM marts.improvement_slippage m {_ACTION_ORDER} "
        "ORDER BY m.recommendation_id, a.action_seq"
    )


def improvement_action_links(viewer: Viewer) -> pd.DataFrame:
    """Rows of `marts.improvement_action_links` (one per link as the plan lists it)."""
    return _query(
        "SELECT m.* FROM marts.improvement_action_links m "
        "JOIN reference.improvement_actions f ON f.action_id = m.from_action_id "
        "JOIN reference.improvement_actions t ON t.action_id = m.to_action_id "
        "ORDER BY f.recommendation_id, f.action_seq, t.recommendation_id, t.action_seq"
    )


def improvement_milestones(viewer: Viewer) -> pd.DataFrame:
    """The plan's reporting milestones (seed `reference.improvement_milestones`), by date."""
    return _query(
        "SELECT milestone_id, milestone_type, title, planned_period, planned_date, date_is_assumed, depends_on, "
        "source FROM reference.improvement_milestones ORDER BY planned_date, milestone_id"
    )


def crime_system_go_live(viewer: Viewer) -> pd.DataFrame:
    """Go-live of the national crime system per division, with the division's name and command area."""
    return _query(
        "SELECT g.division_code, d.division_name, d.command_area, g.go_live_date, g.is_synthetic, g.note "
        "FROM reference.crime_system_go_live g LEFT JOIN reference.divisions d USING (division_code) "
        "ORDER BY g.go_live_date, g.division_code"
    )


def crime_system_impact(viewer: Viewer, *, test_code: str | Sequence[str] | None = None) -> pd.DataFrame:
    """Rows of `marts.crime_system_impact` (+ test_name, display_order), by go-live date.

    For committee viewers each side (before_ / after_) built on too few records is blanked and its status
    becomes 'suppressed' (flags `before_suppressed`, `after_suppressed`); the difference and its interval
    are blanked when either side is, and `change` becomes 'suppressed'.
    """
    where, params = _where({"test_code": test_code}, ("test_code",))
    frame = _query(
        f"""
        SELECT m.*, t.test_name, t.display_order
        FROM marts.crime_system_impact m JOIN reference.audit_tests t USING (test_code)
        {where}
        ORDER BY m.go_live_date, m.division_code, t.display_order
        """,
        params,
    )
    for side in ("before", "after"):
        frame = _for_viewer(
            frame,
            viewer,
            own_col="division_code",
            count_col=f"{side}_examined",
            value_cols=tuple(f"{side}_{c}" for c in IMPACT_SIDE_COLUMNS),
            status_col=f"{side}_status",
            flag_col=f"{side}_suppressed",
        )
    either = frame["before_suppressed"] | frame["after_suppressed"]
    for column in IMPACT_DIFFERENCE_COLUMNS:
        frame[column] = frame[column].astype("float64").where(~either)
    frame["change"] = frame["change"].astype("object").where(~either, "suppressed")
    return frame

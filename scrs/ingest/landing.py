"""Landing: find newly delivered extract files and read them, as written, into `landing.<kind>`.

`landing.<kind>` holds every column of the extract as VARCHAR (an empty field is NULL), plus
`_source_file` (the file name) and `_source_line` (1-based physical line of the row in the file, header = 1).
`landing.files` records, per file read, its header, which expected columns it lacked and which unknown
columns it carried, so the quality step can fail "column exists" for exactly that file although the landing
table has every column.

Personal data: staff numbers (training.staff_number, crimes.no_crime_requested_by / no_crime_authorised_by)
are pseudonymised by DuckDB inside the very query that reads the CSV, so the value as given is never written
to any table, not even to landing (a DuckDB file can keep the bytes of dropped tables in free blocks, and the
build file becomes the served file). In `landing`, those columns keep their extract names but hold pseudonyms.

Line numbers: DuckDB reads the CSV (no pandas); the rows of a file are kept in file order (insertion order is
preserved) and numbered. When the file's physical line count equals rows + 1 (no blank lines, no quoted line
breaks: the normal case) row n is on line n + 1. Otherwise (rare) one pass over the file in Python finds the
physical line where each record starts, honouring RFC 4180 quotes (a line break inside quotes continues the
record; a blank line outside quotes is skipped, as DuckDB does); a record spanning lines 7-8 is numbered 7.
"""

from __future__ import annotations

import csv
import hashlib
import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pyarrow as pa

from scrs.db import rows, run, table_exists, value
from scrs.ingest import schema
from scrs.ingest.pseudonym import hmac_pads, key_fingerprint, pseudonym_sql
from scrs.settings import Settings

log = logging.getLogger(__name__)

MAX_SAMPLE_LINES = 100
_CHUNK = 1 << 20
_HEADER_MAX_BYTES = 1 << 20


@dataclass(frozen=True)
class LandingFile:
    """A delivered extract file not loaded before (its checksum is not in `raw.load_registry`)."""

    path: Path
    name: str
    kind: str
    checksum_sha256: str
    size: int


@dataclass
class FileFault:
    """A fault found while reading a file (before any expectation can run), or a warning about its layout.

    `check` is a short stable name of the rule that failed; `line_numbers` are the first 100 physical lines
    (1-based, header = 1) and `count` the number of rows/lines affected (0 when the fault is about the file).
    """

    file: str
    check: str
    message: str
    line_numbers: list[int] = field(default_factory=list)
    count: int = 0
    kind: str = ""
    severity: str = "blocking"
    column: str | None = None

    @property
    def blocking(self) -> bool:
        return self.severity == "blocking"

    @property
    def why(self) -> str:
        return FILE_CHECK_WHY.get(self.check, "")


# Why each file-level check matters (shown in quarantine reports and the quality history).
FILE_CHECK_WHY: dict[str, str] = {
    "free_text_has_no_personal_data": "Free text is published to the committee and every division and is not "
    "pseudonymised: a staff number, collar number or officer's name in it would publish personal data.",
    "file_not_empty": "An empty file is a failed delivery; loading it would silently hide a whole period.",
    "header_row_present": "Columns are matched by header names; without a header no value can be placed.",
    "header_names_unique": "A repeated column name makes it ambiguous which value is meant.",
    "file_is_utf8": "Extracts are UTF-8; text in another encoding would be stored garbled.",
    "row_field_count_matches_header": (
        "A row with too few or too many fields (e.g. a truncated last line) cannot be matched to the columns."
    ),
    "quoting_valid": "A broken quote makes the rest of the row unreadable.",
    "file_readable": "The file could not be parsed as CSV at all.",
    "no_unknown_columns": "A column not in the contract is ignored; it may be a misspelt required column.",
}


# ---------------------------------------------------------------------------------------------------------
# registry + discovery


def ensure_registry(con: duckdb.DuckDBPyConnection) -> None:
    run(con, "CREATE SCHEMA IF NOT EXISTS raw")
    run(
        con,
        """CREATE TABLE IF NOT EXISTS raw.load_registry (
            file_name VARCHAR, extract_kind VARCHAR, checksum_sha256 VARCHAR, row_count BIGINT,
            loaded_at TIMESTAMP, run_id VARCHAR)""",
    )


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def discover_new_files(
    con: duckdb.DuckDBPyConnection, landing_dir: Path | str, kind: str, checksums: Mapping[str, str] | None = None
) -> list[LandingFile]:
    """Files `<kind>_*.csv` directly in `landing_dir`, sorted by name, whose content was never loaded.

    A file whose SHA-256 is in `raw.load_registry` is skipped, and so is a second file in the same batch with
    the same content (first by name wins): a re-delivery under another name changes nothing.

    `checksums` (file name -> SHA-256, from scrs.freshness.landing_checksums: hashed now, or cached while the
    file's name, size, inode and mtime are unchanged) spares reading the years of files already loaded at every
    run; a file not in it is hashed here.
    """
    schema.columns(kind)  # validates kind
    ensure_registry(con)
    landing = Path(landing_dir)
    if not landing.is_dir():
        return []
    known = {r[0] for r in run(con, "SELECT checksum_sha256 FROM raw.load_registry WHERE extract_kind = ?", [kind])}
    out: list[LandingFile] = []
    seen: dict[str, str] = {}
    for path in sorted(landing.glob(f"{kind}_*.csv"), key=lambda p: p.name):
        if not path.is_file():
            continue
        checksum = checksums.get(path.name) if checksums is not None else None
        checksum = checksum or sha256_file(path)
        if checksum in known:
            log.info("%s: already loaded (checksum %s...), skipped", path.name, checksum[:12])
            continue
        if checksum in seen:
            log.warning("%s: same content as %s in this batch, skipped", path.name, seen[checksum])
            continue
        seen[checksum] = path.name
        out.append(LandingFile(path, path.name, kind, checksum, path.stat().st_size))
    return out


# ---------------------------------------------------------------------------------------------------------
# reading


def ensure_landing(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    run(con, "CREATE SCHEMA IF NOT EXISTS landing")
    cols = ", ".join(f'"{c}" VARCHAR' for c in schema.column_names(kind))
    run(con, f"CREATE TABLE IF NOT EXISTS landing.{kind} ({cols}, _source_file VARCHAR, _source_line BIGINT)")
    run(
        con,
        """CREATE TABLE IF NOT EXISTS landing.files (
            file_name VARCHAR, extract_kind VARCHAR, checksum_sha256 VARCHAR, size_bytes BIGINT,
            row_count BIGINT, header_columns VARCHAR[], missing_columns VARCHAR[], extra_columns VARCHAR[],
            read_ok BOOLEAN, pseudonym_key_fingerprint VARCHAR, read_at TIMESTAMP)""",
    )


def _physical_line_count(path: Path) -> int:
    n = 0
    last = b""
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            n += chunk.count(b"\n")
            last = chunk[-1:]
    return n + (1 if last and last != b"\n" else 0)


def _logical_line_starts(path: Path) -> tuple[list[int], list[bool]]:
    """Physical start line of each logical line (a record or a blank line outside quotes), and blankness.

    Quote parity per physical line is enough for RFC 4180 (a doubled quote inside a quoted field counts 2).
    This numbering of logical lines is also the one DuckDB uses for `reject_errors.line`.
    """
    starts: list[int] = []
    blank: list[bool] = []
    in_quote = False
    with open(path, "rb") as f:
        for i, line in enumerate(f, 1):
            if not in_quote:
                starts.append(i)
                blank.append(line in (b"\n", b"\r\n", b"\r"))
            if line.count(b'"') % 2:
                in_quote = not in_quote
    return starts, blank


class _HeaderError(Exception):
    def __init__(self, check: str, message: str, lines: list[int] | None = None) -> None:
        super().__init__(message)
        self.check = check
        self.lines = lines or []


def _read_header(path: Path) -> list[str]:
    with open(path, "rb") as f:
        raw = f.readline(_HEADER_MAX_BYTES)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise _HeaderError("file_is_utf8", f"header line is not valid UTF-8 ({e.reason})", [1]) from None
    text = text.rstrip("\r\n")
    if not text.strip():
        raise _HeaderError("header_row_present", "the first line is empty: no header row", [1])
    names = next(csv.reader([text], delimiter=",", quotechar='"', doublequote=True, strict=True))
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise _HeaderError("header_names_unique", f"header names repeated: {', '.join(dupes)}", [1])
    return names


_REJECT_CHECKS = {
    "MISSING COLUMNS": ("row_field_count_matches_header", "rows have fewer fields than the header"),
    "TOO MANY COLUMNS": ("row_field_count_matches_header", "rows have more fields than the header"),
    "INVALID ENCODING": ("file_is_utf8", "lines are not valid UTF-8"),
    "UNQUOTED VALUE": ("quoting_valid", "rows have a malformed or unterminated quoted field"),
}
_LINE_IN_MESSAGE = re.compile(r"\bLine:\s*(\d+)")


def _safe_duckdb_message(err: Exception) -> str:
    """First line of a DuckDB error, without any echo of the file's content (it may hold personal data)."""
    first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
    return first[:300]


def _drop_temp(con: duckdb.DuckDBPyConnection) -> None:
    for t in ("_scrs_read", "_scrs_rejects", "_scrs_rejects_scan", "_scrs_lines"):
        run(con, f"DROP TABLE IF EXISTS temp.main.{t}")


def _record_file(
    con: duckdb.DuckDBPyConnection,
    f: LandingFile,
    row_count: int | None,
    header: list[str],
    missing: list[str],
    extra: list[str],
    read_ok: bool,
    fingerprint: str | None,
) -> None:
    run(con, "DELETE FROM landing.files WHERE file_name = ? AND extract_kind = ?", [f.name, f.kind])
    run(
        con,
        "INSERT INTO landing.files VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            f.name,
            f.kind,
            f.checksum_sha256,
            f.size,
            row_count,
            header,
            missing,
            extra,
            read_ok,
            fingerprint,
            datetime.now(UTC).replace(tzinfo=None),
        ],
    )


def _faults_from_rejects(f: LandingFile, rejects: Sequence[tuple[int, str, str | None]], kind: str) -> list[FileFault]:
    starts, _ = _logical_line_starts(f.path)

    def physical(duck_line: int) -> int:
        return starts[duck_line - 1] if 0 < duck_line <= len(starts) else duck_line

    by_check: dict[str, tuple[str, set[int], str]] = {}
    for line, error_type, message in rejects:
        check, text = _REJECT_CHECKS.get(error_type, ("file_readable", f"rows could not be parsed ({error_type})"))
        entry = by_check.setdefault(check, (text, set(), message or ""))
        entry[1].add(physical(int(line)))
    faults = []
    for check, (text, lines, example) in by_check.items():
        ordered = sorted(lines)
        detail = f" (e.g. {example})" if example and check == "row_field_count_matches_header" else ""
        faults.append(
            FileFault(
                file=f.name,
                check=check,
                message=f"{len(ordered)} {text}{detail}; the file was not loaded",
                line_numbers=ordered[:MAX_SAMPLE_LINES],
                count=len(ordered),
                kind=kind,
            )
        )
    return faults


@dataclass
class _Reading:
    """What read_into_landing needs to read one file of a kind."""

    kind: str
    expected: list[str]
    personal: set[str]
    pads: dict[str, bytes]
    fingerprint: str


def _read_sql(header: list[str], reading: _Reading, source: str, extra: str = "") -> tuple[str, bool]:
    """SELECT reading `source` (a read_csv over `$path`/`$paths`) into positional columns c0..cN, personal
    columns pseudonymised as they are read; and whether the pseudonym pads are parameters of it."""
    # Positional column names: the header is parsed above, so odd names cannot break the SQL.
    # Personal columns are pseudonymised as they are read: not even the temp table holds them as given.
    colspec = "{" + ", ".join(f"'c{i}': 'VARCHAR'" for i in range(len(header))) + "}"
    read_cols = [
        f"{pseudonym_sql(f'c{i}')} AS c{i}" if name in reading.personal else f"c{i}" for i, name in enumerate(header)
    ]
    sql = f"""CREATE TEMP TABLE _scrs_read AS SELECT {", ".join(read_cols)}{extra} FROM read_csv({source},
        columns={colspec}, header=true, auto_detect=false, delim=',', quote='"', escape='"',
        encoding='utf-8', strict_mode=true, null_padding=false, store_rejects=true,
        rejects_table='_scrs_rejects', rejects_scan='_scrs_rejects_scan'{", filename=true" if extra else ""})"""
    return sql, bool(reading.personal & set(header))


def _landing_select(header: list[str], expected: list[str]) -> str:
    position = {name: i for i, name in enumerate(header)}
    return ", ".join(f'r.c{position[c]} AS "{c}"' if c in position else f'NULL::VARCHAR AS "{c}"' for c in expected)


def _read_file(
    con: duckdb.DuckDBPyConnection,
    f: LandingFile,
    header: list[str],
    missing: list[str],
    extra: list[str],
    reading: _Reading,
    faults: list[FileFault],
) -> None:
    """Read one file into landing (the general path: any file, any layout)."""
    kind = reading.kind
    sql, with_pads = _read_sql(header, reading, "$path")
    read_params: dict[str, object] = {"path": str(f.path), **(reading.pads if with_pads else {})}
    _drop_temp(con)
    try:
        run(con, sql, read_params)
    except duckdb.Error as e:
        msg = _safe_duckdb_message(e)
        m = _LINE_IN_MESSAGE.search(str(e))
        lines = [int(m.group(1))] if m else []
        faults.append(
            FileFault(f.name, "file_readable", f"DuckDB could not read the file: {msg}", lines, len(lines), kind=kind)
        )
        _record_file(con, f, None, header, missing, extra, False, reading.fingerprint)
        _drop_temp(con)
        return

    rejects = run(con, "SELECT line, error_type, error_message FROM _scrs_rejects ORDER BY line")
    if rejects:
        faults.extend(_faults_from_rejects(f, rejects, kind))
        _record_file(con, f, None, header, missing, extra, False, reading.fingerprint)
        _drop_temp(con)
        return

    n_rows = int(value(con, "SELECT count(*) FROM _scrs_read"))
    if _physical_line_count(f.path) == n_rows + 1:
        line_sql, join_sql = "r.rowid + 2", ""
    else:
        starts, blank = _logical_line_starts(f.path)
        record_lines = [s for s, b in zip(starts, blank, strict=True) if not b][1:]
        if len(record_lines) != n_rows:
            log.warning("%s: could not map rows to lines exactly; using row order", f.name)
            line_sql, join_sql = "r.rowid + 2", ""
        else:
            lines_tbl = pa.table(
                {
                    "ordinal": pa.array(range(n_rows), pa.int64()),
                    "line": pa.array(record_lines, pa.int64()),
                }
            )
            con.register("_scrs_lines_arrow", lines_tbl)
            run(con, "CREATE TEMP TABLE _scrs_lines AS SELECT * FROM _scrs_lines_arrow")
            con.unregister("_scrs_lines_arrow")
            line_sql, join_sql = "l.line", "JOIN _scrs_lines l ON l.ordinal = r.rowid"

    # Rows go in in file order (DuckDB keeps insertion order for a plain scan); only the rare join with
    # the line map needs an explicit sort.
    order_sql = "ORDER BY r.rowid" if join_sql else ""
    run(
        con,
        f"""INSERT INTO landing.{kind} SELECT {_landing_select(header, reading.expected)}, $file AS _source_file,
            {line_sql} AS _source_line FROM _scrs_read r {join_sql} {order_sql}""",
        {"file": f.name},
    )
    _record_file(con, f, n_rows, header, missing, extra, True, reading.fingerprint)
    _drop_temp(con)
    log.info("%s: %d rows read into landing.%s", f.name, n_rows, kind)


def _read_group(
    con: duckdb.DuckDBPyConnection,
    group: list[tuple[LandingFile, list[str], list[str], list[str]]],
    reading: _Reading,
    faults: list[FileFault],
) -> list[LandingFile]:
    """Read files with the same header in one DuckDB scan (per-file statements cost more than the reading at
    national volume). A file with rejected rows gets exactly the faults it would get alone, and none of its
    rows are kept. Returns the files left for the per-file path: those whose physical lines are not one per
    row (quoted line breaks, blank lines), or all of them when the scan itself fails."""
    kind = reading.kind
    header = group[0][1]
    by_path = {str(f.path): (f, h, m, x) for f, h, m, x in group}
    sql, with_pads = _read_sql(header, reading, "$paths", extra=", filename AS _scrs_file")
    params: dict[str, object] = {"paths": list(by_path), **(reading.pads if with_pads else {})}
    _drop_temp(con)
    try:
        run(con, sql, params)
    except duckdb.Error:
        _drop_temp(con)
        return [f for f, *_ in group]
    rejects: dict[str, list[tuple[int, str, str | None]]] = {}
    for path, line, error_type, message in run(
        con,
        """SELECT s.file_path, r.line, r.error_type, r.error_message FROM _scrs_rejects r
           JOIN _scrs_rejects_scan s USING (scan_id, file_id) ORDER BY s.file_path, r.line""",
    ):
        rejects.setdefault(path, []).append((line, error_type, message))
    # (rows, first rowid) per file, when its rows form one contiguous block of rowids (scan order)
    spans = {
        p: (int(n), int(first))
        for p, n, first, last in run(
            con, "SELECT _scrs_file, count(*), min(rowid), max(rowid) FROM _scrs_read GROUP BY _scrs_file"
        )
        if last - first + 1 == n
    }
    keep: list[tuple[LandingFile, list[str], list[str], list[str], int, int]] = []
    left: list[LandingFile] = []
    for path, (f, h, missing, extra) in by_path.items():
        if path in rejects:
            faults.extend(_faults_from_rejects(f, rejects[path], kind))
            _record_file(con, f, None, h, missing, extra, False, reading.fingerprint)
            continue
        n_rows, first = spans.get(path, (-1, 0))
        if n_rows < 0 or _physical_line_count(f.path) != n_rows + 1:
            left.append(f)  # line numbers need the careful per-file mapping
            continue
        keep.append((f, h, missing, extra, n_rows, first))
    if keep:
        # One statement for every kept file: rows in scan order (file after file, line by line); the file name
        # and line come from the row's position in its file's contiguous block of rowids.
        first_row = " ".join(f"WHEN ? THEN {first}" for *_, first in keep)
        name_of = " ".join("WHEN ? THEN ?" for _ in keep)
        args: list[object] = [str(f.path) for f, *_ in keep]
        args += [x for f, *_ in keep for x in (str(f.path), f.name)]
        args += [str(f.path) for f, *_ in keep]
        # A plain scan keeps insertion order; when some files' rows are left out, a filter would not, so the
        # (rare) filtered insert sorts by rowid.
        params_ = [*args[len(keep) : 3 * len(keep)], *args[: len(keep)]]
        where = ""
        if len(keep) < len(spans):
            where = "WHERE list_contains(?, r._scrs_file) ORDER BY r.rowid"
            params_.append(args[3 * len(keep) :])
        run(
            con,
            f"""INSERT INTO landing.{kind} SELECT {_landing_select(header, reading.expected)},
                CASE r._scrs_file {name_of} END AS _source_file,
                r.rowid - CASE r._scrs_file {first_row} END + 2 AS _source_line
                FROM _scrs_read r {where}""",
            params_,
        )
        for f, h, missing, extra, n_rows, _ in keep:
            _record_file(con, f, n_rows, h, missing, extra, True, reading.fingerprint)
            log.info("%s: %d rows read into landing.%s", f.name, n_rows, kind)
    _drop_temp(con)
    return left


# Files per scan: up to about this many bytes, so the scan's temporary table stays in memory (a year of
# national incidents is ~250 MB; ten years in one scan spilled to disk and took 2.5 times as long).
GROUP_SCAN_BYTES = 256 << 20


def _chunks(group: list) -> list[list]:
    chunks: list[list] = [[]]
    size = 0
    for item in group:
        if chunks[-1] and size + item[0].size > GROUP_SCAN_BYTES:
            chunks.append([])
            size = 0
        chunks[-1].append(item)
        size += item[0].size
    return [c for c in chunks if c]


def read_into_landing(
    con: duckdb.DuckDBPyConnection,
    files: Iterable[LandingFile],
    kind: str,
    *,
    pseudonym_key: str | None = None,
) -> list[FileFault]:
    """Read each file with DuckDB into `landing.<kind>` (all VARCHAR, + `_source_file`, `_source_line`).

    Returns the file faults: blocking ones (empty file, not UTF-8, ragged/truncated or badly quoted rows,
    no/duplicate header) mean the file's rows were NOT put in landing; warnings (unknown extra columns, which
    are ignored) do not. A file lacking expected columns is read as it is: the missing columns are NULL in
    landing and listed in `landing.files.missing_columns` for the quality step.

    Files with the same header are read in one scan (rows in landing file after file, each in line order);
    a file that needs it (line breaks inside quotes, blank lines, a scan that fails) is read on its own.

    `pseudonym_key` defaults to `Settings.from_env().pseudonym_key` (env `SCRS_PSEUDONYM_KEY`).
    Re-reading a file replaces its earlier landing rows.
    """
    specs = schema.columns(kind)
    key = pseudonym_key if pseudonym_key is not None else Settings.from_env().pseudonym_key
    reading = _Reading(
        kind=kind,
        expected=[c.name for c in specs],
        personal={c.name for c in specs if c.personal},
        pads=hmac_pads(key),
        fingerprint=key_fingerprint(key),
    )
    ensure_landing(con, kind)
    faults: list[FileFault] = []

    # Files read before into this landing (re-reading replaces their rows; a fresh batch skips the scan).
    read_before = {r[0] for r in run(con, "SELECT file_name FROM landing.files WHERE extract_kind = ?", [kind])}
    readable: list[tuple[LandingFile, list[str], list[str], list[str]]] = []
    for f in files:
        if f.kind != kind:
            raise ValueError(f"{f.name} is a {f.kind} file, not {kind}")
        if f.name in read_before:
            run(con, f"DELETE FROM landing.{kind} WHERE _source_file = ?", [f.name])
        size = f.path.stat().st_size
        if size == 0:
            faults.append(FileFault(f.name, "file_not_empty", "the file is empty (0 bytes)", kind=kind))
            _record_file(con, f, None, [], reading.expected, [], False, reading.fingerprint)
            continue
        try:
            header = _read_header(f.path)
        except _HeaderError as e:
            faults.append(FileFault(f.name, e.check, str(e), e.lines, len(e.lines), kind=kind))
            _record_file(con, f, None, [], reading.expected, [], False, reading.fingerprint)
            continue

        missing = [c for c in reading.expected if c not in header]
        extra = [c for c in header if c not in reading.expected]
        if extra:
            log.warning("%s: unknown columns ignored: %s", f.name, ", ".join(extra))
            faults.append(
                FileFault(
                    f.name,
                    "no_unknown_columns",
                    f"unknown columns ignored: {', '.join(extra)}",
                    [1],
                    len(extra),
                    kind=kind,
                    severity="warning",
                )
            )
        readable.append((f, header, missing, extra))

    groups: dict[tuple[str, ...], list[tuple[LandingFile, list[str], list[str], list[str]]]] = {}
    for item in readable:
        groups.setdefault(tuple(item[1]), []).append(item)
    alone: set[str] = set()
    for group in groups.values():
        for chunk in _chunks(group):
            if len(chunk) > 1:
                alone.update(f.name for f in _read_group(con, chunk, reading, faults))
            else:
                alone.add(chunk[0][0].name)
    for f, header, missing, extra in readable:
        if f.name in alone:
            _read_file(con, f, header, missing, extra, reading, faults)
    return faults


def landing_files(con: duckdb.DuckDBPyConnection, kind: str, read_ok: bool | None = True) -> list[dict]:
    """Rows of `landing.files` for `kind` (only those read successfully by default)."""
    if not table_exists(con, "landing", "files"):
        return []
    q = "SELECT * FROM landing.files WHERE extract_kind = ?"
    args: list[object] = [kind]
    if read_ok is not None:
        q += " AND read_ok = ?"
        args.append(read_ok)
    return rows(con, q + " ORDER BY file_name", args)

"""Raw layer: append validated landing rows, typed, to the append-only history `raw.<kind>`."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import UTC, datetime

import duckdb

from scrs.db import run, value
from scrs.ingest import schema
from scrs.ingest.landing import LandingFile, ensure_registry, landing_files
from scrs.ingest.pseudonym import key_fingerprint
from scrs.settings import Settings

log = logging.getLogger(__name__)

SQL_TYPES = {  # contract column type -> DuckDB type (raw tables; the bench floor reads with them too)
    "timestamp": "TIMESTAMP",
    "date": "DATE",
    "text": "VARCHAR",
    "code": "VARCHAR",
    "flag": "VARCHAR",
    "integer": "BIGINT",
}


def raw_columns(kind: str) -> list[tuple[str, str]]:
    """(name, DuckDB type) of `raw.<kind>`, in order: contract columns, then lineage columns."""
    cols = [(c.raw_column, SQL_TYPES[c.type]) for c in schema.columns(kind)]
    return cols + [
        ("_source_file", "VARCHAR"),
        ("_source_line", "BIGINT"),
        ("_run_id", "VARCHAR"),
        ("_loaded_at", "TIMESTAMP"),
    ]


def ensure_raw(con: duckdb.DuckDBPyConnection, kind: str) -> None:
    run(con, "CREATE SCHEMA IF NOT EXISTS raw")
    cols = ", ".join(f'"{n}" {t}' for n, t in raw_columns(kind))
    run(con, f"CREATE TABLE IF NOT EXISTS raw.{kind} ({cols})")
    ensure_registry(con)


def _cast_sql(spec: schema.ColumnSpec) -> str:
    v = f"NULLIF(l.\"{spec.name}\", '')"
    if spec.type == "timestamp":
        expr = f"strptime({v}, '{schema.TIMESTAMP_FORMAT}')"
    elif spec.type == "integer":
        expr = f"CAST({v} AS BIGINT)"
    elif spec.type == "date":
        expr = f"CAST(strptime({v}, '{schema.DATE_FORMAT}') AS DATE)"
    else:
        expr = v  # codes stay VARCHAR (crime_code keeps its leading zero); personal columns already pseudonyms
    return f'{expr} AS "{spec.raw_column}"'


def append_to_raw(
    con: duckdb.DuckDBPyConnection,
    kind: str,
    files: Iterable[LandingFile],
    run_id: str,
    pseudonym_key: str | None = None,
) -> dict[str, int]:
    """Cast each file's landing rows into `raw.<kind>` and register the file in `raw.load_registry`.

    Only pass files that passed the blocking checks. Returns rows appended per file name; a file whose
    checksum is already registered (same file twice, or the same content under another name) appends nothing
    (0). Everything happens in one transaction: either all given files are appended and registered, or none.

    Personal columns were pseudonymised when read into landing; `pseudonym_key` (default: the environment's)
    must be the key used then, which is checked, so one build never mixes pseudonyms of two keys.
    Casting uses `strptime` (not `try_strptime`), so a value the quality checks should have stopped makes the
    whole append fail rather than silently become NULL.
    """
    ensure_raw(con, kind)
    key = pseudonym_key if pseudonym_key is not None else Settings.from_env().pseudonym_key
    fingerprint = key_fingerprint(key)
    manifest = {m["file_name"]: m for m in landing_files(con, kind, read_ok=True)}
    registered = {
        r[0] for r in run(con, "SELECT checksum_sha256 FROM raw.load_registry WHERE extract_kind = ?", [kind])
    }
    select = ", ".join(_cast_sql(c) for c in schema.columns(kind))
    appended: dict[str, int] = {}
    loaded_at = datetime.now(UTC).replace(tzinfo=None)

    run(con, "BEGIN TRANSACTION")
    try:
        batch: list[LandingFile] = []
        for f in sorted(files, key=lambda x: x.name):
            if f.kind != kind:
                raise ValueError(f"{f.name} is a {f.kind} file, not {kind}")
            if f.checksum_sha256 in registered:
                log.info("%s: content already loaded, nothing appended", f.name)
                appended[f.name] = 0
                continue
            m = manifest.get(f.name)
            if m is None or m["checksum_sha256"] != f.checksum_sha256:
                raise ValueError(f"{f.name} was not read into landing.{kind} (or changed since)")
            if m["pseudonym_key_fingerprint"] != fingerprint:
                raise ValueError(f"{f.name} was pseudonymised in landing with a different key")
            registered.add(f.checksum_sha256)
            batch.append(f)
        if batch:
            names = [f.name for f in batch]
            rows = dict(
                run(
                    con,
                    f"""SELECT _source_file, count(*) FROM landing.{kind}
                        WHERE list_contains($files, _source_file) GROUP BY _source_file""",
                    {"files": names},
                )
            )
            # One statement for the whole batch, not a scan of landing per file.
            before = value(con, f"SELECT count(*) FROM raw.{kind}")
            # A plain scan of landing keeps its order (each file's rows in line order); a filtered one may
            # not, so appending only some of landing's files sorts by file and line (the rare case).
            params: dict[str, object] = {"run_id": run_id, "loaded_at": loaded_at}
            where = ""
            if sum(rows.values()) != value(con, f"SELECT count(*) FROM landing.{kind}"):
                where = "WHERE list_contains($files, l._source_file) ORDER BY l._source_file, l._source_line"
                params["files"] = names
            run(
                con,
                f"""INSERT INTO raw.{kind}
                    SELECT {select}, l._source_file, l._source_line, $run_id, $loaded_at
                    FROM landing.{kind} l {where}""",
                params,
            )
            if value(con, f"SELECT count(*) FROM raw.{kind}") - before != sum(rows.values()):
                raise RuntimeError(f"raw.{kind}: appended row count differs from landing")
            con.executemany(
                "INSERT INTO raw.load_registry VALUES (?, ?, ?, ?, ?, ?)",
                [[f.name, kind, f.checksum_sha256, int(rows.get(f.name, 0)), loaded_at, run_id] for f in batch],
            )
            for f in batch:
                appended[f.name] = int(rows.get(f.name, 0))
                log.info("%s: %d rows appended to raw.%s", f.name, appended[f.name], kind)
        run(con, "COMMIT")
    except BaseException:
        run(con, "ROLLBACK")
        raise
    return appended

"""Ingest: discovery, reading into landing (line numbers, file faults), typed append to raw, pseudonyms."""

from __future__ import annotations

import os
import shutil
from datetime import date, datetime
from pathlib import Path

import duckdb
import pytest

from scrs.ingest import (
    append_to_raw,
    discover_new_files,
    pseudonymise,
    raw_columns,
    read_into_landing,
)
from tests.extract_factory import (
    CRIME_COLUMNS,
    INCIDENT_COLUMNS,
    crime,
    incident,
    no_crime,
    numbered,
    training,
    write_crimes,
    write_incidents,
    write_training,
)

KEY = "test-key-for-pseudonyms"


@pytest.fixture
def con(tmp_path: Path):
    c = duckdb.connect(str(tmp_path / "build.duckdb"))
    yield c
    c.close()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    d = tmp_path / "landing"
    d.mkdir()
    return d


def load(con, landing: Path, kind: str, run_id: str = "run-1", key: str = KEY):
    files = discover_new_files(con, landing, kind)
    faults = read_into_landing(con, files, kind, pseudonym_key=key)
    bad = {f.file for f in faults if f.blocking}
    ok = [f for f in files if f.name not in bad]
    appended = append_to_raw(con, kind, ok, run_id, key)
    return files, faults, appended


def rows(con, sql: str, params=None) -> list[tuple]:
    return con.execute(sql, params).fetchall() if params else con.execute(sql).fetchall()


# --------------------------------------------------------------------------------------------- discovery


def test_discover_matches_prefix_directly_in_folder_sorted(con, landing: Path):
    write_incidents(landing / "incidents_2021_02.csv", [incident()])
    write_incidents(landing / "incidents_2021_01.csv", [incident(incident_id="PS-2")])
    write_crimes(landing / "crimes_2021_01.csv", [crime()])
    write_incidents(landing / "sub" / "incidents_2021_03.csv", [incident()])  # subfolder: ignored
    write_incidents(landing / "old_incidents_2021_04.csv", [incident()])  # wrong prefix
    (landing / "incidents_2021_05.txt").write_text("x")
    files = discover_new_files(con, landing, "incidents")
    assert [f.name for f in files] == ["incidents_2021_01.csv", "incidents_2021_02.csv"]
    f = files[0]
    assert f.kind == "incidents" and f.size == f.path.stat().st_size and len(f.checksum_sha256) == 64
    assert rows(con, "SELECT count(*) FROM raw.load_registry") == [(0,)]  # registry created


def test_same_file_twice_or_renamed_changes_nothing(con, landing: Path):
    write_incidents(landing / "incidents_2021_01.csv", numbered(incident, 3, "incident_id", "PS-{:03d}"))
    _, faults, appended = load(con, landing, "incidents")
    assert faults == [] and appended == {"incidents_2021_01.csv": 3}
    before = rows(con, "SELECT count(*) FROM raw.incidents")
    # same file again, and the same content under another name
    shutil.copy(landing / "incidents_2021_01.csv", landing / "incidents_2021_01_resent.csv")
    assert discover_new_files(con, landing, "incidents") == []
    assert rows(con, "SELECT count(*) FROM raw.incidents") == before
    # appending an already registered file again (e.g. a retried step) appends nothing
    files = [f for f in discover_new_files(con, landing / "none", "incidents")]
    assert files == []


def test_duplicate_content_within_one_batch_loads_once(con, landing: Path):
    write_incidents(landing / "incidents_a.csv", [incident()])
    shutil.copy(landing / "incidents_a.csv", landing / "incidents_b.csv")
    files = discover_new_files(con, landing, "incidents")
    assert [f.name for f in files] == ["incidents_a.csv"]


def test_append_is_idempotent_for_registered_checksum(con, landing: Path):
    write_incidents(landing / "incidents_2021_01.csv", [incident()])
    files, _, _ = load(con, landing, "incidents")
    again = append_to_raw(con, "incidents", files, "run-2", KEY)
    assert again == {"incidents_2021_01.csv": 0}
    assert rows(con, "SELECT count(*), count(DISTINCT _run_id) FROM raw.incidents") == [(1, 1)]
    assert rows(con, "SELECT count(*) FROM raw.load_registry") == [(1,)]


# ------------------------------------------------------------------------------------ good files, typing


def test_good_files_bom_crlf_quotes_reordered_load_typed(con, landing: Path):
    order = list(reversed(INCIDENT_COLUMNS))
    write_incidents(
        landing / "incidents_2021_01.csv",
        [
            incident(),
            incident(
                incident_id="PS-OPEN",
                closed_at=None,
                final_type_code="",
                disposal_code=None,
                closing_unit=None,
            ),
        ],
        bom=True,
        crlf=True,
        column_order=order,
    )
    write_crimes(
        landing / "crimes_2021_01.csv",
        [
            crime(crime_code="0101", no_crime_reason='said "no", then, later: yes'),
            no_crime(crime_id="CR/G/0000002/21", crime_code="0501"),
        ],
        crlf=True,
        column_order=sorted(CRIME_COLUMNS),
    )
    write_training(
        landing / "training_2021_q1.csv", [training(), training(status="ASSIGNED", completed_on="")], bom=True
    )
    for kind in ("incidents", "crimes", "training"):
        _, faults, _ = load(con, landing, kind)
        assert faults == [], faults

    got = rows(
        con,
        """SELECT incident_id, created_at, closed_at, final_type_code, cyber_flag, _source_file, _source_line
           FROM raw.incidents ORDER BY _source_line""",
    )
    assert got == [
        (
            "PS-20210114-00001",
            datetime(2021, 1, 14, 10),
            datetime(2021, 1, 14, 12, 30),
            "THEFT",
            "N",
            "incidents_2021_01.csv",
            2,
        ),
        ("PS-OPEN", datetime(2021, 1, 14, 10), None, None, "N", "incidents_2021_01.csv", 3),
    ]
    got = rows(con, "SELECT crime_code, no_crime_reason, no_crime_at, status FROM raw.crimes ORDER BY crime_id")
    assert got == [
        ("0101", 'said "no", then, later: yes', None, "RECORDED"),
        ("0501", "CREDIBLE_INFORMATION", datetime(2021, 1, 20, 9), "NO_CRIME"),
    ]
    got = rows(con, "SELECT assigned_on, completed_on, status FROM raw.training ORDER BY status")
    assert got == [(date(2021, 1, 4), None, "ASSIGNED"), (date(2021, 1, 4), date(2021, 1, 20), "COMPLETED")]

    types = dict(
        rows(
            con,
            "SELECT column_name, data_type FROM duckdb_columns() WHERE table_name = 'crimes' AND schema_name = 'raw'",
        )
    )
    assert types["reported_at"] == "TIMESTAMP" and types["crime_code"] == "VARCHAR"
    assert types["_source_line"] == "BIGINT" and types["_loaded_at"] == "TIMESTAMP"
    assert [c for c, _ in raw_columns("training")][:2] == ["staff_pseudonym", "unit_code"]
    registry = rows(con, "SELECT file_name, extract_kind, row_count, run_id FROM raw.load_registry ORDER BY 1")
    assert registry == [
        ("crimes_2021_01.csv", "crimes", 2, "run-1"),
        ("incidents_2021_01.csv", "incidents", 2, "run-1"),
        ("training_2021_q1.csv", "training", 2, "run-1"),
    ]


def test_line_numbers_count_physical_lines_with_quoted_newlines_and_blank_lines(con, landing: Path):
    # row 1 spans lines 2-3 (a line break inside quotes), line 4 is blank, rows 2 and 3 are on lines 5 and 6
    path = write_crimes(
        landing / "crimes_2021_01.csv",
        [
            crime(crime_id="C1", no_crime_reason="first line\nsecond line"),
            crime(crime_id="C2"),
            crime(crime_id="C3"),
        ],
    )
    text = path.read_text().splitlines(keepends=True)
    path.write_text("".join(text[:3] + ["\n"] + text[3:]))
    files = discover_new_files(con, landing, "crimes")
    assert read_into_landing(con, files, "crimes", pseudonym_key=KEY) == []
    got = rows(con, "SELECT crime_id, _source_line, no_crime_reason FROM landing.crimes ORDER BY _source_line")
    assert got == [("C1", 2, "first line\nsecond line"), ("C2", 5, None), ("C3", 6, None)]


# ---------------------------------------------------------------------------------------------- faults


def test_empty_file_is_a_blocking_fault(con, landing: Path):
    (landing / "incidents_2021_01.csv").write_bytes(b"")
    files = discover_new_files(con, landing, "incidents")
    faults = read_into_landing(con, files, "incidents", pseudonym_key=KEY)
    assert [(f.file, f.check, f.blocking) for f in faults] == [("incidents_2021_01.csv", "file_not_empty", True)]
    assert rows(con, "SELECT count(*) FROM landing.incidents") == [(0,)]


def test_latin1_bytes_name_the_line(con, landing: Path):
    rs = numbered(incident, 4, "incident_id", "PS-{:03d}")
    rs[2]["closing_unit"] = "RÉSOLUTION"  # row 3 -> line 4
    write_incidents(landing / "incidents_2021_01.csv", rs, encoding="latin-1")
    files = discover_new_files(con, landing, "incidents")
    faults = read_into_landing(con, files, "incidents", pseudonym_key=KEY)
    assert [(f.check, f.line_numbers, f.count, f.blocking) for f in faults] == [("file_is_utf8", [4], 1, True)]
    assert rows(con, "SELECT count(*) FROM landing.incidents") == [(0,)]  # nothing from that file


def test_latin1_in_header_is_line_1(con, landing: Path):
    (landing / "incidents_x.csv").write_bytes("incident_id,divisi\xf3n\n1,G\n".encode("latin-1"))
    faults = read_into_landing(con, discover_new_files(con, landing, "incidents"), "incidents", pseudonym_key=KEY)
    assert [(f.check, f.line_numbers) for f in faults] == [("file_is_utf8", [1])]


def test_truncated_last_line_is_ragged_row_with_its_line(con, landing: Path):
    path = write_incidents(landing / "incidents_2021_01.csv", numbered(incident, 5, "incident_id", "PS-{:03d}"))
    data = path.read_bytes()
    path.write_bytes(data[: data.rstrip(b"\n").rfind(b",2021-01-14 12:30:00")])  # cut inside the last row
    faults = read_into_landing(con, discover_new_files(con, landing, "incidents"), "incidents", pseudonym_key=KEY)
    assert [(f.check, f.line_numbers, f.count) for f in faults] == [("row_field_count_matches_header", [6], 1)]
    assert "fewer fields" in faults[0].message
    assert rows(con, "SELECT count(*) FROM landing.incidents") == [(0,)]


def test_ragged_row_after_quoted_newline_reports_physical_line(con, landing: Path):
    path = write_crimes(
        landing / "crimes_2021_01.csv", [crime(crime_id="C1", no_crime_reason="a\nb"), crime(crime_id="C2")]
    )
    path.write_bytes(path.read_bytes() + b"C3,,G\n")  # line 5 (row 1 spans lines 2-3)
    faults = read_into_landing(con, discover_new_files(con, landing, "crimes"), "crimes", pseudonym_key=KEY)
    assert [(f.check, f.line_numbers) for f in faults] == [("row_field_count_matches_header", [5])]


def test_unterminated_quote_is_a_fault(con, landing: Path):
    path = write_incidents(landing / "incidents_2021_01.csv", [incident()])
    path.write_bytes(path.read_bytes() + b'PS-2,"G,2021-01-14 10:00:00\n')
    faults = read_into_landing(con, discover_new_files(con, landing, "incidents"), "incidents", pseudonym_key=KEY)
    assert faults and all(f.blocking for f in faults)
    assert faults[0].check in {"quoting_valid", "file_readable", "row_field_count_matches_header"}


def test_missing_column_is_read_as_null_and_recorded(con, landing: Path):
    order = [c for c in INCIDENT_COLUMNS if c != "grade"]
    write_incidents(landing / "incidents_2021_01.csv", [incident()], column_order=order)
    faults = read_into_landing(con, discover_new_files(con, landing, "incidents"), "incidents", pseudonym_key=KEY)
    assert faults == []
    assert rows(con, "SELECT grade, division_code FROM landing.incidents") == [(None, "G")]
    assert rows(con, "SELECT missing_columns, read_ok FROM landing.files") == [(["grade"], True)]


def test_unknown_extra_column_is_a_warning_and_ignored(con, landing: Path):
    write_incidents(
        landing / "incidents_2021_01.csv",
        [{**incident(), "officer_notes": "x"}],
        column_order=[*INCIDENT_COLUMNS, "officer_notes"],
    )
    faults = read_into_landing(con, discover_new_files(con, landing, "incidents"), "incidents", pseudonym_key=KEY)
    assert [(f.check, f.severity) for f in faults] == [("no_unknown_columns", "warning")]
    assert "officer_notes" in faults[0].message
    assert rows(con, "SELECT count(*) FROM landing.incidents") == [(1,)]
    assert "officer_notes" not in [d[0] for d in con.execute("SELECT * FROM landing.incidents").description]


# ----------------------------------------------------------------------------------------- pseudonyms


def _all_text_values(con) -> set[str]:
    values: set[str] = set()
    tables = rows(con, "SELECT schema_name, table_name FROM duckdb_tables() WHERE NOT temporary")
    for schema_name, table in tables:
        cols = rows(
            con,
            "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? "
            "AND data_type = 'VARCHAR'",
            [schema_name, table],
        )
        for (c,) in cols:
            values |= {v for (v,) in rows(con, f'SELECT DISTINCT "{c}" FROM {schema_name}.{table}') if v}
    return values


def test_staff_numbers_never_stored_and_pseudonyms_keep_equality(con, landing: Path, tmp_path: Path):
    write_training(
        landing / "training_2021_q1.csv",
        [
            training(staff_number="100234", course_code="SCRS_TUTOR"),
            training(staff_number="100234", course_code="SCRS_REFRESHER"),
            training(staff_number="777001", course_code="SCRS_TUTOR"),
        ],
    )
    write_crimes(
        landing / "crimes_2021_01.csv",
        [
            no_crime(no_crime_requested_by="100234", no_crime_authorised_by="100234"),  # self-authorised
        ],
    )
    load(con, landing, "training")
    load(con, landing, "crimes")

    assert "staff_number" not in [c for c, _ in raw_columns("training")]
    stored = _all_text_values(con)
    assert not {"100234", "777001"} & stored
    p1, p2 = pseudonymise("100234", KEY), pseudonymise("777001", KEY)
    assert p1 and p1.startswith("P-") and len(p1) == 18 and p1 != p2
    got = rows(con, "SELECT staff_pseudonym, count(*) FROM raw.training GROUP BY 1 ORDER BY 2 DESC")
    assert got == [(p1, 2), (p2, 1)]
    req, auth = rows(con, "SELECT no_crime_requested_by, no_crime_authorised_by FROM raw.crimes")[0]
    assert req == auth == p1  # equality preserved: SELF_AUTHORISED still detectable

    # nor in the database file's bytes (dropped landing tables could leave them in free blocks)
    con.execute("CHECKPOINT")
    raw_bytes = (tmp_path / "build.duckdb").read_bytes()
    assert b"100234" not in raw_bytes and b"777001" not in raw_bytes


def test_different_key_gives_different_pseudonyms(tmp_path: Path):
    results = []
    for i, key in enumerate(("key-one", "key-two")):
        d = tmp_path / f"l{i}"
        write_training(d / "training_2021_q1.csv", [training(staff_number="100234")])
        c = duckdb.connect()
        load(c, d, "training", key=key)
        results.append(rows(c, "SELECT staff_pseudonym FROM raw.training")[0][0])
        c.close()
    assert results[0] != results[1]
    assert results == [pseudonymise("100234", "key-one"), pseudonymise("100234", "key-two")]


def test_append_refuses_a_different_key_than_landing_used(con, landing: Path):
    write_training(landing / "training_2021_q1.csv", [training()])
    files = discover_new_files(con, landing, "training")
    read_into_landing(con, files, "training", pseudonym_key="key-one")
    with pytest.raises(ValueError, match="different key"):
        append_to_raw(con, "training", files, "run-1", "key-two")
    assert rows(con, "SELECT count(*) FROM raw.training") == [(0,)]  # rolled back


def test_default_key_comes_from_environment(con, landing: Path, monkeypatch):
    monkeypatch.setenv("SCRS_PSEUDONYM_KEY", "env-key")
    write_training(landing / "training_2021_q1.csv", [training()])
    files = discover_new_files(con, landing, "training")
    read_into_landing(con, files, "training")
    append_to_raw(con, "training", files, "run-1")
    assert rows(con, "SELECT staff_pseudonym FROM raw.training") == [(pseudonymise("100234", "env-key"),)]
    assert os.environ["SCRS_PSEUDONYM_KEY"] == "env-key"

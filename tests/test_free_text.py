"""Free text is screened for personal data: a staff number or a rank and name quarantines the file."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import duckdb
import pytest

from scrs.ingest import discover_new_files, read_into_landing
from scrs.quality.free_text import CHECK, find_personal_data, screen_free_text
from tests import extract_factory as xf
from tests.conftest import run_scrs

KEY = "free-text-test-key"

# Hand-checked: (text, kinds found). Every positive is a real way officers are written in police text.
CASES = [
    ("Reviewed with PC Smith on the 3rd.", {"rank_and_name"}),
    ("Passed to DS McLeod for sign-off", {"rank_and_name"}),
    ("Insp. J. Brown agreed the plan", {"rank_and_name"}),
    ("Sergeant O'Neil to chase", {"rank_and_name"}),
    ("Chief Inspector Smith-Jones presented it", {"rank_and_name"}),
    ("Ch Supt Grant chaired", {"rank_and_name"}),
    ("PC 1234 attended", {"rank_and_number"}),
    ("raised by SN012345", {"staff_number"}),
    ("staff no 00123456 trained", {"staff_number"}),
    # Not personal data: the ranks as roles, units, dates, acronyms, the generator's own notes.
    ("Options paper for the Chief Constable's self-assessment.", set()),
    ("CIMU and C3 maps finished; DS and DC roles reviewed", set()),
    ("Target moved to 2025-06-30 after the 2021 audit", set()),
    ("Crime Registrars", set()),
    ("Sergeants and inspectors briefed in all 13 divisions", set()),
]


@pytest.mark.parametrize(("text", "kinds"), CASES)
def test_find_personal_data(text: str, kinds: set[str]) -> None:
    assert {f.kind for f in find_personal_data(text)} == kinds


def test_the_screen_names_file_column_and_lines_of_crimes_no_crime_reason(tmp_path: Path) -> None:
    rows = [xf.no_crime(crime_id=f"CR/G/{i:07d}/21") for i in range(1, 6)]
    rows[1]["no_crime_reason"] = "Agreed with PC Walker"  # line 3
    rows[3]["no_crime_reason"] = "CREDIBLE_INFORMATION per SN654321"  # line 5
    xf.write_crimes(tmp_path / "crimes_2021_04.csv", rows)
    xf.write_crimes(tmp_path / "crimes_2021_05.csv", [xf.no_crime(crime_id="CR/G/0000009/21")])
    con = duckdb.connect()
    files = discover_new_files(con, tmp_path, "crimes")
    assert read_into_landing(con, files, "crimes", pseudonym_key=KEY) == []
    faults = screen_free_text(con, "crimes", [f.name for f in files])
    assert [(f.file, f.check, f.column, f.line_numbers, f.count, f.blocking) for f in faults] == [
        ("crimes_2021_04.csv", CHECK, "no_crime_reason", [3, 5], 2, True)
    ]
    assert "Walker" not in faults[0].message and "654321" not in faults[0].message


def test_a_planted_staff_number_and_name_quarantine_the_file_and_publish_nothing(fresh_pipeline: dict) -> None:
    landing, warehouse = fresh_pipeline["landing"], fresh_pipeline["warehouse"]
    served = warehouse / "warehouse.duckdb"
    before = hashlib.sha256(served.read_bytes()).hexdigest()
    source = sorted(landing.glob("improvement_updates_*.csv"))[0]
    with source.open(newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    rows[2]["progress_note"] += " Checked with SN246810 on the day."  # line 4
    rows[5]["reported_by"] = "Sgt Murray"  # line 7
    planted = landing / "improvement_updates_zz_planted.csv"
    with planted.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)

    proc = run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet")
    assert proc.returncode == 1, proc.stderr
    assert "improvement_updates_zz_planted.csv" in proc.stderr and CHECK in proc.stderr
    assert "SN246810" not in proc.stderr and "Murray" not in proc.stderr

    assert not planted.exists()
    report = json.loads((landing / "quarantine" / f"{planted.name}.report.json").read_text())
    found = {c["column"]: c["first_lines"] for c in report["checks"] if c["check"] == CHECK}
    assert found == {"progress_note": [4], "reported_by": [7]}
    reports = (landing / "quarantine" / f"{planted.name}.report.txt").read_text() + json.dumps(report)
    assert "SN246810" not in reports and "Murray" not in reports
    assert hashlib.sha256(served.read_bytes()).hexdigest() == before  # the published warehouse is untouched
    with duckdb.connect(str(served), read_only=True) as con:
        assert not con.sql(
            "select 1 from raw.improvement_updates where _source_file = ?", params=[planted.name]
        ).fetchall()

"""The worklist's sequence of hand-made extracts through real pipeline runs, built once per `make test` for
tests/test_worklist_pipeline.py and tests/e2e/test_worklist_browser.py (`worklist_sequence` in tests/conftest.py).

Three monthly deliveries of a handful of records, with review writes between the runs, then a full rebuild
into an empty warehouse folder from a backup (the table of records is in tests/test_worklist_pipeline.py).
The folder `build` fills (read-only for the tests: a test that writes takes a copy):
- `after_run_1/`, `after_run_2/`, `after_run_3/`: the landing folder and warehouse folder just after each run,
  before that step's review writes (the browser test makes run 1's writes itself, through the page, on a copy);
- `landing/`, `warehouse/`: the end of the sequence (every write made, the division G pack exported);
- `pack_G/`, `backup/`, `rebuilt/` (the full rebuild from the backup, over `landing2/`).
"""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import duckdb
import pandas as pd

from scrs.reviews import Person, ReviewStore
from tests import extract_factory as xf
from tests.conftest import run_scrs

I1, I2, I3, I4, I5 = (f"PS-2021011{n}-0000{n}" for n in range(1, 6))
C1, C2, C3 = "CR/G/0000001/21", "CR/G/0000002/21", "CR/G/0000003/21"
EXTRACTED = ["2021-02-01 02:00:00", "2021-03-01 02:00:00", "2021-04-15 02:00:00"]
AS_OF = [date(2021, 2, 1), date(2021, 3, 1), date(2021, 4, 15)]
DIV_G = Person("division-g", "division", "G")
REGISTRAR = Person("registrar", "registrar")
# The review writes after each run (none after run 3): (who, test, record, state, note)
WRITES = [
    [
        (DIV_G, "TIMELY72", C1, "rectified", "recording time corrected"),
        (DIV_G, "TEST1", I2, "rectified", "crime now recorded"),
    ],
    [
        (DIV_G, "TEST1", I5, "disputed", "duplicate incident, disposal keyed wrongly"),
        (REGISTRAR, "TEST1", I5, "overturned", "rule error: duplicates"),
        (DIV_G, "TIMELY72", C1, "under_review", "checking the crime system again"),
    ],
    [],
]


def write_extract(landing: Path, n: int) -> None:
    """Delivery `n` (0, 1, 2) into `landing`."""
    at = EXTRACTED[n]
    if n == 0:
        xf.write_incidents(
            landing / "incidents_2021_01.csv",
            [
                xf.incident(incident_id=I1, extracted_at=at),
                xf.incident(incident_id=I2, initial_type_code="ASSAULT", final_type_code="ASSAULT", extracted_at=at),
                xf.incident(incident_id=I3, extracted_at=at),
                xf.incident(incident_id=I4, division_code="E", extracted_at=at),
            ],
        )
        xf.write_crimes(
            landing / "crimes_2021_01.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-20 10:00:00", extracted_at=at),
                xf.crime(crime_id=C3, incident_id=I3, extracted_at=at),
            ],
        )
    elif n == 1:
        xf.write_incidents(
            landing / "incidents_2021_03.csv",
            [
                xf.incident(
                    incident_id=I5,
                    created_at="2021-02-14 09:00:00",
                    closed_at="2021-02-14 11:00:00",
                    initial_type_code="FRAUD",
                    final_type_code="FRAUD",
                    extracted_at=at,
                )
            ],
        )
        xf.write_crimes(
            landing / "crimes_2021_03.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-20 10:00:00", extracted_at=at),
                xf.crime(
                    crime_id=C2, incident_id=I2, crime_code="0140", recorded_at="2021-01-14 12:00:00", extracted_at=at
                ),
            ],
        )
    else:
        xf.write_crimes(
            landing / "crimes_2021_04.csv",
            [
                xf.crime(crime_id=C1, incident_id=I1, recorded_at="2021-01-15 10:00:00", extracted_at=at),
                xf.crime(
                    crime_id=C2, incident_id=None, crime_code="0140", recorded_at="2021-01-14 12:00:00", extracted_at=at
                ),
            ],
        )


def published(warehouse: Path, sql: str) -> pd.DataFrame:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.sql(sql).df()


def run(landing: Path, warehouse: Path) -> None:
    run_scrs("run", "--landing", str(landing), "--warehouse", str(warehouse), "--quiet", check=True)


def store(warehouse: Path) -> ReviewStore:
    """The review store of a warehouse folder (writes logged to its access log)."""
    return ReviewStore(warehouse / "state" / "reviews.sqlite", warehouse / "logs" / "access.jsonl")


def build(base: Path) -> None:
    """Four `scrs run`s: three deliveries, with the review writes between them, then a full rebuild."""
    landing, warehouse = base / "landing", base / "warehouse"
    served = warehouse / "warehouse.duckdb"
    for n in range(3):
        write_extract(landing, n)
        run(landing, warehouse)
        after = base / f"after_run_{n + 1}"
        shutil.copytree(landing, after / "landing")
        shutil.copytree(warehouse, after / "warehouse")
        for who, test_code, record_id, state, note in WRITES[n]:
            store(warehouse).set_state(who, test_code, record_id, state, note, served_db=served)
    run_scrs("export", "--warehouse", str(warehouse), "--out", str(base / "pack_G"), "--division", "G", check=True)
    # A full rebuild into an empty warehouse folder: the store and log come back from a backup.
    backup = base / "backup"
    run_scrs("backup", "--warehouse", str(warehouse), "--out", str(backup), check=True)
    rebuilt, landing2 = base / "rebuilt", base / "landing2"
    run_scrs("restore", "--from", str(backup), "--warehouse", str(rebuilt), check=True)
    shutil.copytree(landing, landing2, ignore=shutil.ignore_patterns("quarantine"))
    run(landing2, rebuilt)

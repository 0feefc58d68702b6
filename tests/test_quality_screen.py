"""The DuckDB pre-screen (scrs/quality/screen.py) changes no result: every quality test runs again here with
each validation done three ways (screened with the rows copied first, as for a month's files; screened reading
them twice, as for a full load; and GX on whole files as before) and the results compared."""

from __future__ import annotations

import duckdb
import pytest

import scrs.quality.screen as screen_module
import scrs.quality.validate as validate_module
from scrs.quality.screen import Screen, screen_landing
from scrs.quality.suites import crime_related_disposals, load_suite_json, seed_parameters
from tests import test_quality
from tests.extract_factory import crime, incident, numbered
from tests.test_quality import *  # noqa: F403  (the quality tests, collected again under the fixture below)
from tests.test_quality import Batch

_validate = validate_module.validate_landing

# Every quality test again, each validation done twice (~16 s CPU): in `make test`, not the edit loop, which runs
# tests/test_quality.py itself (the screened path the pipeline takes).
pytestmark = pytest.mark.slow


def _comparable(results) -> list[dict]:
    return [{k: v for k, v in r.to_dict().items() if k != "checked_at"} for r in results]


@pytest.fixture(autouse=True)
def screened_equals_whole_file_gx(monkeypatch: pytest.MonkeyPatch) -> None:
    def both(con, kind, files, run_id, *args, **kwargs):
        files = list(files)
        screened = _validate(con, kind, files, run_id, *args, **kwargs)
        with monkeypatch.context() as m:  # a full load's rows, read twice rather than copied first
            m.setattr(screen_module, "MATERIALISE_BASE_ROWS", -1)
            assert _comparable(_validate(con, kind, files, run_id, *args, **kwargs)) == _comparable(screened)
        with monkeypatch.context() as m:
            m.setattr(validate_module, "screen_landing", lambda *a, **k: Screen(complete=False))
            whole = _validate(con, kind, files, run_id, *args, **kwargs)
        assert _comparable(screened) == _comparable(whole)
        return screened

    monkeypatch.setattr(test_quality, "validate_landing", both)


def test_screen_translates_every_expectation_of_the_suites(tmp_path) -> None:
    """Every expectation in expectations/*.json is screened in SQL (none sends whole files to GX)."""
    con = duckdb.connect()
    batch = Batch(con, tmp_path)
    batch.write("incidents", "incidents_2021_01.csv", numbered(incident, 20, "incident_id", "PS-20210101-{:05d}"))
    batch.write(
        "crimes",
        "crimes_2021_01.csv",
        [crime(incident_id=f"PS-20210101-{i:05d}", crime_id=f"CR-{i:07d}") for i in range(1, 6)],
    )
    for kind in ("incidents", "crimes"):
        files, faults, _ = batch.check(kind)
        assert not [f for f in faults if f.blocking]
        expectations = [
            (e["type"], e.get("kwargs") or {})
            for e in load_suite_json(validate_module.EXPECTATIONS_DIR, kind)["expectations"]
            if e["type"] not in validate_module.COLUMN_LAYOUT_TYPES
        ]
        screened = screen_landing(
            con, kind, [f.name for f in files], expectations, seed_parameters(), crime_related_disposals()
        )
        assert screened.complete, kind
        assert sum(screened.rows.values()) == (20 if kind == "incidents" else 5)

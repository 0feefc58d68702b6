"""Thematic and unit marts (issue 14) on a small hand-made raw layer, checked against hand-worked figures.

One `dbt build` (module fixture) of the category, unit and change marts with their upstream and their data
tests (so the category-sum test runs on real data too). The Wilson bounds are worked out here by statsmodels,
an independent implementation; the counts by hand from the rows below.
"""

from __future__ import annotations

import duckdb
import pytest
from statsmodels.stats.proportion import proportion_confint

from tests.dbt_helpers import create_raw_schema, fetch_dicts, insert_rows, run_dbt
from tests.extract_factory import crime, incident

pytestmark = pytest.mark.dbt  # one `dbt build` with data tests (module fixture `marts`): make test, not test-fast


def _crime(crime_id: str, unit: str, recorded_at: str, **extra: object) -> dict:
    """A crime reported 2021-01-10 10:00 (2020/21 Q4) in G; the pseudonym columns are already pseudonyms."""
    return crime(
        crime_id=crime_id,
        incident_id=extra.pop("incident_id", None),
        reported_at="2021-01-10 10:00:00",
        recorded_at=recorded_at,
        recording_unit=unit,
        **extra,
    )


# Resolution Team, TIMELY72 in 2020/21 Q4: 1 h, 71:59, exactly 72:00 pass; 72:01 and 100 h fail -> 3 of 5.
# Local policing: two in time -> 2 of 2. TEST2 (linked to the THEFT incident PS-1, crime related):
# RT-1 0340 (DISHONESTY) allowed, RT-2 0201 (SEXUAL) not -> Resolution Team 1 of 2.
INCIDENTS = [
    incident(incident_id="PS-1", created_at="2021-01-10 09:50:00", closed_at="2021-01-10 12:00:00"),
]
CRIMES = [
    _crime("RT-1", "RESOLUTION_TEAM", "2021-01-10 11:00:00", incident_id="PS-1", crime_code="0340"),
    _crime("RT-2", "RESOLUTION_TEAM", "2021-01-13 09:59:00", incident_id="PS-1", crime_code="0201"),
    _crime("RT-3", "RESOLUTION_TEAM", "2021-01-13 10:00:00", crime_code="0130"),
    _crime("RT-4", "RESOLUTION_TEAM", "2021-01-13 10:01:00", crime_code="0140"),
    _crime("RT-5", "RESOLUTION_TEAM", "2021-01-14 14:00:00", crime_code="0410"),
    _crime("LP-1", "LOCAL_POLICING", "2021-01-10 12:00:00", crime_code="0410"),
    _crime("LP-2", "LOCAL_POLICING", "2021-01-11 12:00:00", crime_code="0201", division_code="E"),
]


@pytest.fixture(scope="module")
def marts(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("thematic")
    db_path = work / "warehouse.duckdb"  # the name test_improvement_plan.py uses: dbt's parse is reused
    con = duckdb.connect(str(db_path))
    create_raw_schema(con)
    insert_rows(con, "incidents", INCIDENTS)
    insert_rows(con, "crimes", CRIMES)
    con.close()
    result = run_dbt(
        [
            "build",
            "--select",
            "+compliance_by_unit_test +compliance_national_category_test +compliance_change_national_test "
            "+compliance_by_division_test",
            "--exclude",
            "test_type:unit",
            "--indirect-selection",
            "cautious",
        ],
        db_path,
        work,
        reuse_parse=True,
    )
    assert result.returncode == 0, f"dbt build failed:\n{result.stdout[-6000:]}"
    ro = duckdb.connect(str(db_path), read_only=True)
    yield ro
    ro.close()


def _wilson_pct(compliant: int, examined: int) -> tuple[float, float]:
    lower, upper = proportion_confint(compliant, examined, alpha=0.05, method="wilson")
    return round(100 * lower, 2), round(100 * upper, 2)


def test_unit_mart_reproduces_the_hand_checked_resolution_team_case(marts) -> None:
    rows = fetch_dicts(
        marts,
        "select * from marts.compliance_by_unit_test where fiscal_year = '2020/21' and fiscal_quarter = 4 "
        "order by test_code, recording_unit",
    )
    got = {(r["test_code"], r["recording_unit"]): r for r in rows}
    assert set(got) == {("TIMELY72", "RESOLUTION_TEAM"), ("TIMELY72", "LOCAL_POLICING"), ("TEST2", "RESOLUTION_TEAM")}
    rt = got[("TIMELY72", "RESOLUTION_TEAM")]
    assert (rt["examined"], rt["compliant"], float(rt["compliance_pct"])) == (5, 3, 60.0)
    assert (rt["ci_lower_pct"], rt["ci_upper_pct"]) == _wilson_pct(3, 5)
    assert rt["status"] == "below"
    lp = got[("TIMELY72", "LOCAL_POLICING")]
    assert (lp["examined"], lp["compliant"]) == (2, 2)
    assert lp["status"] == "not_distinguishable"
    t2 = got[("TEST2", "RESOLUTION_TEAM")]
    assert (t2["examined"], t2["compliant"], float(t2["compliance_pct"])) == (2, 1, 50.0)
    assert (t2["ci_lower_pct"], t2["ci_upper_pct"]) == _wilson_pct(1, 2)


def test_category_rows_sum_to_division_totals_and_themes_pick_out_hmics_areas(marts) -> None:
    division = {
        (r["division_code"], r["test_code"]): (r["examined"], r["compliant"])
        for r in fetch_dicts(marts, "select * from marts.compliance_by_division_test")
    }
    categories = fetch_dicts(marts, "select * from marts.compliance_by_category_test")
    for scheme in ("category_2021", "legacy_group"):
        summed: dict[tuple[str, str], list[int]] = {}
        for r in categories:
            if r["scheme"] == scheme:
                total = summed.setdefault((r["division_code"], r["test_code"]), [0, 0])
                total[0] += r["examined"]
                total[1] += r["compliant"]
        expected = {key: value for key, value in division.items() if key[1] != "TEST1"}
        assert {key: tuple(value) for key, value in summed.items()} == expected, scheme

    by_key = {(r["division_code"], r["test_code"], r["scheme"], r["category_code"]): r for r in categories}
    # G TIMELY72: VIOLENCE = RT-3 (0130, in time) + RT-4 (0140, late) -> 1 of 2; legacy 0140 is group 6.
    violence = by_key[("G", "TIMELY72", "category_2021", "VIOLENCE")]
    assert (violence["examined"], violence["compliant"], violence["hmics_theme"]) == (2, 1, "violence")
    assert (by_key[("G", "TIMELY72", "legacy_group", "1")]["examined"]) == 1
    assert (by_key[("G", "TIMELY72", "legacy_group", "6")]["examined"]) == 1
    # Domestic abuse theme: 0130 only (RT-4 0140 has no DOMESTIC incident) -> 1 of 1.
    domestic = by_key[("G", "TIMELY72", "hmics_theme", "domestic_abuse")]
    assert (domestic["examined"], domestic["compliant"]) == (1, 1)
    # Sexual crime theme nationally: RT-2 (G, in time) and LP-2 (E, in time) -> 2 of 2.
    national = fetch_dicts(
        marts,
        "select * from marts.compliance_national_category_test where test_code = 'TIMELY72' "
        "and scheme = 'hmics_theme' and category_code = 'sexual_crime'",
    )
    assert [(r["examined"], r["compliant"]) for r in national] == [(2, 2)]

"""Synthetic extract generator: contract formats, determinism, late updates, and the planted truth.

The truth check recomputes every compliance figure from the written CSV files with plain pandas and zoneinfo,
independently of the generator's own code, and compares it with `_truth/`.
"""

from __future__ import annotations

import csv
import filecmp
import re
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from scrs.generator import DEFAULT_SCALE, DEFAULT_YEARS, GenerateSummary, generate, parse_years
from scrs.generator.periods import local_to_utc, utc_to_local

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
LONDON = ZoneInfo("Europe/London")
TS_RE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}$"
DATE_RE = r"^\d{4}-\d{2}-\d{2}$"

# contract section 1, in the contract's order (which the generator keeps)
INCIDENT_COLUMNS = [
    "incident_id", "division_code", "created_at", "grade", "channel", "initial_type_code",
    "final_type_code", "closed_at", "disposal_code", "closing_unit", "cyber_flag", "extracted_at",
]  # fmt: skip
CRIME_COLUMNS = [
    "crime_id", "incident_id", "division_code", "reported_at", "recorded_at", "crime_code",
    "recording_unit", "cyber_marker", "status", "no_crime_at", "no_crime_reason", "no_crime_requested_by",
    "no_crime_authorised_by", "no_crime_authoriser_role", "complainer_informed", "source_system",
    "extracted_at",
]  # fmt: skip
TRAINING_COLUMNS = [
    "staff_number", "unit_code", "role_cluster", "course_code", "status", "assigned_on", "completed_on",
    "extracted_at",
]  # fmt: skip


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS / f"{name}.csv", dtype=str, keep_default_na=False)


def read_kind(out: Path, kind: str) -> pd.DataFrame:
    """All files of a kind, as written: strings, empty field = ''. Adds the file name."""
    frames = []
    for path in sorted(out.glob(f"{kind}_*.csv")):
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
        df["_file"] = path.name
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def current(df: pd.DataFrame, key: list[str]) -> pd.DataFrame:
    """Latest extracted_at per key (the contract's current state)."""
    assert not df.duplicated([*key, "extracted_at"]).any()
    return df.sort_values("extracted_at").drop_duplicates(key, keep="last")


def to_utc(local: pd.Series) -> pd.Series:
    """Naive Europe/London wall clock -> UTC; refuses ambiguous or skipped times (none may be written)."""
    ts = pd.to_datetime(local, format="%Y-%m-%d %H:%M:%S")
    return ts.dt.tz_localize(LONDON, ambiguous="raise", nonexistent="raise").dt.tz_convert("UTC")


def period(local: pd.Series) -> tuple[pd.Series, pd.Series]:
    ts = pd.to_datetime(local, format="%Y-%m-%d %H:%M:%S")
    start = ts.dt.year - (ts.dt.month < 4)
    label = start.astype(str) + "/" + ((start + 1) % 100).map("{:02d}".format)
    return label, ((ts.dt.month - 4) % 12) // 3 + 1


def recompute(out: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Contract section 3 from the CSV files alone: (compliance, failure reasons) per cell."""
    inc = current(read_kind(out, "incidents"), ["incident_id"])
    cr = current(read_kind(out, "crimes"), ["crime_id"])
    disposals = seed("disposal_codes")
    related = set(disposals.loc[disposals.crime_related == "Y", "disposal_code"])
    codes = seed("crime_codes").set_index("crime_code")
    types = seed("incident_types")
    any_types = set(types.loc[types.allows_any_category == "Y", "incident_type_code"])
    allowed = set(map(tuple, seed("incident_type_allowed_categories").values))
    valid_reasons = set(seed("no_crime_reasons").no_crime_reason)
    roles = seed("no_crime_authoriser_roles")
    ok_roles = set(roles.loc[roles.may_authorise == "Y", "authoriser_role"])
    records = []  # (test, dating local ts, division, reasons list)

    t1 = inc[inc.disposal_code.isin(related)]
    linked_ids = set(cr.incident_id[cr.incident_id != ""])
    for row in t1.itertuples():
        records.append(
            (
                "TEST1",
                row.created_at,
                row.division_code,
                [] if row.incident_id in linked_ids else ["CRIME_NOT_RECORDED"],
            )
        )

    inc_by_id = inc.set_index("incident_id")
    t2 = cr[cr.incident_id.isin(set(t1.incident_id))]
    for row in t2.itertuples():
        i = inc_by_id.loc[row.incident_id]
        typ = i.final_type_code or i.initial_type_code
        ok = typ in any_types or (typ, codes.loc[row.crime_code, "crime_category"]) in allowed
        records.append(("TEST2", i.created_at, row.division_code, [] if ok else ["WRONG_CLASSIFICATION"]))

    for row in cr[cr.status == "NO_CRIME"].itertuples():
        victim = codes.loc[row.crime_code, "victim_based"] == "Y"
        reason = row.no_crime_reason.strip()
        req, auth = row.no_crime_requested_by, row.no_crime_authorised_by
        reasons = []
        if reason not in valid_reasons:
            reasons.append("INVALID_REASON")
        if reason == "PROCEDURAL_ERROR" and victim:
            reasons.append("PROCEDURAL_ERROR_ON_VICTIM_CRIME")
        if not req or not auth:
            reasons.append("MISSING_REQUESTER_OR_AUTHORISER")
        if req and auth and req == auth:
            reasons.append("SELF_AUTHORISED")
        if row.no_crime_authoriser_role not in ok_roles:
            reasons.append("UNAUTHORISED_ROLE")
        if victim and row.complainer_informed != "Y":
            reasons.append("COMPLAINER_NOT_INFORMED")
        records.append(("NOCRIME", row.no_crime_at, row.division_code, reasons))

    hours = (to_utc(cr.recorded_at) - to_utc(cr.reported_at)).dt.total_seconds() / 3600
    for row, h in zip(cr.itertuples(), hours, strict=True):
        records.append(("TIMELY72", row.reported_at, row.division_code, [] if h <= 72 else ["NOT_RECORDED_WITHIN_72H"]))

    cyber_ids = set(inc.incident_id[inc.cyber_flag == "Y"])
    for row in cr[cr.incident_id.isin(cyber_ids)].itertuples():
        i = inc_by_id.loc[row.incident_id]
        records.append(
            (
                "CYBER",
                i.created_at,
                row.division_code,
                [] if row.cyber_marker == "Y" else ["CYBER_MARKER_MISSING"],
            )
        )

    rec = pd.DataFrame(records, columns=["test_code", "dated", "division_code", "reasons"])
    rec["fiscal_year"], rec["fiscal_quarter"] = period(rec.dated)
    rec["compliant"] = rec.reasons.map(len) == 0
    keys = ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]
    comp = rec.groupby(keys).agg(examined=("compliant", "size"), compliant=("compliant", "sum")).reset_index()
    fails = rec.explode("reasons").dropna(subset=["reasons"]).rename(columns={"reasons": "failure_reason"})
    fails = fails.groupby([*keys, "failure_reason"]).size().rename("records").reset_index()
    return comp, fails


def read_truth(out: Path, name: str) -> pd.DataFrame:
    return pd.read_csv(out / "_truth" / name, dtype={"fiscal_quarter": int})


def frame_set(df: pd.DataFrame) -> set[tuple]:
    return {tuple(str(v) for v in r) for r in df.itertuples(index=False)}


# ---------------------------------------------------------------------------------------------------------
# fixtures
# ---------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def small(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, GenerateSummary]:
    out = tmp_path_factory.mktemp("gen_small")
    return out, generate(out, scale=0.003, seed=11, years=["2019/20", "2020/21"], progress=False)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("gen_demo")
    generate(out, scale=DEFAULT_SCALE, seed=42, years=DEFAULT_YEARS, progress=False)
    return out


# ---------------------------------------------------------------------------------------------------------
# API
# ---------------------------------------------------------------------------------------------------------


def test_parse_years() -> None:
    assert parse_years("2017/18..2021/22") == ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22"]
    assert parse_years("2020/21") == ["2020/21"]
    assert parse_years(" 2020/21 , 2019/20,2020/21") == ["2019/20", "2020/21"]
    assert parse_years("1999/00..2000/01") == ["1999/00", "2000/01"]
    assert parse_years("2019/20..2020/21,2017/18..2018/19") == ["2017/18", "2018/19", "2019/20", "2020/21"]
    with pytest.raises(ValueError, match="consecutive: 2019/20, 2020/21 missing"):
        parse_years("2017/18..2018/19,2021/22")
    for bad in [
        "",
        "2020",
        "2020/22",
        "2020-21",
        "2021/22..2019/20",
        "2019/20..",
        "2019/20,,2020/21",
        "20/21",
        "x",
    ]:
        with pytest.raises(ValueError):
            parse_years(bad)


def test_defaults_and_summary(small: tuple[Path, GenerateSummary]) -> None:
    assert DEFAULT_SCALE == 0.02
    assert list(DEFAULT_YEARS) == ["2017/18", "2018/19", "2019/20", "2020/21", "2021/22", "2022/23", "2023/24"]
    out, summary = small
    assert summary.out_dir == out
    assert sorted(p.name for p in summary.files) == sorted(p.name for p in out.glob("*.csv"))
    assert len([p for p in summary.files if p.name.startswith("incidents_")]) == 24
    assert len([p for p in summary.files if p.name.startswith("training_")]) == 8
    assert summary.rows["incidents"] > summary.records["incidents"] > 0  # late updates add rows
    assert "extract files" in str(summary)


def test_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="consecutive"):
        generate(tmp_path, scale=0.001, years=["2017/18", "2019/20"], progress=False)
    with pytest.raises(ValueError, match="scale"):
        generate(tmp_path, scale=0, years=["2019/20"], progress=False)


def test_deterministic_per_seed(tmp_path: Path) -> None:
    a, b, c = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    for out, s in ((a, 5), (b, 5), (c, 6)):
        generate(out, scale=0.002, seed=s, years=["2020/21"], progress=False)
    names = sorted(p.relative_to(a).as_posix() for p in a.rglob("*.csv"))
    assert names == sorted(p.relative_to(b).as_posix() for p in b.rglob("*.csv"))
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors and len(match) == len(names)
    assert not filecmp.cmp(a / "crimes_2020_06.csv", c / "crimes_2020_06.csv", shallow=False)


def _naive(dt: datetime) -> int:
    """A wall-clock datetime as naive seconds (the generator's 'local' representation)."""
    return int(dt.replace(tzinfo=UTC).timestamp())


def test_clock_rule_matches_zoneinfo() -> None:
    rng = np.random.default_rng(0)
    lo, hi = _naive(datetime(2000, 1, 1)), _naive(datetime(2035, 1, 1))
    changes = [datetime(2021, 3, 28), datetime(2021, 10, 31), datetime(2019, 10, 27)]
    near = [_naive(d) + m * 60 for d in changes for m in range(-30, 240, 15)]
    instants = np.r_[rng.integers(lo, hi, 4000), near]
    expected = [_naive(datetime.fromtimestamp(int(x), LONDON).replace(tzinfo=None)) for x in instants]
    assert utc_to_local(instants).tolist() == expected
    # local -> UTC as zoneinfo with fold=0 (first occurrence of a repeated time)
    local = np.r_[rng.integers(lo, hi, 4000), near]
    expected = [int(datetime.fromtimestamp(int(x), UTC).replace(tzinfo=LONDON).timestamp()) for x in local]
    assert local_to_utc(local).tolist() == expected
    # the brief's example: reported 2021-03-27 10:00, recorded 2021-03-30 10:30 local = 71.5 real hours
    a, b = local_to_utc(np.array([_naive(datetime(2021, 3, 27, 10)), _naive(datetime(2021, 3, 30, 10, 30))]))
    assert b - a == 71.5 * 3600


# ---------------------------------------------------------------------------------------------------------
# Contract section 1
# ---------------------------------------------------------------------------------------------------------


def _check_file_common(path: Path, expected_cols: list[str], key: list[str]) -> pd.DataFrame:
    with path.open(encoding="utf-8", newline="") as fh:
        header = next(csv.reader(fh))
    assert header == expected_cols, path.name
    df = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert not df.duplicated(key).any(), f"duplicate key in {path.name}"
    assert df.extracted_at.str.match(TS_RE).all()
    assert df.extracted_at.nunique() == 1
    return df


def _month_of(path: Path) -> str:
    return re.search(r"_(\d{4})_(\d{2})\.csv$", path.name).expand(r"\1-\2")


def test_incident_files_match_contract(small: tuple[Path, GenerateSummary]) -> None:
    out, _ = small
    divisions = set(seed("divisions").division_code)
    types = set(seed("incident_types").incident_type_code)
    for path in sorted(out.glob("incidents_*.csv")):
        df = _check_file_common(path, INCIDENT_COLUMNS, ["incident_id"])
        assert df.incident_id.str.match(r"^PS-\d{8}-\d{5}$").all()
        assert (df.incident_id.str[3:11] == df.created_at.str[:10].str.replace("-", "")).all()
        assert df.division_code.isin(divisions).all()
        assert df.grade.isin(set(seed("grades").grade)).all()
        assert df.channel.isin(set(seed("channels").channel)).all()
        assert df.initial_type_code.isin(types).all()
        assert df.final_type_code.isin(types | {""}).all()
        assert df.disposal_code.isin(set(seed("disposal_codes").disposal_code) | {""}).all()
        assert df.closing_unit.isin(set(seed("closing_units").closing_unit) | {""}).all()
        assert df.cyber_flag.isin({"Y", "N"}).all()
        assert df.created_at.str.match(TS_RE).all()
        open_ = df.closed_at == ""
        assert ((df.disposal_code == "") == open_).all() and ((df.closing_unit == "") == open_).all()
        assert (df.final_type_code[open_] == "").all()
        assert df.closed_at[~open_].str.match(TS_RE).all()
        closed = df[~open_]
        assert (to_utc(closed.closed_at) >= to_utc(closed.created_at)).all()
        assert (df.extracted_at >= df.created_at).all() and (closed.extracted_at >= closed.closed_at).all()
        # the file holds rows created in its month, plus later updates of earlier ones
        month = _month_of(path)
        assert (df.created_at.str[:7] <= month).all()
        assert ((df.created_at.str[:7] == month) | (df.closed_at.str[:7] == month)).all()


def test_crime_files_match_contract(small: tuple[Path, GenerateSummary]) -> None:
    out, _ = small
    codes = seed("crime_codes")
    go_live = seed("crime_system_go_live").set_index("division_code").go_live_date
    staff = set(read_truth(out, "staff_numbers.csv").staff_number)
    for path in sorted(out.glob("crimes_*.csv")):
        df = _check_file_common(path, CRIME_COLUMNS, ["crime_id"])
        assert df.crime_id.str.match(r"^CR/[A-Z]/\d{7}/\d{2}$").all()
        assert (df.crime_id.str.split("/").str[1] == df.division_code).all()
        assert df.incident_id.str.match(r"^(PS-\d{8}-\d{5})?$").all()
        assert df.division_code.isin(set(seed("divisions").division_code)).all()
        assert df.crime_code.str.match(r"^0\d{3}$").all() and df.crime_code.isin(set(codes.crime_code)).all()
        assert df.recording_unit.isin(set(seed("recording_units").recording_unit)).all()
        assert df.cyber_marker.isin({"Y", "N"}).all() and df.status.isin({"RECORDED", "NO_CRIME"}).all()
        assert df.source_system.isin({"LEGACY", "COS"}).all()
        assert (to_utc(df.recorded_at) >= to_utc(df.reported_at)).all()
        nc = df[df.status == "NO_CRIME"]
        rec = df[df.status == "RECORDED"]
        assert nc.no_crime_at.str.match(TS_RE).all()
        assert (to_utc(nc.no_crime_at) >= to_utc(nc.recorded_at)).all()
        for col in [
            "no_crime_at",
            "no_crime_reason",
            "no_crime_requested_by",
            "no_crime_authorised_by",
            "no_crime_authoriser_role",
            "complainer_informed",
        ]:
            assert (rec[col] == "").all(), col
        assert nc.no_crime_authoriser_role.isin(set(seed("no_crime_authoriser_roles").authoriser_role) | {""}).all()
        assert nc.complainer_informed.isin({"Y", "N", ""}).all()
        for col in ["no_crime_requested_by", "no_crime_authorised_by"]:
            refs = nc[col][nc[col] != ""]
            assert refs.str.match(r"^SN\d{6}$").all() and refs.isin(staff).all()
        latest = df[["reported_at", "recorded_at", "no_crime_at"]].max(axis=1)
        assert (df.extracted_at >= latest).all()
        month = _month_of(path)
        assert ((df.recorded_at.str[:7] == month) | (df.no_crime_at.str[:7] == month)).all()
        cos = df.recorded_at.str[:10] >= df.division_code.map(go_live)
        assert ((df.source_system == "COS") == cos).all()


def test_training_files_match_contract(small: tuple[Path, GenerateSummary]) -> None:
    out, _ = small
    completed_share = []
    for path in sorted(out.glob("training_*.csv")):
        df = _check_file_common(path, TRAINING_COLUMNS, ["staff_number", "course_code"])
        assert df.staff_number.str.match(r"^SN\d{6}$").all()
        assert df.unit_code.isin(set(seed("units").unit_code)).all()
        assert df.role_cluster.isin(set(seed("role_clusters").role_cluster)).all()
        assert df.course_code.isin(set(seed("training_courses").course_code)).all()
        assert df.status.isin({"ASSIGNED", "IN_PROGRESS", "COMPLETED"}).all()
        assert df.assigned_on.str.match(DATE_RE).all()
        done = df.status == "COMPLETED"
        assert (df.completed_on[~done] == "").all() and df.completed_on[done].str.match(DATE_RE).all()
        assert (df.completed_on[done] >= df.assigned_on[done]).all()
        assert (df.extracted_at.str[:10] > df.assigned_on).all()
        # one person, one unit and cluster
        assert (df.groupby("staff_number")[["unit_code", "role_cluster"]].nunique() == 1).all().all()
        completed_share.append(done.mean())
    assert completed_share[-1] > completed_share[0]
    people = read_kind(out, "training").staff_number.nunique()
    assert people >= 300


def test_staff_numbers_truth_lists_every_staff_number(small: tuple[Path, GenerateSummary]) -> None:
    out, _ = small
    listed = set(read_truth(out, "staff_numbers.csv").staff_number)
    cr = read_kind(out, "crimes")
    written = (
        set(read_kind(out, "training").staff_number)
        | set(cr.no_crime_requested_by)
        | set(cr.no_crime_authorised_by)
        | set(read_kind(out, "audit_outcomes").audited_by)  # the registrars (scrs/generator/audit.py)
    )
    assert listed == written - {""}


@pytest.mark.slow  # generates the demo-scale extracts (module fixture `demo`)
def test_late_updates_and_variety(demo: Path) -> None:
    inc_all = read_kind(demo, "incidents")
    cr_all = read_kind(demo, "crimes")
    # incidents first open, then closed in a later file with a later extracted_at
    twice = inc_all[inc_all.duplicated("incident_id", keep=False)].sort_values(["incident_id", "extracted_at"])
    assert twice.incident_id.nunique() > 100
    first, last = twice.groupby("incident_id").first(), twice.groupby("incident_id").last()
    assert (first.closed_at == "").all() and (last.closed_at != "").all()
    assert (last.extracted_at > first.extracted_at).all()
    inc = current(inc_all, ["incident_id"])
    assert (inc.closed_at == "").sum() > 10  # some stay open
    # crimes first RECORDED, later NO_CRIME
    twice = cr_all[cr_all.duplicated("crime_id", keep=False)].sort_values(["crime_id", "extracted_at"])
    assert twice.crime_id.nunique() > 100
    assert (
        twice.groupby("crime_id").status.agg(list)
        == pd.Series([["RECORDED", "NO_CRIME"]] * twice.crime_id.nunique(), index=sorted(twice.crime_id.unique()))
    ).all()
    cr = current(cr_all, ["crime_id"])
    assert 0.02 <= (cr.status == "NO_CRIME").mean() <= 0.04
    # volumes and shares
    years = len(DEFAULT_YEARS)
    assert 0.8 < len(inc) / (1_500_000 * DEFAULT_SCALE * years) < 1.2
    sc01 = inc.disposal_code == "SC01"
    assert 0.28 < sc01.mean() < 0.34
    assert 0.05 <= (inc.cyber_flag == "Y").mean() <= 0.08
    assert 0.10 <= (cr.recording_unit == "RESOLUTION_TEAM").mean() <= 0.15
    assert (cr.incident_id == "").mean() > 0.05
    assert cr.incident_id[cr.incident_id != ""].value_counts().max() == 2
    merged = cr[cr.incident_id != ""].merge(inc, on="incident_id", suffixes=("", "_inc"))
    assert (merged.division_code != merged.division_code_inc).sum() > 10
    assert merged.disposal_code.isin(["NC01", "NC02", "NC03", "NC04"]).sum() > 5  # warning case
    closed_sc01 = inc[sc01]
    assert (closed_sc01.final_type_code == "").sum() > 50
    assert (closed_sc01.final_type_code != closed_sc01.initial_type_code).sum() > 100
    # COS only in divisions live by the end of the span, and never before their go-live
    go_live = pd.read_csv(SEEDS / "crime_system_go_live.csv", dtype=str).set_index("division_code").go_live_date
    cos = cr[cr.source_system == "COS"]
    assert set(cos.division_code) == {d for d, day in go_live.items() if day <= "2024-03-31"}
    assert (cos.recorded_at.str[:10] >= cos.division_code.map(go_live)).all()
    # records within minutes of 1 April midnight and of clock changes
    t = inc.created_at.str[5:16]
    assert ((t >= "03-31 23:45") | (t <= "04-01 00:15")).sum() >= 20
    # TIMELY72 across clock changes: real elapsed hours differ from the wall clock and change the verdict
    real = (to_utc(cr.recorded_at) - to_utc(cr.reported_at)).dt.total_seconds() / 3600
    wall = (pd.to_datetime(cr.recorded_at) - pd.to_datetime(cr.reported_at)).dt.total_seconds() / 3600
    assert ((real <= 72) & (wall > 72)).sum() >= 5 and ((real > 72) & (wall <= 72)).sum() >= 5
    assert (real == 72).sum() >= 5
    # Resolution Team crimes are noticeably less timely
    rt = cr.recording_unit == "RESOLUTION_TEAM"
    assert (real[rt] <= 72).mean() < (real[~rt] <= 72).mean() - 0.05


# ---------------------------------------------------------------------------------------------------------
# The planted truth
# ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["small", pytest.param("demo", marks=pytest.mark.slow)])
def test_truth_matches_independent_recomputation(which: str, request: pytest.FixtureRequest) -> None:
    out = request.getfixturevalue("small")[0] if which == "small" else request.getfixturevalue("demo")
    comp, fails = recompute(out)
    truth = read_truth(out, "compliance_truth.csv")
    truth_fails = read_truth(out, "failure_reasons_truth.csv")
    assert list(truth.columns) == [
        "fiscal_year",
        "fiscal_quarter",
        "division_code",
        "test_code",
        "examined",
        "compliant",
    ]
    assert (truth.examined >= 1).all() and (truth.compliant <= truth.examined).all()
    assert frame_set(truth) == frame_set(comp[truth.columns])
    assert frame_set(truth_fails) == frame_set(fails[truth_fails.columns])
    assert set(truth.test_code) == {"TEST1", "TEST2", "NOCRIME", "TIMELY72", "CYBER"}
    if which == "demo":  # every No Crime failure reason is planted somewhere
        assert set(truth_fails.failure_reason[truth_fails.test_code == "NOCRIME"]) == {
            "INVALID_REASON", "PROCEDURAL_ERROR_ON_VICTIM_CRIME", "MISSING_REQUESTER_OR_AUTHORISER",
            "SELF_AUTHORISED", "UNAUTHORISED_ROLE", "COMPLAINER_NOT_INFORMED",
        }  # fmt: skip


@pytest.mark.slow  # generates the demo-scale extracts (module fixture `demo`)
def test_truth_crosses_fiscal_years(demo: Path) -> None:
    """A crime can fall in another fiscal year than its incident (each test has its own dating rule)."""
    inc = current(read_kind(demo, "incidents"), ["incident_id"]).set_index("incident_id")
    cr = current(read_kind(demo, "crimes"), ["crime_id"])
    cr = cr[cr.incident_id != ""]
    inc_fy, _ = period(inc.loc[cr.incident_id, "created_at"].reset_index(drop=True))
    rep_fy, _ = period(cr.reported_at.reset_index(drop=True))
    assert (inc_fy != rep_fy).sum() >= 1


def national_q4(truth: pd.DataFrame) -> pd.DataFrame:
    q4 = truth[truth.fiscal_quarter == 4].groupby(["test_code", "fiscal_year"])[["examined", "compliant"]].sum()
    q4["pct"] = 100 * q4.compliant / q4.examined
    return q4


@pytest.mark.slow  # generates the demo-scale extracts (module fixture `demo`)
def test_planted_story_at_demo_scale(demo: Path) -> None:
    truth = read_truth(demo, "compliance_truth.csv")
    q4 = national_q4(truth).pct
    for (test, year), target in {
        ("NOCRIME", "2018/19"): 94.86,
        ("NOCRIME", "2020/21"): 97.81,
        ("TEST1", "2019/20"): 91.4,
        ("TEST2", "2019/20"): 90.8,
        ("TIMELY72", "2019/20"): 91.1,
        ("CYBER", "2020/21"): 94.64,
    }.items():
        assert abs(q4[(test, year)] - target) <= 1.0, (test, year, q4[(test, year)])
    for test in ["TEST1", "TEST2", "NOCRIME"]:
        assert q4[(test, "2020/21")] > q4[(test, "2018/19")]
    # divisions vary: V poor and N good on TIMELY72; some divisions below 95% somewhere
    div = truth.groupby(["test_code", "division_code"])[["examined", "compliant"]].sum()
    pct = 100 * div.compliant / div.examined
    assert pct[("TIMELY72", "V")] < pct[("TIMELY72", "N")] - 10
    annual = truth[truth.fiscal_quarter == 4].copy()
    annual["pct"] = 100 * annual.compliant / annual.examined
    assert (annual.pct < 95).any() and (annual.pct >= 95).any()

"""The plain pandas script the warehouse replaces: the five SCRS tests by division and quarter, from the CSVs.

`make bench` times it against `scrs run` on the same extracts (issue 15: the product should beat it). It is
written as an analyst would write it: read every extract with `pandas.read_csv`, keep the latest row of each
record, apply the rules of `docs/rules.md` with DataFrame operations, count, and write the three compliance
tables as CSV. No DuckDB, no tricks; only what is needed to get the same figures as the marts (a test checks
that it does, so the comparison is like for like).

    python -m scrs.bench.pandas_marts LANDING OUT_DIR
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from scrs.settings import SEEDS_DIR

TS_FORMAT = "%Y-%m-%d %H:%M:%S"
Z = 1.959964
TARGET_PCT = 95.0
TIMELY_LIMIT_SECONDS = 72 * 3600
KEY = ["fiscal_year", "fiscal_quarter", "division_code", "test_code"]


def read_extracts(landing: Path, kind: str) -> pd.DataFrame:
    """Every file of one extract, as text, with the file name and line (to pick the latest row of a record)."""
    frames = []
    for path in sorted(landing.glob(f"{kind}_*.csv")):
        frame = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
        frame["_file"] = path.name
        frame["_line"] = np.arange(2, len(frame) + 2)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def clean(series: pd.Series) -> pd.Series:
    """Codes and references: trimmed, blank as missing."""
    trimmed = series.str.strip()
    return trimmed.where(trimmed != "")


def latest(frame: pd.DataFrame, key: str) -> pd.DataFrame:
    """The current state of each record: its row with the latest extracted_at (then the later file and line)."""
    frame[key] = frame[key].str.strip()
    frame["extracted_at"] = pd.to_datetime(frame["extracted_at"], format=TS_FORMAT)
    frame = frame.sort_values(["extracted_at", "_file", "_line"])
    return frame.drop_duplicates(key, keep="last").reset_index(drop=True)


def periods(local: pd.Series) -> pd.DataFrame:
    """Financial year ('2020/21') and quarter (Q1 April-June) of a local timestamp."""
    start = local.dt.year - (local.dt.month < 4)
    return pd.DataFrame(
        {
            "fiscal_year": start.astype(str) + "/" + ((start + 1) % 100).astype(str).str.zfill(2),
            "fiscal_quarter": ((local.dt.month + 8) % 12) // 3 + 1,
        },
        index=local.index,
    )


def to_utc(local: pd.Series) -> pd.Series:
    """Europe/London wall-clock time to the instant: the repeated autumn hour read as BST (the first), the
    skipped spring hour read with the offset before the change (as docs/rules.md)."""
    ambiguous = np.ones(len(local), dtype=bool)
    return local.dt.tz_localize("Europe/London", ambiguous=ambiguous, nonexistent=pd.Timedelta(hours=1))


def verdicts(test: str, frame: pd.DataFrame, dated_by: pd.Series, compliant: pd.Series) -> pd.DataFrame:
    out = periods(dated_by)
    out["division_code"] = frame["division_code"].values
    out["test_code"] = test
    out["is_compliant"] = compliant.values
    return out


def seed(name: str) -> pd.DataFrame:
    return pd.read_csv(SEEDS_DIR / f"{name}.csv", dtype=str, keep_default_na=False)


def judge(landing: Path) -> pd.DataFrame:
    """One row per examined record and test: period, division, test, compliant or not."""
    incidents = latest(read_extracts(landing, "incidents"), "incident_id")
    crimes = latest(read_extracts(landing, "crimes"), "crime_id")
    for column in ("division_code", "disposal_code", "initial_type_code", "final_type_code"):
        incidents[column] = clean(incidents[column])
    for column in ("incident_id", "division_code", "crime_code", "status", "no_crime_authoriser_role"):
        crimes[column] = clean(crimes[column])
    incidents["created_at"] = pd.to_datetime(incidents["created_at"], format=TS_FORMAT)
    for column in ("reported_at", "recorded_at"):
        crimes[column] = pd.to_datetime(crimes[column], format=TS_FORMAT)
    crimes["no_crime_at"] = pd.to_datetime(crimes["no_crime_at"].where(crimes["no_crime_at"] != ""), format=TS_FORMAT)

    disposals = seed("disposal_codes")
    codes = seed("crime_codes").set_index("crime_code")
    types = seed("incident_types").set_index("incident_type_code")
    allowed = seed("incident_type_allowed_categories")
    reasons = set(seed("no_crime_reasons")["no_crime_reason"])
    roles = seed("no_crime_authoriser_roles")
    may_authorise = set(roles.loc[roles["may_authorise"] == "Y", "authoriser_role"])

    # TEST1: crime-related incidents, compliant when at least one crime links to them.
    crime_related = set(disposals.loc[disposals["crime_related"] == "Y", "disposal_code"])
    test1 = incidents[incidents["disposal_code"].isin(crime_related)]
    linked = set(crimes["incident_id"].dropna())
    results = [verdicts("TEST1", test1, test1["created_at"], test1["incident_id"].isin(linked))]

    # TEST2 and CYBER: crimes judged against the incident they link to, dated by the incident.
    with_incident = crimes.merge(
        incidents[["incident_id", "created_at", "disposal_code", "initial_type_code", "final_type_code", "cyber_flag"]],
        on="incident_id",
        how="inner",
    )
    test2 = with_incident[with_incident["disposal_code"].isin(crime_related)].copy()
    test2["type_code"] = test2["final_type_code"].fillna(test2["initial_type_code"])
    test2["category"] = test2["crime_code"].map(codes["crime_category"])
    pairs = set(zip(allowed["incident_type_code"], allowed["crime_category"], strict=True))
    any_category = set(types.index[types["allows_any_category"] == "Y"])
    ok = [(t, c) in pairs or t in any_category for t, c in zip(test2["type_code"], test2["category"], strict=True)]
    results.append(verdicts("TEST2", test2, test2["created_at"], pd.Series(ok, index=test2.index)))

    cyber = with_incident[with_incident["cyber_flag"].str.strip() == "Y"]
    results.append(verdicts("CYBER", cyber, cyber["created_at"], cyber["cyber_marker"].str.strip() == "Y"))

    # NOCRIME: every rule of docs/rules.md; compliant when none is broken.
    no_crime = crimes[crimes["status"] == "NO_CRIME"].copy()
    reason = no_crime["no_crime_reason"].str.strip()
    victim = no_crime["crime_code"].map(codes["victim_based"]).eq("Y")
    requester = clean(no_crime["no_crime_requested_by"])
    authoriser = clean(no_crime["no_crime_authorised_by"])
    broken = (
        ~reason.isin(reasons)
        | ((reason == "PROCEDURAL_ERROR") & victim)
        | requester.isna()
        | authoriser.isna()
        | (requester == authoriser)
        | ~no_crime["no_crime_authoriser_role"].isin(may_authorise)
        | (victim & (no_crime["complainer_informed"].str.strip() != "Y"))
    )
    results.append(verdicts("NOCRIME", no_crime, no_crime["no_crime_at"], ~broken))

    # TIMELY72: every crime, recorded within 72 hours of real time.
    elapsed = (to_utc(crimes["recorded_at"]) - to_utc(crimes["reported_at"])).dt.total_seconds()
    results.append(verdicts("TIMELY72", crimes, crimes["reported_at"], elapsed <= TIMELY_LIMIT_SECONDS))
    return pd.concat(results, ignore_index=True)


def figures(counts: pd.DataFrame) -> pd.DataFrame:
    """Rate (2 dp, half up), Wilson 95% interval and status, as the committee reads them."""
    n = counts["examined"].astype(float)
    p = counts["compliant"] / n
    centre = p + Z**2 / (2 * n)
    margin = Z * np.sqrt(np.maximum(p * (1 - p) / n, 0) + Z**2 / (4 * n * n))
    lower = np.maximum(0.0, (centre - margin) / (1 + Z**2 / n)) * 100
    upper = np.minimum(1.0, (centre + margin) / (1 + Z**2 / n)) * 100
    counts["compliance_pct"] = ((20000 * counts["compliant"] + counts["examined"]) // (2 * counts["examined"])) / 100
    counts["ci_lower_pct"] = lower.round(2)
    counts["ci_upper_pct"] = upper.round(2)
    counts["status"] = np.where(
        lower >= TARGET_PCT, "meets", np.where(upper < TARGET_PCT, "below", "not_distinguishable")
    )
    return counts


def compliance_tables(judged: pd.DataFrame) -> dict[str, pd.DataFrame]:
    by_division = (
        judged.groupby(KEY).agg(examined=("is_compliant", "size"), compliant=("is_compliant", "sum")).reset_index()
    )
    divisions = seed("divisions")[["division_code", "division_name", "command_area"]]
    by_division = by_division.merge(divisions, on="division_code", how="left")
    area_key = ["fiscal_year", "fiscal_quarter", "command_area", "test_code"]
    by_area = by_division.groupby(area_key)[["examined", "compliant"]].sum().reset_index()
    national_key = ["fiscal_year", "fiscal_quarter", "test_code"]
    national = by_division.groupby(national_key)[["examined", "compliant"]].sum().reset_index()
    return {
        "compliance_by_division_test": figures(by_division),
        "compliance_by_command_area_test": figures(by_area),
        "compliance_national_test": figures(national),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m scrs.bench.pandas_marts", description=__doc__)
    parser.add_argument("landing", type=Path)
    parser.add_argument("out", type=Path)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    tables = compliance_tables(judge(args.landing))
    args.out.mkdir(parents=True, exist_ok=True)
    for name, table in tables.items():
        table.to_csv(args.out / f"{name}.csv", index=False)
    print(
        f"pandas recomputation: {len(tables['compliance_by_division_test']):,} rows in {time.perf_counter() - t0:.1f} s"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

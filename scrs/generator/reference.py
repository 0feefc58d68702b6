"""Reference data read from `seeds/*.csv`, the single source of truth for every code the generator writes."""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from scrs.settings import SEEDS_DIR


def _read(seeds_dir: Path, name: str) -> list[dict[str, str]]:
    path = seeds_dir / f"{name}.csv"
    with path.open(newline="", encoding="utf-8-sig") as fh:
        return list(csv.DictReader(fh))


def _column(rows: list[dict[str, str]], col: str) -> list[str]:
    return [r[col].strip() for r in rows]


@dataclass(frozen=True)
class Reference:
    divisions: list[str]
    division_share: np.ndarray  # normalised crime_share_2021
    national_units: list[str]  # unit codes that are not divisions (C3, SCD, OSD)
    grades: list[str]
    channels: list[str]
    closing_units: list[str]
    recording_units: list[str]
    incident_types: list[str]
    any_category_types: list[str]  # CONCERN_FOR_PERSON, SUSPICIOUS, OTHER
    disposals: list[str]
    crime_related_disposals: list[str]
    crime_codes: list[str]
    code_category: list[str]
    code_legacy_group: list[str]
    code_victim_based: np.ndarray  # bool per crime code
    categories: list[str]
    allowed: np.ndarray  # bool [type, category]: True when a crime of that category may link to that type
    no_crime_reasons: list[str]
    authoriser_roles: list[str]
    authorising_roles: list[str]  # may_authorise = Y
    role_clusters: list[str]
    courses: list[str]
    course_meant_for: list[str]
    go_live: dict[str, np.datetime64]  # division -> go-live date
    failure_reasons: dict[str, list[str]]  # test_code -> reasons in contract order
    test_codes: list[str]

    def code_allowed(self) -> np.ndarray:
        """bool [type, crime code]: the code's category is allowed for the incident type."""
        cat_idx = np.array([self.categories.index(c) for c in self.code_category])
        return self.allowed[:, cat_idx]


def load_reference(seeds_dir: Path | None = None) -> Reference:
    seeds_dir = Path(seeds_dir) if seeds_dir else SEEDS_DIR
    div_rows = _read(seeds_dir, "divisions")
    divisions = _column(div_rows, "division_code")
    share = np.array([float(r["crime_share_2021"]) for r in div_rows])
    units = _read(seeds_dir, "units")
    national_units = [r["unit_code"] for r in units if r["unit_type"].strip() != "DIVISION"]

    types_rows = _read(seeds_dir, "incident_types")
    types = _column(types_rows, "incident_type_code")
    any_types = [r["incident_type_code"] for r in types_rows if r["allows_any_category"].strip() == "Y"]
    categories = _column(_read(seeds_dir, "crime_categories"), "crime_category")
    allowed = np.zeros((len(types), len(categories)), dtype=bool)
    for r in _read(seeds_dir, "incident_type_allowed_categories"):
        allowed[types.index(r["incident_type_code"].strip()), categories.index(r["crime_category"].strip())] = True
    for t in any_types:
        allowed[types.index(t), :] = True

    disp_rows = _read(seeds_dir, "disposal_codes")
    code_rows = _read(seeds_dir, "crime_codes")
    role_rows = _read(seeds_dir, "no_crime_authoriser_roles")
    course_rows = _read(seeds_dir, "training_courses")
    go_live = {
        r["division_code"].strip(): np.datetime64(r["go_live_date"].strip(), "D")
        for r in _read(seeds_dir, "crime_system_go_live")
    }
    tests = _read(seeds_dir, "audit_tests")
    tests.sort(key=lambda r: int(r["display_order"]))

    return Reference(
        divisions=divisions,
        division_share=share / share.sum(),
        national_units=national_units,
        grades=_column(_read(seeds_dir, "grades"), "grade"),
        channels=_column(_read(seeds_dir, "channels"), "channel"),
        closing_units=_column(_read(seeds_dir, "closing_units"), "closing_unit"),
        recording_units=_column(_read(seeds_dir, "recording_units"), "recording_unit"),
        incident_types=types,
        any_category_types=any_types,
        disposals=_column(disp_rows, "disposal_code"),
        crime_related_disposals=[r["disposal_code"] for r in disp_rows if r["crime_related"].strip() == "Y"],
        crime_codes=_column(code_rows, "crime_code"),
        code_category=_column(code_rows, "crime_category"),
        code_legacy_group=_column(code_rows, "legacy_group"),
        code_victim_based=np.array([r["victim_based"].strip() == "Y" for r in code_rows]),
        categories=categories,
        allowed=allowed,
        no_crime_reasons=_column(_read(seeds_dir, "no_crime_reasons"), "no_crime_reason"),
        authoriser_roles=_column(role_rows, "authoriser_role"),
        authorising_roles=[r["authoriser_role"] for r in role_rows if r["may_authorise"].strip() == "Y"],
        role_clusters=_column(_read(seeds_dir, "role_clusters"), "role_cluster"),
        courses=_column(course_rows, "course_code"),
        course_meant_for=_column(course_rows, "meant_for"),
        go_live=go_live,
        failure_reasons={r["test_code"]: r["failure_reasons"].split(";") for r in tests},
        test_codes=[r["test_code"] for r in tests],
    )

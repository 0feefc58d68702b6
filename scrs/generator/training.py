"""People (staff numbers) and their SCRS training assignments, snapshotted at each quarter end."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scrs.generator import plan
from scrs.generator.periods import Window
from scrs.generator.reference import Reference
from scrs.generator.sampling import draw, draw_rows, mix_vector


@dataclass
class People:
    staff_number: np.ndarray  # str, 'SN' + 6 digits, distinct
    unit_codes: list[str]
    unit: np.ndarray  # index into unit_codes
    cluster: np.ndarray  # index into ref.role_clusters
    requesters: np.ndarray  # sorted person indices who may request a No Crime
    authorisers: np.ndarray  # sorted person indices who authorise (crime management)

    @property
    def n(self) -> int:
        return self.staff_number.size


@dataclass
class Assignments:
    person: np.ndarray
    course: np.ndarray
    assigned: np.ndarray  # epoch days
    started: np.ndarray  # epoch days (may be after every snapshot)
    completed: np.ndarray  # epoch days; a huge value = never


NEVER = np.iinfo(np.int64).max // 4


def build_people(rng: np.random.Generator, ref: Reference, scale: float) -> People:
    n = max(plan.PEOPLE_MIN, round(plan.PEOPLE_AT_SCALE_1 * scale))
    numbers = np.sort(rng.choice(999_999, size=n, replace=False) + 1)
    numbers = rng.permutation(numbers)
    staff = np.char.add("SN", np.char.zfill(numbers.astype(str), 6))
    unit_codes = list(ref.divisions) + list(ref.national_units)
    kinds = list(plan.UNIT_MIX)
    kind = draw(rng, np.array([plan.UNIT_MIX[k] for k in kinds]), n)
    unit = np.empty(n, dtype=np.int64)
    cluster_table = np.array(
        [mix_vector(ref.role_clusters, plan.CLUSTER_MIX_BY_UNIT[k], "CLUSTER_MIX_BY_UNIT") for k in kinds]
    )
    for i, k in enumerate(kinds):
        sel = kind == i
        if k == "DIVISION":
            unit[sel] = draw(rng, ref.division_share, int(sel.sum()))
        else:
            if k not in unit_codes:
                raise ValueError(f"plan.UNIT_MIX: unit {k} not in seeds/units.csv")
            unit[sel] = unit_codes.index(k)
    cluster = draw_rows(rng, cluster_table, kind)
    cm = ref.role_clusters.index("CRIME_MANAGEMENT")
    authorisers = np.flatnonzero(cluster == cm)
    others = np.flatnonzero(cluster != cm)
    requesters = np.sort(others[rng.random(others.size) < plan.REQUESTER_SHARE])
    if authorisers.size == 0 or requesters.size == 0:
        raise ValueError("too few people to name No Crime requesters and authorisers")
    return People(staff, unit_codes, unit, cluster, requesters, authorisers)


def build_assignments(rng: np.random.Generator, ref: Reference, people: People, win: Window) -> Assignments:
    first_day = win.start_local // 86_400
    end_day = win.end_local // 86_400
    span = end_day - (first_day - 365)
    cos_from = int(np.datetime64(plan.COS_COURSE_FROM, "D").astype(np.int64))
    persons, courses, assigned = [], [], []
    for ci, (course, meant) in enumerate(zip(ref.courses, ref.course_meant_for, strict=True)):
        if meant != "ALL" and meant not in ref.role_clusters:
            raise ValueError(f"seeds/training_courses.csv: {course} is meant for unknown cluster {meant}")
        who = (
            np.arange(people.n) if meant == "ALL" else np.flatnonzero(people.cluster == ref.role_clusters.index(meant))
        )
        p = plan.COURSE_ASSIGN_P.get(course, plan.COURSE_ASSIGN_P_DEFAULT)
        who = who[rng.random(who.size) < p]
        lo = first_day - 365
        if course == "COS_CRIME":
            lo = max(lo, cos_from)
        if lo >= end_day:
            continue
        persons.append(who)
        courses.append(np.full(who.size, ci))
        assigned.append(rng.integers(lo, end_day, who.size))
    person = np.concatenate(persons)
    course = np.concatenate(courses)
    assigned_day = np.concatenate(assigned)
    # everyone has at least the refresher (so every staff number appears in the training extract)
    missing = np.setdiff1d(np.arange(people.n), person)
    if missing.size:
        person = np.r_[person, missing]
        course = np.r_[course, np.full(missing.size, ref.courses.index("SCRS_REFRESHER"))]
        assigned_day = np.r_[assigned_day, rng.integers(first_day - 365, end_day, missing.size)]
    m = person.size
    started = assigned_day + rng.exponential(plan.START_DELAY_MEAN_DAYS, m).astype(np.int64)
    done = started + 1 + rng.exponential(plan.COMPLETE_DELAY_MEAN_DAYS, m).astype(np.int64)
    position = (assigned_day - (end_day - span)) / span
    p_complete = plan.COMPLETION_P_START + (plan.COMPLETION_P_END - plan.COMPLETION_P_START) * position
    completes = rng.random(m) < p_complete
    completed = np.where(completes, done, NEVER)
    order = np.lexsort((course, person))
    return Assignments(person[order], course[order], assigned_day[order], started[order], completed[order])

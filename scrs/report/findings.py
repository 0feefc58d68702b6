"""The pack's findings in plain sentences, generated from its (already suppressed) tables: nothing is said
that the figures beside it do not show, and a change is called a change only when its interval says so."""

from __future__ import annotations

from typing import Any

from scrs.report.data import WORDS
from scrs.report.model import Pack


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}%"


def _change_sentence(row: dict[str, Any], prefix: str, earlier: str, label: str) -> str | None:
    words = row.get(f"{prefix}change") if prefix else row.get("change")
    pp = row.get(f"{prefix}change_pp") if prefix else row.get("change_pp")
    lower = row.get(f"{prefix}ci_lower_pp") if prefix else row.get("change_ci_lower_pp")
    upper = row.get(f"{prefix}ci_upper_pp") if prefix else row.get("change_ci_upper_pp")
    if words is None or pp is None:
        return None
    return (
        f"Against {label} ({_pct(row.get(earlier))}) the change is {pp:+.2f} points "
        f"[{lower:+.2f}, {upper:+.2f}]: {WORDS[words]}."
    )


def _withheld(name: str, examined: int, min_records: int) -> str:
    """Why a figure is blank: too few records of its own, or withheld as a complementary cell (it has
    enough records, but publishing it would let a smaller blanked figure be worked out by subtraction)."""
    if examined < min_records:
        return f"{name}: {examined} records examined, too few to publish a rate (fewer than {min_records})."
    return (
        f"{name}: {examined:,} records examined; the rate is withheld so that a smaller blanked figure "
        "cannot be worked out by subtraction (disclosure control)."
    )


def headline_findings(pack: Pack) -> list[str]:
    out = []
    for row in pack.tables["headline"].rows:
        name = f"{row['measure']} ({row['test_code']})"
        if row.get("compliance_pct") is None:
            out.append(_withheld(name, row["examined"], pack.min_records))
            continue
        sentence = (
            f"{name}: {_pct(row['compliance_pct'])} of {row['examined']:,} records compliant "
            f"(95% interval {_pct(row['ci_lower_pct'])} to {_pct(row['ci_upper_pct'])}), "
            f"{WORDS[row['status']]} of {pack.target_pct:g}%."
        )
        changes = [
            _change_sentence(row, "", "previous_year_pct", "the same quarter a year earlier"),
            _change_sentence(row, "qoq_", "previous_quarter_pct", "the previous quarter"),
        ]
        out.append(" ".join([sentence, *(c for c in changes if c)]))
    return out


def division_findings(pack: Pack) -> list[str]:
    out = []
    tests = [row["test_code"] for row in pack.tables["headline"].rows]
    for test in tests:
        below = [
            r["division_name"]
            for r in pack.tables["divisions"].rows
            if r["test_code"] == test and r.get("status") == "below"
        ]
        worsened = [
            r["division_name"]
            for r in pack.tables["divisions"].rows
            if r["test_code"] == test and r.get("change") == "worsened"
        ]
        if below:
            out.append(f"{test}: {len(below)} division(s) clearly below the target: {', '.join(sorted(below))}.")
        if worsened:
            out.append(f"{test}: worse than a year earlier beyond chance in {', '.join(sorted(worsened))}.")
    return out


def unit_findings(pack: Pack) -> list[str]:
    rows = {(r["test_code"], r["recording_unit"]): r for r in pack.tables["units"].rows}
    resolution = rows.get(("TIMELY72", "RESOLUTION_TEAM"))
    local = rows.get(("TIMELY72", "LOCAL_POLICING"))
    if not resolution or resolution.get("compliance_pct") is None:
        return []
    sentence = (
        f"Crimes recorded by the Resolution Team: {_pct(resolution['compliance_pct'])} within 72 hours "
        f"of {resolution['examined']:,} ({_pct(resolution['ci_lower_pct'])} to "
        f"{_pct(resolution['ci_upper_pct'])}), {WORDS[resolution['status']]}"
    )
    if local and local.get("compliance_pct") is not None:
        apart = resolution["ci_upper_pct"] < local["ci_lower_pct"] or local["ci_upper_pct"] < resolution["ci_lower_pct"]
        sentence += (
            f"; local policing {_pct(local['compliance_pct'])} ({_pct(local['ci_lower_pct'])} to "
            f"{_pct(local['ci_upper_pct'])}), "
            + ("the intervals do not overlap." if apart else "the intervals overlap.")
        )
    else:
        sentence += "."
    return [sentence]


def restatement_findings(pack: Pack) -> list[str]:
    restated = [r for r in pack.tables["as_reported"].rows if r.get("restated") == "restated"]
    if not restated:
        return []
    quarters = sorted({f"{r['fiscal_year']} Q{r['fiscal_quarter']}" for r in restated})
    return [
        f"{len(restated)} figure(s) reported earlier for {', '.join(quarters)} have been restated since "
        "(records corrected later); both figures are in the table of figures as reported."
    ]


def findings(pack: Pack) -> list[str]:
    return [*headline_findings(pack), *division_findings(pack), *unit_findings(pack), *restatement_findings(pack)]


def method_note(pack: Pack) -> list[str]:
    return [
        "Every record is examined, not a sample: each rate is the share of all records of the quarter that "
        "meet the rule (contract section 3), computed from the force's extracts.",
        f"Each rate carries a Wilson 95% interval. It covers the chance variation of a process observed over "
        f"one quarter; it does not cover errors in the records themselves, or rules the automated tests cannot "
        f"see (the registrars' audit does). The status compares the whole interval with the {pack.target_pct:g}% "
        "target: meets (all of it at or above), below (all of it under), otherwise cannot be told apart.",
        "A change is this quarter's rate minus an earlier one (the same quarter a year earlier, or the previous "
        "quarter) with Newcombe's hybrid score 95% interval; it is called improved or worsened only when the "
        "whole interval is above or below zero, otherwise no clear change.",
        f"Disclosure control (contract 5.1): a figure built on fewer than {pack.min_records} records shows its "
        "count only, and where one part of a total is blanked another is blanked too, so that no blanked value "
        "can be worked out by subtraction.",
        "Figures as reported: once a quarter's pack is final, its figures are kept unchanged outside the "
        "warehouse; later packs show them beside the current figures and flag any restatement.",
    ]

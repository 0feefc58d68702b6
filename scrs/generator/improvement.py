"""Synthetic `improvement_updates_*.csv` extracts: the Crime Audit Improvement Plan tracker, month by month.

One file per month from September 2021 to September 2024, each carrying one update per action (1.1-6.5)
dated the first Monday of the month (the tactical group's monthly report). The story is fixed, not random:

* the update of 7 February 2022 (the first Monday of February 2022) reproduces Appendix B of the source
  paper as we read it (docs/improvement_updates.md, "Our reading of Appendix B");
* the update of 2 September 2024 gives the later committee paper's picture: 6 recommendations, 1 closed,
  0 on track, 5 delayed, the delayed ones with targets moved to June 2025.

Progress notes are our own words, not the paper's. `seed` only moves the time of day each extract was
taken; the statuses and dates never depend on it. One keyed-in slip (action 1.2's October 2021 status) is
corrected by a re-sent row in the November 2021 file, to exercise "latest extracted_at wins".

`improvement_truth()` recomputes the expected pictures (and every month-end count) in plain Python, with the
roll-up and slippage rules of docs/improvement_updates.md, for tests to compare the marts against.
"""

from __future__ import annotations

import csv
import random
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

PLAN_START = date(2021, 9, 1)
FIRST_MONTH = (2021, 9)
LAST_MONTH = (2024, 9)
FILE_PREFIX = "improvement_updates"

STATUSES = ("NOT_STARTED", "ON_TRACK", "DELAYED", "COMPLETE", "TRANSFERRED")
CLOSED = frozenset({"COMPLETE", "TRANSFERRED"})

COLUMNS = (
    "action_id",
    "update_date",
    "status",
    "original_target_date",
    "revised_target_date",
    "revision_reason",
    "progress_note",
    "next_steps",
    "reported_by",
    "extracted_at",
)

# The two pictures the demo must reproduce (asserted in tests).
FEB_2022_AS_AT = date(2022, 2, 7)
SEP_2024_MONTH_END = date(2024, 9, 30)


@dataclass(frozen=True)
class Phase:
    """What an action reports from the monthly update of `start` ('YYYY-MM') until the next phase."""

    start: str
    status: str
    note: str
    next_steps: str = ""
    revised: str | None = None  # revised target date (ISO); None: the original target stands
    reason: str = ""


@dataclass(frozen=True)
class ActionPlan:
    action_id: str
    reported_by: str
    original_target: str
    phases: tuple[Phase, ...]


_TRANSFER_NOTE = "Closed here: the manual review now runs as a sub-action under recommendation 6 (action 6.3)."
_ROLLOUT = "National crime system rollout schedule moved"

#: The tracker's story, action by action. Each phase's first month is the first update showing it.
# fmt: off
ACTIONS: tuple[ActionPlan, ...] = (
    # Recommendation 1: publish audit results ----------------------------------------------------------------
    ActionPlan("1.1", "Governance, Audit and Assurance", "2022-03-31", (
        Phase("2021-09", "ON_TRACK",
              "Drafting proposals for reporting audit results to local and regional boards.",
              "Share the draft proposal with the tactical group."),
        Phase("2022-01", "ON_TRACK",
              "Early talks held with the analysis unit on making compliance reporting more visible; the "
              "second crime system health check is waiting for the first one's findings to bed in.",
              "Options paper for board-level visibility; move process-map work to recommendations 3 and 6."),
        Phase("2022-04", "DELAYED",
              "Options paper written but not yet taken by the management boards.",
              "Table the options paper at the next board cycle.",
              "2022-09-30",
              "Options paper waiting for a slot on the management boards' agenda."),
        Phase("2022-10", "COMPLETE",
              "Boards now receive SCRS audit results and divisional compliance trends."),
    )),
    ActionPlan("1.2", "Specialist Crime Division (Local Policing Crime)", "2022-03-31", (
        Phase("2021-09", "ON_TRACK",
              "Tactical group set up with terms of reference; strategic forum still to form.",
              "Draft the strategic forum's terms of reference."),
        Phase("2022-01", "ON_TRACK",
              "Tactical group meets monthly; the strategic forum's terms of reference are still to be "
              "written.",
              "Write and agree the strategic forum's terms of reference."),
        Phase("2022-04", "DELAYED",
              "Strategic forum terms of reference drafted, awaiting chief officer sign-off.",
              "Obtain sign-off.",
              "2022-06-30",
              "Terms of reference waiting for chief officer agreement."),
        Phase("2022-06", "COMPLETE",
              "Strategic forum terms of reference agreed; both forums meet."),
    )),
    ActionPlan("1.3", "Governance, Audit and Assurance", "2022-01-31", (
        Phase("2021-09", "ON_TRACK",
              "Reporting route to the SPA audit committee under discussion.",
              "Put the annual SCRS audit into the January committee papers."),
        Phase("2022-02", "DELAYED",
              "The annual SCRS audit missed the January audit committee papers; it will go to the "
              "performance committee in March instead.",
              "Append the annual audit to the March progress paper.",
              "2022-03-31",
              "Missed the January audit committee papers; now reported in March 2022."),
        Phase("2022-04", "COMPLETE",
              "Annual SCRS audit reported to the performance committee in March 2022."),
    )),
    ActionPlan("1.4", "Crime Registrars", "2022-06-30", (
        Phase("2021-09", "ON_TRACK",
              "Registrars reviewing and updating the audit methodology.",
              "Move the roles-and-responsibilities sub-actions to recommendation 6."),
        Phase("2022-07", "DELAYED",
              "Methodology redraft waiting on the crime system's audit and health-check calendar.",
              "Finish the redraft once the calendar is set.",
              "2023-03-31",
              "Depends on the national crime system rollout timetable."),
        Phase("2023-04", "DELAYED",
              "Redraft with the registrars for a final read.",
              "Sign off the methodology.",
              "2023-10-31",
              "Final consultation took longer than planned."),
        Phase("2023-11", "COMPLETE",
              "Revised audit methodology approved and in use."),
    )),
    ActionPlan("1.5", "Crime Registrars", "2022-06-30", (
        Phase("2021-09", "ON_TRACK",
              "Annual audit plan in draft; mostly health checks while the crime system rolls out.",
              "Share the draft plan with the tactical group."),
        Phase("2022-07", "DELAYED",
              "Audit calendar cannot be fixed until the rollout dates settle.",
              "Confirm the calendar with the COS programme.",
              "2023-03-31",
              "Audit calendar depends on the crime system rollout dates."),
        Phase("2023-04", "DELAYED",
              "Plan agreed with the recording board; awaiting SPA approval.",
              "Present to the SPA audit committee.",
              "2023-06-30",
              "SPA committee date later than planned."),
        Phase("2023-06", "COMPLETE",
              "Annual audit plan approved by the SPA audit committee."),
    )),
    ActionPlan("1.6", "Governance, Audit and Assurance", "2021-12-31", (
        Phase("2021-09", "ON_TRACK",
              "Working with the SPA on a compliance statement for the annual report.",
              "Agree wording with the SPA."),
        Phase("2021-12", "COMPLETE",
              "Approach agreed with the SPA; compliance will feature in the annual report and the Chief "
              "Constable's self-assessment."),
    )),
    # Recommendation 2: crime recording strategy -------------------------------------------------------------
    ActionPlan("2.1", "Crime Registrars", "2022-12-31", (
        Phase("2021-09", "ON_TRACK",
              "Registrars working on the strategy; depends on the crime system rollout and crime management "
              "structures.",
              "Define recording terminology and pass it to COS; set up a working group on first-line quality"
              " checks."),
        Phase("2023-01", "DELAYED",
              "Strategy waits for the crime system rollout and the new unit structures.",
              "Redraft once the structures are known.",
              "2023-06-30",
              "Depends on the crime system rollout and crime management structures."),
        Phase("2023-07", "DELAYED",
              "Draft strategy prepared; structures still not agreed.",
              "Align with the to-be structure.",
              "2024-03-31",
              "Crime and incident management structure not yet agreed."),
        Phase("2024-04", "DELAYED",
              "Rollout finished; strategy to reflect lessons from all divisions.",
              "Consult divisions on the final draft.",
              "2024-09-30",
              "Waiting for lessons from the last divisions to go live."),
        Phase("2024-09", "DELAYED",
              "Strategy to follow the review of the full rollout and the unit structures.",
              "Final draft to the strategic forum.",
              "2025-06-30",
              "Tied to the crime and incident management unit review; target moved to June 2025."),
    )),
    ActionPlan("2.2", "Crime Registrars", "2022-12-31", (
        Phase("2021-09", "ON_TRACK",
              "Registrars to review the SCRS manual in line with the new crime system; the manual belongs to"
              " the recording board.",
              "Raise formatting with the Scottish Government."),
        Phase("2022-02", "ON_TRACK",
              "Manual review to follow the new crime system; change of action proposed.",
              "Move the quality-assurance and manual-review work under recommendation 6."),
        Phase("2022-04", "TRANSFERRED",
              _TRANSFER_NOTE),
    )),
    # Recommendation 3: incident compliance ------------------------------------------------------------------
    ActionPlan("3.1", "Contact, Command and Control (C3)", "2022-09-30", (
        Phase("2021-09", "ON_TRACK",
              "Regional workshops mapping an incident's journey to a crime record.",
              "Visit crime and incident management units."),
        Phase("2022-01", "ON_TRACK",
              "Unit processes mapped in all 13 divisions; C3 and Resolution Team maps to follow. Resolution "
              "Team staff visiting crime management units.",
              "Plan secondments and Resolution Team training."),
        Phase("2022-10", "DELAYED",
              "C3 and Resolution Team maps waiting on the contact and resolution project.",
              "Finish the C3 maps.",
              "2023-03-31",
              "C3 mapping tied to the contact and resolution project."),
        Phase("2023-04", "COMPLETE",
              "C3 quality-assurance lessons written into the audit methodology review."),
    )),
    ActionPlan("3.2", "FMOR project", "2022-12-31", (
        Phase("2021-09", "ON_TRACK",
              "FMOR, COS, the contact project and the registrars meet on the future design of the units, "
              "around the North proof of concept.",
              "Improvement plan on the themes raised."),
        Phase("2023-01", "DELAYED",
              "Local scrutiny model depends on the to-be unit design, not yet agreed.",
              "Agree the design.",
              "2023-12-31",
              "To-be crime and incident management design not agreed."),
        Phase("2024-01", "DELAYED",
              "Scrutiny framework drafted; testing with divisions.",
              "Pilot in two divisions.",
              "2024-09-30",
              "Testing with divisions took longer than planned."),
        Phase("2024-09", "DELAYED",
              "Framework to follow the unit structure review.",
              "Finalise after the review.",
              "2025-06-30",
              "Depends on the crime and incident management unit review; target moved to June 2025."),
    )),
    # Recommendation 4: structures ---------------------------------------------------------------------------
    ActionPlan("4.1", "FMOR project", "2022-12-31", (
        Phase("2021-09", "ON_TRACK",
              "Designing the to-be crime and incident management unit; job profiles out for evaluation; "
              "demand tracker built.",
              "To-be model; skills matrix timescale."),
        Phase("2022-02", "ON_TRACK",
              "North proof of concept under way; core unit functions defined and a staff role profile "
              "agreed.",
              "To-be model by the end of the calendar year."),
        Phase("2023-01", "DELAYED",
              "Proof of concept extended; workforce options not yet approved.",
              "Options to the change board.",
              "2023-12-31",
              "Proof of concept extended; options not approved."),
        Phase("2024-01", "DELAYED",
              "Regional model agreed in principle; funding under review.",
              "Business case.",
              "2024-09-30",
              "Funding decision outstanding."),
        Phase("2024-09", "DELAYED",
              "Structure review continuing after the national rollout.",
              "Decision on the regional model.",
              "2025-06-30",
              "Awaiting the structure decision after the full rollout; target moved to June 2025."),
    )),
    # Recommendation 5: learning and training ----------------------------------------------------------------
    ActionPlan("5.1", "Leadership, Training and Development (LTD)", "2022-03-31", (
        Phase("2021-09", "ON_TRACK",
              "Reviewing the probationer distance-learning package with the registrar.",
              "Timeline for the training elements of 5.1 to 5.3."),
        Phase("2022-01", "ON_TRACK",
              "Extra day on crime recording and the new system agreed in principle for module 2; tutor "
              "constable content under review for February.",
              "Timeline for the training elements; consistent right-first-time message."),
        Phase("2022-04", "COMPLETE",
              "Review done; follow-up training folded into module 2."),
    )),
    ActionPlan("5.2", "Leadership, Training and Development (LTD)", "2022-06-30", (
        Phase("2021-09", "ON_TRACK",
              "Training needs assessment started.",
              "Cover every recording cluster."),
        Phase("2022-01", "ON_TRACK",
              "Knowledge gaps found for frontline and C3 staff, to go into the generic needs analysis.",
              "Finish the needs analysis."),
        Phase("2022-07", "COMPLETE",
              "Training needs analysis finished for all clusters."),
    )),
    ActionPlan("5.3", "Leadership, Training and Development (LTD)", "2022-09-30", (
        Phase("2021-09", "NOT_STARTED",
              "Waits for the training needs analysis (5.2).",
              "Timeline for the training elements."),
        Phase("2022-04", "ON_TRACK",
              "Training plan being drafted with people and development.",
              "Align with the crime system training."),
        Phase("2022-10", "DELAYED",
              "Training plan tied to the crime system rollout schedule.",
              "Re-plan with COS.",
              "2023-06-30",
              "Crime system rollout schedule moved."),
        Phase("2023-07", "DELAYED",
              "Induction and refresher content drafted; waiting for the final system release.",
              "Finish refresher content.",
              "2024-09-30",
              "Waiting for the final system release."),
        Phase("2024-09", "DELAYED",
              "Refresher programme to follow the structure review.",
              "Finalise the refresher programme.",
              "2025-06-30",
              "Depends on the crime and incident management unit review; target moved to June 2025."),
    )),
    ActionPlan("5.4", "Crime Managers Forum", "2021-12-31", (
        Phase("2021-09", "ON_TRACK",
              "Terms of reference for the crime managers forum being drafted.",
              "Present at the December forum."),
        Phase("2022-01", "DELAYED",
              "Terms of reference drafted but not presented in December because of COVID.",
              "Present at the next forum and to the tactical group.",
              "2022-03-31",
              "COVID: the December forum did not take the terms of reference."),
        Phase("2022-04", "COMPLETE",
              "Forum terms of reference approved; meetings scheduled through 2022."),
    )),
    ActionPlan("5.5", "Corporate Communications", "2022-09-30", (
        Phase("2021-09", "NOT_STARTED",
              "Communications plan not yet drafted.",
              "Draft a first communications plan tied to training (5.1 to 5.3)."),
        Phase("2022-06", "ON_TRACK",
              "Communications plan being drafted.",
              "Agree measures of awareness."),
        Phase("2022-10", "DELAYED",
              "Plan waits for the training timeline.",
              "Publish the plan.",
              "2022-12-31",
              "Training timeline not yet fixed."),
        Phase("2023-01", "COMPLETE",
              "Communications plan published with awareness measures."),
    )),
    # Recommendation 6: national crime system ----------------------------------------------------------------
    ActionPlan("6.1", "Core Operating Solutions (COS) programme", "2022-09-30", (
        Phase("2021-09", "ON_TRACK",
              "Preparing the D Division pilot of the crime system.",
              "Draft documentation for the pilot."),
        Phase("2022-01", "DELAYED",
              "Draft documents from the D Division pilot; the change board moved the national schedule from "
              "September 2022 to January 2023.",
              "Share pilot documents with HMICS; updated rollout timeline.",
              "2023-01-31",
              f"{_ROLLOUT} from September 2022 to January 2023."),
        Phase("2022-03", "DELAYED",
              "Rollout slips again: COVID, officers released to support a major event and a training pause.",
              "Updated rollout timeline.",
              "2023-03-31",
              f"{_ROLLOUT} to March 2023 at the earliest."),
        Phase("2023-04", "DELAYED",
              "Rollout phased division by division into 2024.",
              "Framework to follow the last go-live.",
              "2024-06-30",
              f"{_ROLLOUT}: phased to mid 2024."),
        Phase("2024-07", "DELAYED",
              "All divisions live; framework under review.",
              "Review with registrars.",
              "2024-09-30",
              "Framework review after the last go-live."),
        Phase("2024-09", "DELAYED",
              "Framework to be finalised with the unit structure review.",
              "Finalise the framework.",
              "2025-06-30",
              "Depends on the crime and incident management unit review; target moved to June 2025."),
    )),
    ActionPlan("6.2", "Core Operating Solutions (COS) programme", "2022-09-30", (
        Phase("2021-09", "ON_TRACK",
              "Mapping the future crime management process for the pilot.",
              "Process maps for the pilot."),
        Phase("2022-02", "DELAYED",
              "COVID pressures and a training pause delay the rollout into N Division and beyond.",
              "Revised schedule from the programme board.",
              "2023-03-31",
              f"{_ROLLOUT} from January 2023 to March 2023 at the earliest."),
        Phase("2023-04", "DELAYED",
              "Process maps updated for each release.",
              "Finish maps after the last go-live.",
              "2024-06-30",
              f"{_ROLLOUT}: phased to mid 2024."),
        Phase("2024-07", "COMPLETE",
              "Future crime management process maps published."),
    )),
    ActionPlan("6.3", "Core Operating Solutions (COS) programme", "2022-09-30", (
        Phase("2021-09", "ON_TRACK",
              "User guides and briefing packs prepared for the pilot.",
              "Keep the guides under review during the pilot."),
        Phase("2022-10", "DELAYED",
              "Guidance waits for the national rollout.",
              "Update the document set.",
              "2023-03-31",
              f"{_ROLLOUT} to March 2023."),
        Phase("2023-04", "DELAYED",
              "Guidance updated release by release; includes the SCRS manual terms.",
              "Final version after the last go-live.",
              "2024-06-30",
              f"{_ROLLOUT}: phased to mid 2024."),
        Phase("2024-07", "COMPLETE",
              "Crime management guidance published alongside the user guide."),
    )),
    ActionPlan("6.4", "Core Operating Solutions (COS) programme", "2022-09-30", (
        Phase("2021-09", "ON_TRACK",
              "Training materials built for the pilot division.",
              "Update materials before the national rollout."),
        Phase("2022-10", "DELAYED",
              "Training packages wait for the national rollout.",
              "Re-plan with LTD.",
              "2023-03-31",
              f"{_ROLLOUT} to March 2023."),
        Phase("2023-04", "DELAYED",
              "Packages delivered division by division with each go-live.",
              "Finish with the last divisions.",
              "2024-06-30",
              f"{_ROLLOUT}: phased to mid 2024."),
        Phase("2024-06", "COMPLETE",
              "Training delivered to every division with the rollout."),
    )),
    ActionPlan("6.5", "Core Operating Solutions (COS) programme", "2022-09-30", (
        Phase("2021-09", "NOT_STARTED",
              "Data citizenship work not yet begun.",
              "Scope the campaign."),
        Phase("2022-06", "ON_TRACK",
              "Data citizenship material being scoped.",
              "Script the video."),
        Phase("2022-10", "DELAYED",
              "Campaign to follow the national rollout.",
              "Re-plan.",
              "2023-12-31",
              f"{_ROLLOUT}."),
        Phase("2024-01", "DELAYED",
              "Video drafted; campaign material under review.",
              "Launch the campaign.",
              "2024-09-30",
              "Review of material took longer than planned."),
        Phase("2024-09", "DELAYED",
              "Launch to follow the structure review.",
              "Launch the campaign.",
              "2025-06-30",
              "Aligned with the crime and incident management unit review; target moved to June 2025."),
    )),
)
# fmt: on


#: A keyed-in slip: the first extract of (action, month) carried a wrong status, corrected by a row re-sent
#: in the next month's file with a later extracted_at. The marts must show the corrected value.
KEYING_SLIPS: dict[tuple[str, str], dict[str, str]] = {("1.2", "2021-10"): {"status": "NOT_STARTED"}}

#: Our reading of Appendix B (as at 7 February 2022), written down independently of ACTIONS for the tests.
APPENDIX_B_FEB_2022: dict[str, str] = {
    "1.1": "ON_TRACK", "1.2": "ON_TRACK", "1.3": "DELAYED", "1.4": "ON_TRACK", "1.5": "ON_TRACK",
    "1.6": "COMPLETE",
    "2.1": "ON_TRACK", "2.2": "ON_TRACK",
    "3.1": "ON_TRACK", "3.2": "ON_TRACK",
    "4.1": "ON_TRACK",
    "5.1": "ON_TRACK", "5.2": "ON_TRACK", "5.3": "NOT_STARTED", "5.4": "DELAYED", "5.5": "NOT_STARTED",
    "6.1": "DELAYED", "6.2": "DELAYED", "6.3": "ON_TRACK", "6.4": "ON_TRACK", "6.5": "NOT_STARTED",
}  # fmt: skip


# ---------------------------------------------------------------------------------------------------------
# Calendar
# ---------------------------------------------------------------------------------------------------------


def months() -> list[str]:
    """'YYYY-MM' of every monthly update, September 2021 to September 2024."""
    out, (y, m) = [], FIRST_MONTH
    while (y, m) <= LAST_MONTH:
        out.append(f"{y:04d}-{m:02d}")
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def update_date(month: str) -> date:
    """The first Monday of the month: the day the tactical group's monthly update is dated."""
    first = date.fromisoformat(f"{month}-01")
    return first + timedelta(days=(7 - first.weekday()) % 7)


def month_end(month: str) -> date:
    first = date.fromisoformat(f"{month}-01")
    nxt = date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
    return nxt - timedelta(days=1)


def _phase_for(plan: ActionPlan, month: str) -> Phase:
    current = None
    for phase in plan.phases:
        if phase.start <= month:
            current = phase
    if current is None:
        raise ValueError(f"action {plan.action_id} has no phase for {month}")
    return current


def _row(plan: ActionPlan, month: str) -> dict[str, str]:
    phase = _phase_for(plan, month)
    # A revision stays in force until the next one: a phase without its own revised date (e.g. COMPLETE)
    # keeps reporting the latest revised target and its reason.
    revised, reason = "", ""
    for earlier in plan.phases:
        if earlier.start <= month and earlier.revised:
            revised, reason = earlier.revised, earlier.reason
    return {
        "action_id": plan.action_id,
        "update_date": update_date(month).isoformat(),
        "status": phase.status,
        "original_target_date": plan.original_target,
        "revised_target_date": revised,
        "revision_reason": reason,
        "progress_note": phase.note,
        "next_steps": phase.next_steps,
        "reported_by": plan.reported_by,
    }


def _extracted_at(month: str, rng: random.Random) -> str:
    day = update_date(month) + timedelta(days=1)
    moment = datetime.combine(day, time(6, 0)) + timedelta(minutes=rng.randrange(0, 180), seconds=rng.randrange(60))
    return moment.strftime("%Y-%m-%d %H:%M:%S")


def _previous(month: str) -> str:
    y, m = int(month[:4]), int(month[5:])
    y, m = (y - 1, 12) if m == 1 else (y, m - 1)
    return f"{y:04d}-{m:02d}"


def _month_rows(month: str, extracted_at: str) -> list[dict[str, str]]:
    rows = []
    for plan in ACTIONS:
        row = _row(plan, month)
        row.update(KEYING_SLIPS.get((plan.action_id, month), {}))
        rows.append({**row, "extracted_at": extracted_at})
    # Corrections of last month's slips, re-sent with this extract's (later) extracted_at.
    for (action_id, slip_month), _ in KEYING_SLIPS.items():
        if _previous(month) == slip_month:
            plan = next(p for p in ACTIONS if p.action_id == action_id)
            rows.append({**_row(plan, slip_month), "extracted_at": extracted_at})
    return rows


def _write(path: Path, rows: list[dict[str, str]], columns: tuple[str, ...] = COLUMNS) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(columns), extrasaction="ignore", lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)


# ---------------------------------------------------------------------------------------------------------
# Public API
# ---------------------------------------------------------------------------------------------------------


def generate_improvement_updates(out_dir: Path, seed: int) -> list[Path]:
    """Write `improvement_updates_YYYY_MM.csv` for every month from 2021-09 to 2024-09; return the paths."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(f"improvement-updates-{seed}")
    paths = []
    for month in months():
        path = out_dir / f"{FILE_PREFIX}_{month.replace('-', '_')}.csv"
        _write(path, _month_rows(month, _extracted_at(month, rng)))
        paths.append(path)
    return paths


def current_target(row: dict[str, str]) -> str:
    """The target an update reports: the revised date when given, else the original."""
    return row["revised_target_date"] or row["original_target_date"]


def rollup_status(action_statuses: list[str]) -> str:
    """A recommendation's status from its actions' (docs/improvement_updates.md, "Roll-up rule")."""
    if all(s in CLOSED for s in action_statuses):
        return "COMPLETE"
    if "DELAYED" in action_statuses:
        return "DELAYED"
    if any(s != "NOT_STARTED" for s in action_statuses):
        return "ON_TRACK"
    return "NOT_STARTED"


def _counts(statuses: list[str]) -> dict[str, int]:
    counted = Counter(statuses)
    return {s: counted.get(s, 0) for s in STATUSES}


def _recommendation_of(action_id: str) -> int:
    return int(action_id.split(".")[0])


def _picture(month: str) -> dict:
    """Actions and recommendations as at the end of `month` (the month's update is the latest)."""
    rows = {plan.action_id: _row(plan, month) for plan in ACTIONS}
    actions = {a: r["status"] for a, r in rows.items()}
    by_rec: dict[int, list[str]] = {}
    for action_id, status in actions.items():
        by_rec.setdefault(_recommendation_of(action_id), []).append(status)
    recs = {rec: rollup_status(statuses) for rec, statuses in sorted(by_rec.items())}
    targets = {}
    for rec in recs:
        open_targets = [
            current_target(r) for a, r in rows.items() if _recommendation_of(a) == rec and r["status"] not in CLOSED
        ]
        targets[rec] = max(open_targets) if open_targets else None
    return {
        "month_end": month_end(month).isoformat(),
        "update_date": update_date(month).isoformat(),
        "actions": actions,
        "action_targets": {a: current_target(r) for a, r in rows.items()},
        "recommendations": recs,
        "recommendation_open_targets": targets,
        "action_counts": _counts(list(actions.values())),
        "recommendation_counts": _counts(list(recs.values())),
    }


def _slippage() -> dict[str, dict]:
    """Per action, over the whole history: original, final target, days slipped, times revised, closed on."""
    out = {}
    for plan in ACTIONS:
        history = [_row(plan, m) for m in months()]
        previous = plan.original_target
        revisions, first_revised_on, closed_on = 0, None, None
        for row in history:
            target = current_target(row)
            if target != previous:
                revisions += 1
                first_revised_on = first_revised_on or row["update_date"]
            previous = target
            if row["status"] in CLOSED and closed_on is None:
                closed_on = row["update_date"]
            elif row["status"] not in CLOSED:
                closed_on = None
        last = history[-1]
        final = current_target(last)
        out[plan.action_id] = {
            "status": last["status"],
            "original_target_date": plan.original_target,
            "current_target_date": final,
            "days_slipped": (date.fromisoformat(final) - date.fromisoformat(plan.original_target)).days,
            "times_revised": revisions,
            "first_revised_on": first_revised_on,
            "closed_on": closed_on,
        }
    return out


def improvement_truth() -> dict:
    """What the marts must show for the demo data (computed here in plain Python, not from the files)."""
    all_months = months()
    monthly = {}
    for month in all_months:
        picture = _picture(month)
        monthly[picture["month_end"]] = {
            "recommendation": picture["recommendation_counts"],
            "action": picture["action_counts"],
        }
    return {
        "plan_start": PLAN_START.isoformat(),
        "first_update_date": update_date(all_months[0]).isoformat(),
        "last_update_date": update_date(all_months[-1]).isoformat(),
        "files": len(all_months),
        "rows": len(all_months) * len(ACTIONS) + len(KEYING_SLIPS),
        "actions": len(ACTIONS),
        "recommendations": len({_recommendation_of(p.action_id) for p in ACTIONS}),
        "corrections": {
            f"{action_id}@{update_date(month).isoformat()}": _row(
                next(p for p in ACTIONS if p.action_id == action_id), month
            )["status"]
            for (action_id, month) in KEYING_SLIPS
        },
        "feb_2022": _picture("2022-02"),
        "sep_2024": _picture("2024-09"),
        # The later committee paper's September 2024 counts, stated as published.
        "sep_2024_published": {
            "recommendations": 6,
            "closed": 1,
            "on_track": 0,
            "delayed": 5,
            "revised_target": "2025-06-30",
        },
        "monthly": monthly,
        "slippage": _slippage(),
    }


# ---------------------------------------------------------------------------------------------------------
# Bad extracts, for the quality gate's tests (each must be quarantined)
# ---------------------------------------------------------------------------------------------------------

BAD_CASES = (
    "unknown_action_id",
    "update_before_plan",
    "revised_without_reason",
    "bad_status",
    "bad_date",
    "duplicate_key",
    "missing_column",
)


def write_bad_improvement_file(out_dir: Path, case: str, seed: int = 0) -> tuple[Path, list[int]]:
    """Write the February 2022 extract with one planted fault; return the path and the failing line numbers.

    Lines are 1-based with the header as line 1 (as the quarantine report counts them). For
    `missing_column` (no `status` column) the file as a whole fails and the list is empty.
    """
    if case not in BAD_CASES:
        raise ValueError(f"unknown case {case!r}; one of {BAD_CASES}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    month = "2022-02"
    rows = _month_rows(month, _extracted_at(month, random.Random(f"improvement-bad-{seed}")))
    columns = COLUMNS
    bad_lines: list[int] = []
    victim = 2  # index into rows: action 1.3 (DELAYED, with a revised target and reason)
    if case == "unknown_action_id":
        rows[victim]["action_id"] = "7.1"
        bad_lines = [victim + 2]
    elif case == "update_before_plan":
        rows[victim]["update_date"] = "2021-08-02"
        bad_lines = [victim + 2]
    elif case == "revised_without_reason":
        rows[victim]["revision_reason"] = ""
        bad_lines = [victim + 2]
    elif case == "bad_status":
        rows[victim]["status"] = "IN_PROGRESS"
        bad_lines = [victim + 2]
    elif case == "bad_date":
        rows[victim]["update_date"] = "07/02/2022"
        bad_lines = [victim + 2]
    elif case == "duplicate_key":
        rows.append(dict(rows[victim]))
        bad_lines = [victim + 2, len(rows) + 1]
    elif case == "missing_column":
        columns = tuple(c for c in COLUMNS if c != "status")
    path = out_dir / f"{FILE_PREFIX}_{month.replace('-', '_')}_bad_{case}.csv"
    _write(path, rows, columns)
    return path, bad_lines

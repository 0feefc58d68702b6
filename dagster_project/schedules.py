"""The committee cycle: a monthly run, whatever has landed; and the weekly full rebuild."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from dagster_project.dbt import FULL_REFRESH_TAG
from dagster_project.jobs import scrs_pipeline
from scrs.settings import switched_on

monthly_committee_run = ScheduleDefinition(
    name="monthly_committee_run",
    job=scrs_pipeline,
    cron_schedule="0 6 2 * *",  # 06:00 on the 2nd: the month's extracts arrive on the 1st
    execution_timezone="Europe/London",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Monthly rebuild and publication for the Policing Performance Committee cycle.",
)


def weekly_rebuild_status() -> DefaultScheduleStatus:
    """The weekly rebuild starts with the daemon when `SCRS_WEEKLY_REBUILD` is on, as in the service
    (deploy/scrs.env.example); under `make dagster` it starts stopped and is switched on in the UI."""
    return DefaultScheduleStatus.RUNNING if switched_on("SCRS_WEEKLY_REBUILD") else DefaultScheduleStatus.STOPPED


# Monthly runs re-judge only what their delivery touched (incremental verdicts, tests on the rebuilt rows);
# once a week every model is rebuilt from the whole history and every data test reads every row, by dbt itself
# (never a recorded plan, dagster_project/dbt_plan.py), which also writes afresh the tables the months changed.
weekly_full_rebuild = ScheduleDefinition(
    name="weekly_full_rebuild",
    job=scrs_pipeline,
    cron_schedule="0 3 * * 0",  # 03:00 on Sundays
    execution_timezone="Europe/London",
    tags={FULL_REFRESH_TAG: "true"},
    default_status=weekly_rebuild_status(),
    description="Full rebuild and publication: every incremental model from the whole history, every data test.",
)

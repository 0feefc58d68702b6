"""The committee cycle: a monthly run, whatever has landed."""

from dagster import DefaultScheduleStatus, ScheduleDefinition

from dagster_project.jobs import scrs_pipeline

monthly_committee_run = ScheduleDefinition(
    name="monthly_committee_run",
    job=scrs_pipeline,
    cron_schedule="0 6 2 * *",  # 06:00 on the 2nd: the month's extracts arrive on the 1st
    execution_timezone="Europe/London",
    default_status=DefaultScheduleStatus.STOPPED,
    description="Monthly rebuild and publication for the Policing Performance Committee cycle.",
)

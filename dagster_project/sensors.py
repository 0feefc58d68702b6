"""Start a run when new extract files land."""

import hashlib

from dagster import DefaultSensorStatus, RunRequest, SensorEvaluationContext, SkipReason, sensor

from dagster_project.jobs import scrs_pipeline
from scrs.settings import EXTRACT_KINDS, Settings


def landing_fingerprint(settings: Settings) -> str:
    """A fingerprint of the extract files waiting in the landing folder (name, size, mtime)."""
    if not settings.landing_dir.exists():
        return ""
    files = sorted(
        f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}"
        for kind in EXTRACT_KINDS
        for p in settings.landing_dir.glob(f"{kind}_*.csv")
        if p.is_file()
    )
    return hashlib.sha256("\n".join(files).encode()).hexdigest() if files else ""


@sensor(
    job=scrs_pipeline,
    minimum_interval_seconds=60,
    default_status=DefaultSensorStatus.STOPPED,
    description="Runs the pipeline when the landing folder's extract files change. Already loaded files are "
    "skipped by the load registry, so a run with nothing new rebuilds and republishes the same figures.",
)
def landing_folder_sensor(context: SensorEvaluationContext):
    fingerprint = landing_fingerprint(Settings.from_env())
    if not fingerprint or fingerprint == context.cursor:
        return SkipReason("no new extract files in the landing folder")
    context.update_cursor(fingerprint)
    return RunRequest(run_key=fingerprint)

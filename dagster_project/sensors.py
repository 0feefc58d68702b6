"""Start a run when new extract files land, and raise the alarm when a run fails."""

import hashlib
import logging
import os
import time
from datetime import datetime

from dagster import (
    DefaultSensorStatus,
    RunFailureSensorContext,
    RunRequest,
    SensorEvaluationContext,
    SkipReason,
    run_failure_sensor,
    sensor,
)

from dagster_project.jobs import scrs_pipeline
from dagster_project.runner import failure_reason_from_events
from scrs.freshness import waiting_files, why_run
from scrs.ops import last_failure, record_failure
from scrs.publish import run_in_progress
from scrs.resident import hand_over
from scrs.settings import Settings, switched_on

log = logging.getLogger("scrs.ops")

# The service (deploy/scrs.env.example) turns the landing sensor on: `SCRS_LANDING_SENSOR=on`. Under
# `make dagster` it starts stopped, as before, and is switched on in the UI.
SENSOR_STATUS = DefaultSensorStatus.RUNNING if switched_on("SCRS_LANDING_SENSOR") else DefaultSensorStatus.STOPPED
SENSOR_INTERVAL_SECONDS = int(os.environ.get("SCRS_SENSOR_INTERVAL_SECONDS", "60"))


def settle_seconds() -> float:
    """How long the landing folder must be unchanged before a run starts (`SCRS_LANDING_SETTLE_SECONDS`,
    default 0; the service sets 60), so a delivery still being copied in is not picked up half-written."""
    return float(os.environ.get("SCRS_LANDING_SETTLE_SECONDS", "0"))


def landing_fingerprint(settings: Settings) -> str:
    """A fingerprint of the extract files waiting in the landing folder (name, size, mtime)."""
    files = sorted(f"{p.name}:{p.stat().st_size}:{p.stat().st_mtime_ns}" for _, p in waiting_files(settings))
    return hashlib.sha256("\n".join(files).encode()).hexdigest() if files else ""


def seconds_since_last_change(settings: Settings) -> float:
    """Seconds since any extract file in the landing folder was last written or moved in (infinite when there
    is none). The change time counts too: a copy that keeps the sender's modification time still sets it."""
    newest = max((max(s.st_mtime, s.st_ctime) for s in (p.stat() for _, p in waiting_files(settings))), default=None)
    return float("inf") if newest is None else time.time() - newest


@sensor(
    job=scrs_pipeline,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=SENSOR_STATUS,
    description="Runs the pipeline when the landing folder's extract files change and at least one of them is "
    "not yet published (checksums against the served load registry); a change with nothing new starts no run. "
    "While the resident runner (scrs serve) listens, the run is handed to it instead of launched here.",
)
def landing_folder_sensor(context: SensorEvaluationContext):
    settings = Settings.from_env()
    fingerprint = landing_fingerprint(settings)
    seen, handed_at = parse_cursor(context.cursor)
    retry = False
    if not fingerprint or fingerprint == seen:
        if handed_at is None or not hand_over_lost(settings, handed_at):
            return SkipReason("no new extract files in the landing folder")
        retry = True
    if run_in_progress(settings):  # a hand-typed `scrs run`: look again next tick
        return SkipReason("a pipeline run is in progress on the warehouse")
    if seconds_since_last_change(settings) < settle_seconds():
        return SkipReason("the landing folder changed moments ago: waiting for the delivery to finish arriving")
    reason = why_run(settings)
    context.update_cursor(fingerprint)
    if reason is None:
        return SkipReason("nothing new: every extract file in the landing folder is already published")
    if retry:
        log.warning(
            "scrs: the run handed to the resident runner at %s never ended (no publication, no failure): starting "
            "it again",
            time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(handed_at)),
        )
    if hand_over(settings.landing_dir, settings.warehouse_dir):  # the resident runner: no start-up per run
        context.update_cursor(f"{fingerprint}{HANDED}{time.time():.3f}")
        return SkipReason(f"handed to the resident runner (scrs serve), which runs it now: {reason}")
    context.log.info(f"starting a run: {reason}")
    return RunRequest(run_key=fingerprint if not retry else f"{fingerprint}:{time.time():.0f}")


# A delivery handed to the resident runner is in the cursor with the time it was handed over. The runner ends
# every run it takes with a publication or a failure marker; if, this long after the hand-over, neither has
# happened and no run holds the warehouse, the runner died with the run (or before reading it): the next tick
# starts it again rather than leave the delivery waiting for the landing folder to change.
HANDED = " handed at "
HAND_OVER_GRACE_SECONDS = float(os.environ.get("SCRS_HAND_OVER_GRACE_SECONDS", "300"))


def parse_cursor(cursor: str | None) -> tuple[str | None, float | None]:
    """(landing fingerprint, when it was handed to the resident runner or None) from the sensor's cursor."""
    if not cursor:
        return None, None
    fingerprint, handed, at = cursor.partition(HANDED)
    try:
        return fingerprint, float(at) if handed else None
    except ValueError:
        return fingerprint, None


def hand_over_lost(settings: Settings, handed_at: float) -> bool:
    """Whether a run handed to the runner at `handed_at` ended without a trace: no publication and no failure
    recorded since, no run holding the warehouse, and the grace period past (a run waits in the runner's queue
    while it runs another warehouse's)."""
    if time.time() - handed_at < HAND_OVER_GRACE_SECONDS or run_in_progress(settings):
        return False
    try:
        if settings.served_db.stat().st_mtime >= handed_at:
            return False  # published since
    except FileNotFoundError:
        pass
    failure = last_failure(settings.warehouse_dir)
    failed_at = (failure or {}).get("failed_at") or ""
    try:
        # (the marker's time is to the second: compared with the second of the hand-over)
        return not failed_at or datetime.fromisoformat(failed_at).timestamp() < int(handed_at)
    except ValueError:
        return False  # a marker it cannot read: an engineer has something to look at already


@run_failure_sensor(
    monitored_jobs=[scrs_pipeline],
    default_status=SENSOR_STATUS,
    minimum_interval_seconds=min(SENSOR_INTERVAL_SECONDS, 30),
    description="A failed pipeline run writes <warehouse>/status/last_run_failed.json (shown to engineers) and "
    "logs one ERROR line; the next published run removes the marker.",
)
def run_failure_alert(context: RunFailureSensorContext):
    run_id = context.dagster_run.run_id
    events = [entry.dagster_event for entry in context.instance.all_logs(run_id) if entry.dagster_event]
    message = failure_reason_from_events(events)
    path = record_failure(Settings.from_env().warehouse_dir, run_id, message)
    log.error("scrs: pipeline run %s failed: %s (marker %s)", run_id, message, path)

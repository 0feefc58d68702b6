"""Run the whole Dagster pipeline in this process (what `scrs run` does)."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from dagster import AssetKey, DagsterEventType, DagsterInstance

from dagster_project.progress import PROGRESS_ENV
from scrs.freshness import kinds_with_nothing_new
from scrs.ops import record_failure
from scrs.publish import discard_build, run_lock
from scrs.settings import Settings


@dataclass(frozen=True)
class RunOutcome:
    published: bool
    run_id: str
    reason: str  # one line: what was published, or why nothing was
    # (step key, start, end) in epoch seconds, from the run's event log: what `make bench` reports per stage
    steps: tuple[tuple[str, float, float], ...] = ()


def _first_line(text: str) -> str:
    lines = [line.strip() for line in text.strip().splitlines() if line.strip()]
    return lines[0] if lines else "unknown error"


def failure_reason(result) -> str:
    """The first blocking check that failed, else the first failed step, as one line."""
    return failure_reason_from_events(result.all_events)


def failure_reason_from_events(events) -> str:  # noqa: ANN001 (an iterable of DagsterEvent)
    """As `failure_reason`, from a run's events (the run failure sensor reads them from the instance)."""
    events = list(events)
    for event in events:
        if event.event_type != DagsterEventType.ASSET_CHECK_EVALUATION:
            continue
        evaluation = event.event_specific_data
        if not evaluation.passed and evaluation.blocking:
            reason = evaluation.metadata.get("reason") or _step_failure_reason(events)
            if reason is not None:
                return _first_line(str(reason.value))
            return f"blocking check {evaluation.check_name} on {evaluation.asset_key.to_user_string()} failed"
    stated = _step_failure_reason(events)
    if stated is not None:  # the step said why, in words for people
        return _first_line(str(stated.value))
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            error = event.event_specific_data.error
            while error is not None and error.cause is not None:  # the root cause says what went wrong
                error = error.cause
            message = error.message if error else "step failed"
            return f"step {event.step_key} failed: {_first_line(message)}"
    for event in events:  # no step ran: a resource failed to start (e.g. the run lock was held)
        error = getattr(event.event_specific_data, "error", None)
        while error is not None and error.cls_name and error.cls_name.startswith("Dagster"):
            error = error.cause  # Dagster's wrappers, down to the project's own error
        if error is not None:
            message = _first_line(error.message)
            return message.split(": ", 1)[1] if message.split(": ", 1)[0].endswith(error.cls_name) else message
    return "the run did not reach publication"


def _step_failure_reason(events: list):  # noqa: ANN202 (a Dagster metadata value, or None)
    """The `reason` a step gave when it failed (`Failure(metadata={"reason": ...})`): the dbt step says there
    which rules its failed data tests broke, where the checks' own evaluations carry only their names."""
    for event in events:
        if event.event_type == DagsterEventType.STEP_FAILURE:
            failure = event.event_specific_data.user_failure_data
            if failure is not None and "reason" in failure.metadata:
                return failure.metadata["reason"]
    return None


def steps_needed(asset_keys: Iterable[AssetKey], nothing_new: frozenset[str]) -> list[AssetKey] | None:
    """The assets a run executes: all, less the landing and raw assets (and so the quality checks) of the
    extract kinds with nothing new (scrs.freshness.kinds_with_nothing_new), each a step that would read no file
    yet cost Dagster's and DuckDB's fixed cost (about 0.5 s of a national month for four kinds). A kind whose
    landing another kind's new files are checked against (LANDING_AFTER: the registrars' verdicts against the
    samples) keeps its steps. None: every asset."""
    from dagster_project.ingest import LANDING_AFTER

    needed_by_others = {
        kind for later, earlier in LANDING_AFTER.items() if later not in nothing_new for kind in earlier
    }
    skipped = nothing_new - needed_by_others
    if not skipped:
        return None
    left_out = {AssetKey([layer, kind]) for kind in skipped for layer in ("landing", "raw")}
    return [key for key in asset_keys if key not in left_out]


def step_times(instance: DagsterInstance, run_id: str) -> tuple[tuple[str, float, float], ...]:
    """(step key, start, end) of every step of a run that started, from the instance's event log."""
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    kinds = {DagsterEventType.STEP_START, DagsterEventType.STEP_SUCCESS, DagsterEventType.STEP_FAILURE}
    for entry in instance.all_logs(run_id, of_type=kinds):
        if entry.step_key is None or entry.dagster_event is None:
            continue
        if entry.dagster_event.event_type == DagsterEventType.STEP_START:
            starts.setdefault(entry.step_key, entry.timestamp)
        else:
            ends[entry.step_key] = entry.timestamp
    return tuple((key, start, ends.get(key, start)) for key, start in sorted(starts.items(), key=lambda kv: kv[1]))


def run_pipeline(landing_dir: Path, warehouse_dir: Path, verbose: bool = False, progress: bool = True) -> RunOutcome:
    """Ingest, quality gate, dbt build and publish, under the warehouse's run lock."""
    os.environ["SCRS_LANDING_DIR"] = str(Path(landing_dir).resolve())
    os.environ["SCRS_WAREHOUSE_DIR"] = str(Path(warehouse_dir).resolve())
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ[PROGRESS_ENV] = "1" if progress else "0"
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    settings = Settings.from_env()
    if not settings.landing_dir.is_dir():
        raise FileNotFoundError(f"landing folder {settings.landing_dir} does not exist")
    with run_lock(settings):
        from dagster_project.dbt_project import prepare_manifest

        prepare_manifest()
        from dagster_project.definitions import defs  # imported after the manifest exists

        job = defs.resolve_job_def("scrs_pipeline")
        selection = steps_needed(defs.resolve_all_asset_keys(), kinds_with_nothing_new(settings))
        log_level = "INFO" if verbose else "ERROR"
        # dagster-dbt echoes dbt's whole log to stdout, and Dagster logs a failed step with its stack trace on
        # stderr: both go to a file unless asked to show them. The terminal gets the progress lines
        # (dagster_project.progress) and one line saying what was published, or why not.
        run_log = settings.warehouse_dir / "logs" / "last_run_stdout.log"
        run_log.parent.mkdir(parents=True, exist_ok=True)
        with DagsterInstance.ephemeral() as instance, open(run_log, "w") as log_file:
            with contextlib.ExitStack() as quiet:
                if not verbose:
                    quiet.enter_context(contextlib.redirect_stdout(log_file))
                    quiet.enter_context(contextlib.redirect_stderr(log_file))
                result = job.execute_in_process(
                    instance=instance,
                    asset_selection=selection,
                    raise_on_error=False,
                    run_config={"loggers": {"console": {"config": {"log_level": log_level}}}},
                )
            steps = step_times(instance, result.run_id)
        discard_build(settings, result.run_id)
        # A run can succeed with its publish step skipped (an upstream output not produced): that is no
        # publication, and must not be reported as one.
        if result.success and not result.asset_materializations_for_node("published_warehouse"):
            reason = "the run ended without reaching publication (the publish step was skipped)"
            record_failure(settings.warehouse_dir, result.run_id, reason, source="scrs run")
            return RunOutcome(False, result.run_id, reason, steps)
        if result.success:
            return RunOutcome(True, result.run_id, f"published {settings.served_db}", steps)
        reason = failure_reason(result)
        record_failure(settings.warehouse_dir, result.run_id, reason, source="scrs run")
        if reason.startswith("step ") and not verbose:
            reason = f"{reason} (full output in {run_log})"
        return RunOutcome(False, result.run_id, reason, steps)

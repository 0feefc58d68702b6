"""The review store in the pipeline (docs/worklist.md): its state copied into the build before dbt, and
reconciled with the run's failing records at publication.

Before dbt, `review/snapshot` gives the build its schema `review` (the copy of the store the served file
carries, or the store itself on a first run), so the worklist marts (views over `marts.record_failures` and
`review.*`) can be built and tested. At publication,
`reconciled_publication` brings the store up to the run's failing records (first seen, still failing,
resolved) in one store transaction that commits only once the build is published, and refreshes the
snapshot the published file carries.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from dagster import AssetExecutionContext, AssetSpec, Failure, MaterializeResult, multi_asset

from dagster_project.progress import report
from dagster_project.resources import ScrsWarehouse
from scrs.publish import BuildInfo, prepare_build
from scrs.reconcile import Reconciliation, UnknownReviewState, reconciliation, snapshot_into_build
from scrs.reviews import ReviewStore
from scrs.settings import Settings

_RAW = [["raw", "incidents"], ["raw", "crimes"]]


@multi_asset(
    specs=[
        AssetSpec(
            ["review", "review_state"],
            deps=_RAW,
            group_name="review",
            description="The crime managers' review store (SQLite, outside the warehouse file), copied into "
            "the run's build for the worklist marts; reconciled with the run's failures at publication.",
        ),
        AssetSpec(
            ["review", "reconciliation"],
            deps=_RAW,
            group_name="review",
            description="The run the review copy belongs to, and its extract date (ages are counted to it).",
        ),
    ],
    name="review_snapshot",
)
def review_snapshot(context: AssetExecutionContext, warehouse: ScrsWarehouse) -> Iterator[MaterializeResult]:
    settings = warehouse.settings()
    build = prepare_build(settings, context.run.run_id)
    store = ReviewStore.for_settings(settings)
    as_of = snapshot_into_build(store, build.path, context.run.run_id)
    yield MaterializeResult(asset_key=["review", "review_state"], metadata={"store": str(store.path)})
    yield MaterializeResult(asset_key=["review", "reconciliation"], metadata={"extract_date": str(as_of)})


@contextmanager
def reconciled_publication(
    context: AssetExecutionContext, settings: Settings, build: BuildInfo
) -> Iterator[Reconciliation]:
    """Reconcile the review store with the build; the store commits only if the body publishes the build."""
    store = ReviewStore.for_settings(settings)
    try:
        with reconciliation(store, build.path, build.run_id) as summary:
            yield summary
    except UnknownReviewState as refused:  # the engineer's one line, not the exception's class path
        raise Failure(description=str(refused), metadata={"reason": str(refused)}) from refused
    report(context, summary.describe())

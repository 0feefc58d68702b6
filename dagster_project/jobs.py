"""The one pipeline job: ingest, quality, dbt, publish, in one process, one writer at a time."""

from dagster import AssetSelection, define_asset_job, in_process_executor

# In-process: every step writes the same private DuckDB build file, which allows one writer at a time.
scrs_pipeline = define_asset_job(
    name="scrs_pipeline",
    selection=AssetSelection.all(),
    executor_def=in_process_executor,
    description="Load new extracts, run the quality gate, build and test the marts, publish atomically.",
)

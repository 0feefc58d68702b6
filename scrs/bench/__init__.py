"""`make bench` (`python -m scrs.bench`): national-scale benchmark of the pipeline on this machine.

Measured in one run, each in its own process (so peak memory is that of one job's process tree):
- the floor: DuckDB loading the same CSV files into typed tables, nothing else (scrs.bench.child floor);
- full pipeline runs (`scrs run`, via dagster_project.runner.run_pipeline) on one year and on ten years,
  per stage from the Dagster event log, with the peak RSS of the whole process tree (dbt included);
- an incremental run: next month's files added to the one-year warehouse; then `scrs run` as typed with
  nothing new (it must say so, publish nothing, and take at most 3 s);
- the pandas script the product replaces (scrs.bench.pandas_marts) on the one-year files;
- ten years less their last month, then that month's incidents and crimes as an incremental run;
- the exports (`scrs export --national`, `--division G`);
- the dashboard's queries per page on the ten-year warehouse (median and p95, caches cleared each time).

Extracts are generated once and cached under `.bench/extracts/` keyed by scale, seed and years.
Nothing here asserts a time: CI never fails on a benchmark.
"""

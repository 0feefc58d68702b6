"""`python -m scrs.bench` (`make bench`): measure, print the table, write docs/benchmarks.md."""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from scrs.bench import extracts
from scrs.bench.measure import Measured, measure, measure_child
from scrs.bench.report import Report, machine_info
from scrs.publish import make_standby, served_signature
from scrs.settings import REPO_ROOT, Settings

DEFAULT_TEN_YEARS = "2012/13..2021/22"
DEFAULT_YEAR = "2020/21"
SCRS = str(Path(sys.executable).parent / "scrs")


def log(msg: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {msg}", flush=True)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m scrs.bench", description=__doc__)
    p.add_argument("--quick", action="store_true", help="smoke run: scale 0.05, one year, no ten-year case")
    ten = p.add_mutually_exclusive_group()
    ten.add_argument("--years-ten", default=DEFAULT_TEN_YEARS, help=f"the ten-year case (default {DEFAULT_TEN_YEARS})")
    ten.add_argument("--skip-ten", action="store_true", help="leave out the ten-year case")
    p.add_argument("--year", default=DEFAULT_YEAR, help=f"the one-year case (default {DEFAULT_YEAR})")
    p.add_argument(
        "--points",
        default="3,6",
        help="also full runs on the first N years of the ten-year set, for docs/scaling.md (default 3,6; '' for none)",
    )
    p.add_argument("--scale", type=float, default=None, help="1 = national volume (default 1; --quick 0.05)")
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--runs", type=int, default=None, help="repeats per dashboard page (default 20; --quick 3)")
    p.add_argument("--cache", type=Path, default=REPO_ROOT / ".bench" / "extracts", help="extract cache")
    p.add_argument("--work", type=Path, default=REPO_ROOT / ".bench" / "work", help="warehouses built here")
    p.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "benchmarks.md", help="report to write")
    args = p.parse_args(argv)
    if args.quick:
        args.skip_ten = True
    args.scale = args.scale if args.scale is not None else (0.05 if args.quick else 1.0)
    args.runs = args.runs if args.runs is not None else (3 if args.quick else 20)
    args.points = [int(x) for x in str(args.points).split(",") if x.strip()]
    return args


def command_line(args: argparse.Namespace, argv: list[str] | None) -> str:
    given = list(sys.argv[1:] if argv is None else argv)
    return "python -m scrs.bench" + (" " + " ".join(given) if given else "") + ("" if given else "   (make bench)")


def _check(m: Measured, what: str) -> None:
    if not m.ok or (m.result and m.result.get("published") is False):
        reason = m.result.get("reason") if m.result else m.stderr.strip().splitlines()[-1:] or ["?"]
        raise SystemExit(f"bench: {what} failed (exit {m.returncode}): {reason}\n{m.stderr[-2000:]}")


def full_run(report: Report, label: str, case: str, landing: Path, warehouse_dir: Path) -> Measured:
    shutil.rmtree(warehouse_dir, ignore_errors=True)
    log(f"{label}: full pipeline run (scrs run) ...")
    m = measure_child("run", landing, warehouse_dir)
    _check(m, label)
    report.add_run(label, case, m)
    log(f"{label}: {m.seconds:.1f} s, peak {m.peak_rss_bytes / 1e9:.2f} GB")
    return m


def floor(report: Report, label: str, case: str, landing: Path, work: Path) -> Measured:
    log(f"{label}: floor (DuckDB read_csv into typed tables) ...")
    db = work / f"floor_{case}.duckdb"
    m = measure_child("floor", landing, db)
    _check(m, label)
    db.unlink(missing_ok=True)
    report.add_floor(label, case, m)
    log(f"{label}: {m.result['seconds']:.1f} s ({sum(m.result['rows'].values()):,} rows)")
    return m


def pandas_recomputation(report: Report, label: str, case: str, landing: Path, work: Path) -> Measured:
    """The analyst's pandas script (scrs/bench/pandas_marts.py) on the same files, in its own process."""
    out = work / f"pandas_{case}"
    shutil.rmtree(out, ignore_errors=True)
    log(f"{label} ...")
    m = measure([sys.executable, "-m", "scrs.bench.pandas_marts", str(landing), str(out)])
    _check(m, label)
    report.add_script(label, case, m)
    log(f"{label}: {m.seconds:.1f} s, peak {m.peak_rss_bytes / 1e9:.2f} GB")
    shutil.rmtree(out, ignore_errors=True)
    return m


def nothing_new(report: Report, label: str, landing: Path, warehouse_dir: Path) -> Measured:
    """`scrs run` as typed, on a landing folder whose every file is already published."""
    settings = Settings.from_env(landing, warehouse_dir)
    before = served_signature(settings)
    log(f"{label} ...")
    m = measure([SCRS, "run", "--landing", str(landing), "--warehouse", str(warehouse_dir)])
    said = m.ok and m.stdout.startswith("nothing new")
    unchanged = served_signature(settings) == before
    report.add_nothing_new(label, m, said_nothing_new=said, published_nothing=unchanged)
    log(f"{label}: {m.seconds:.2f} s, said nothing new: {said}, published nothing: {unchanged}")
    return m


@contextlib.contextmanager
def resident_runner(work: Path) -> Iterator[dict]:
    """`scrs serve` on a socket under `work`, started and ready before anything is measured (its start-up is
    paid once per service start, not per run), stopped afterwards."""
    sock, runner_log = work / "runner.sock", work / "runner.log"
    # SCRS_RUNNER_STANDBY=0: the runner's copy after each run would run beside the next measurement; `monthly`
    # makes the copy itself, between measurements, where the runner would have.
    env = {**os.environ, "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false", "SCRS_RUNNER_STANDBY": "0"}
    t0 = time.perf_counter()
    with open(runner_log, "w") as out:
        proc = subprocess.Popen([SCRS, "serve", "--socket", str(sock)], stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        while "ready on" not in runner_log.read_text():
            if proc.poll() is not None or time.perf_counter() - t0 > 600:
                raise SystemExit(f"bench: scrs serve did not start:\n{runner_log.read_text()[-2000:]}")
            time.sleep(0.2)
        startup = time.perf_counter() - t0
        log(f"resident runner ready in {startup:.1f} s")
        yield {"env": {"SCRS_RUNNER_SOCKET": str(sock)}, "pid": proc.pid, "startup": startup}
    finally:
        proc.terminate()
        proc.wait(timeout=120)


def monthly(
    report: Report,
    runner: dict,
    label: str,
    case: str,
    landing: Path,
    warehouse_dir: Path,
    work: Path,
    note: str,
    compare: bool = True,
) -> None:
    """A month's delivery run twice from the same starting warehouse: in a process of its own (`scrs run
    --in-process`, as without a runner), on a copy, then submitted to the resident runner, in place (judged).
    `compare=False` (--quick) leaves out the first."""
    replaying = ""
    if compare:
        in_own_process(report, label, f"{case}-cold", landing, warehouse_dir, work, note)
        # That run was the warehouse's first incremental one, so it ran dbt and recorded the statements dbt ran
        # (dagster_project/dbt_plan.py); in service every later month with the same selection replays them.
        # The recording depends on the project, versions, selection and relations, not on the warehouse's file,
        # so it is copied back and the runner's month below is such a later month.
        plans = Settings.from_env(landing, warehouse_dir).dbt_plans_dir
        recorded = sorted(
            Settings.from_env(landing, work / f"{warehouse_dir.name}_in_process").dbt_plans_dir.glob("*.json")
        )
        for plan in recorded:
            plans.mkdir(parents=True, exist_ok=True)
            shutil.copy2(plan, plans / plan.name)
        shutil.rmtree(work / f"{warehouse_dir.name}_in_process", ignore_errors=True)
        if recorded:
            replaying = "; replays the dbt statements the run in its own process recorded, as every later month does"
    # In service the publication this month builds on was the runner's, which then copied it for the next run
    # (scrs.publish.make_standby, after answering): here it came from a process of its own, so the copy is made
    # now, timed, and named in the note. It is not part of the month's wall time, as in service.
    standby = make_standby(Settings.from_env(landing, warehouse_dir))
    made = f"; standby copy made beforehand as the runner makes it after a run: {standby:.1f} s" if standby else ""
    log(f"{label}, submitted to the resident runner ...")
    m = measure_child("submit", landing, warehouse_dir, env=runner["env"], also=runner["pid"])
    _check(m, f"{label}, resident runner")
    report.add_run(
        f"{label}, resident runner",
        case,
        m,
        note=f"{note}; runner start-up {runner['startup']:.1f} s, once{made}{replaying}",
    )
    log(f"{label}, resident runner: {m.seconds:.1f} s")


def full_run_by_runner(report: Report, runner: dict, label: str, landing: Path, work: Path) -> None:
    """The same full build submitted to the resident runner, as a force's `scrs run` or weekly rebuild reaches
    it in service: without the start-up of a process, Dagster, dbt and GX, which the runner paid once."""
    warehouse_dir = work / "warehouse_1y_runner"
    shutil.rmtree(warehouse_dir, ignore_errors=True)
    log(f"{label} ...")
    m = measure_child("submit", landing, warehouse_dir, env=runner["env"], also=runner["pid"])
    _check(m, label)
    report.add_run(label, "1y-runner", m, note=f"runner start-up {runner['startup']:.1f} s, once")
    log(f"{label}: {m.seconds:.1f} s")
    shutil.rmtree(warehouse_dir, ignore_errors=True)


def in_own_process(
    report: Report, label: str, case: str, landing: Path, warehouse_dir: Path, work: Path, note: str
) -> None:
    """The same delivery onto a copy of the warehouse, in a process of its own."""
    cold = work / f"{warehouse_dir.name}_in_process"
    shutil.rmtree(cold, ignore_errors=True)
    shutil.copytree(warehouse_dir, cold)
    log(f"{label}, in its own process ...")
    m = measure_child("run", landing, cold)
    _check(m, f"{label}, in its own process")
    report.add_run(
        f"{label}, in its own process", f"{case}-cold", m, note=f"{note}; the first incremental run: dbt runs"
    )
    log(f"{label}, in its own process: {m.seconds:.1f} s")


def held_out_month(ten: extracts.ExtractSet) -> str:
    """`YYYY_MM` of the ten-year set's last month, whose incidents and crimes are delivered incrementally."""
    return f"{int(ten.years[-1][:4]) + 1}_03"


def exports(report: Report, case: str, warehouse_dir: Path, work: Path) -> None:
    for who, flag in (("national", ["--national"]), ("division G", ["--division", "G"])):
        out = work / f"export_{case}_{who.replace(' ', '_')}"
        shutil.rmtree(out, ignore_errors=True)
        log(f"export --{who} ({case}) ...")
        m = measure([SCRS, "export", "--warehouse", str(warehouse_dir), "--out", str(out), *flag])
        _check(m, f"export {who}")
        size = sum(p.stat().st_size for p in out.glob("*") if p.is_file())
        report.add_export(f"export --{who.replace(' ', ' ')} ({case})", case, m, size)
        shutil.rmtree(out, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    with contextlib.ExitStack() as stack:
        return _main(parse_args(argv), argv, stack)


def _main(args: argparse.Namespace, argv: list[str] | None, stack: contextlib.ExitStack) -> int:
    args.work.mkdir(parents=True, exist_ok=True)
    report = Report(command=command_line(args, argv), machine=machine_info(), quick=args.quick, scale=args.scale)
    started = time.perf_counter()

    # ---- data ---------------------------------------------------------------------------------------
    year = extracts.year_set(args.cache, args.scale, args.seed, args.year, log=log)
    report.add_data("one year", year)
    ten = None
    if not args.skip_ten:
        ten = extracts.multi_year_set(args.cache, args.scale, args.seed, args.years_ten, log=log)
        report.add_data("ten years", ten)

    # ---- one year -------------------------------------------------------------------------------------
    floor(report, f"floor, one year ({args.year})", "1y", year.landing, args.work)
    wh1 = args.work / "warehouse_1y"
    full_run(report, f"scrs run, one year ({args.year})", "1y", year.landing, wh1)

    exports(report, "one year", wh1, args.work)
    pandas_recomputation(report, f"pandas recomputation, one year ({args.year})", "1y-pandas", year.landing, args.work)

    # The monthly cases go to a resident runner (`scrs serve`), as `scrs run` does when one listens; each is
    # also run in a process of its own on a copy, for comparison.
    runner = stack.enter_context(resident_runner(args.work))
    full_run_by_runner(report, runner, f"scrs run, one year ({args.year}), resident runner", year.landing, args.work)

    # ---- incremental month onto the one-year warehouse ----------------------------------------------
    # In place, as a month's delivery arrives in production: same warehouse folder (dbt's partial-parse state
    # lives there), landing = the year's files (already loaded: skipped by checksum) + the next month's.
    assert year.next_month is not None
    inc_landing = extracts.link_landing(args.work / "landing_1y_plus_month", year.landing, year.next_month)
    next_files = sorted(p.name for p in year.next_month.glob("*.csv"))
    label = "scrs run, incremental: +1 month onto one year"
    monthly(report, runner, label, "inc", inc_landing, wh1, args.work, ", ".join(next_files), compare=not args.quick)
    nothing_new(report, "scrs run, nothing new (one year + month, all published)", inc_landing, wh1)
    shutil.rmtree(inc_landing, ignore_errors=True)

    # ---- more years: how cost grows (docs/scaling.md) -----------------------------------------------
    if ten is not None:
        for n in args.points:
            if not 1 < n < len(ten.years):
                continue
            first = ten.years[:n]
            landing = extracts.link_landing(args.work / f"landing_{n}y", *[ten.landing], only_years=first)
            label = f"scrs run, {n} years ({first[0]}..{first[-1]})"
            full_run(report, label, f"{n}y", landing, args.work / f"warehouse_{n}y")
            shutil.rmtree(args.work / f"warehouse_{n}y", ignore_errors=True)
            shutil.rmtree(landing, ignore_errors=True)

    # ---- ten years ------------------------------------------------------------------------------------
    dash_wh, dash_case = wh1, "one year"
    if ten is not None:
        span = f"{ten.years[0]}..{ten.years[-1]}"
        floor(report, f"floor, ten years ({span})", "10y", ten.landing, args.work)
        wh10 = args.work / "warehouse_10y"
        # The last month's incidents and crimes are held back from the full run and delivered afterwards,
        # as a month's delivery onto ten years of history.
        month = held_out_month(ten)
        landing10 = extracts.link_landing(args.work / "landing_10y", ten.landing)
        held = sorted(p.name for p in landing10.glob(f"*_{month}.csv") if p.name.startswith(("incidents_", "crimes_")))
        for name in held:
            (landing10 / name).unlink()
        full_run(report, f"scrs run, ten years ({span}, less its last month)", "10y", landing10, wh10)
        exports(report, "ten years", wh10, args.work)
        extracts.link_landing(landing10, ten.landing)
        label = "scrs run, incremental: +1 month onto ten years"
        monthly(report, runner, label, "inc10", landing10, wh10, args.work, note=", ".join(held))
        shutil.rmtree(landing10, ignore_errors=True)
        dash_wh, dash_case = wh10, "ten years"
    else:
        report.skip("ten years", "--skip-ten" if not args.quick else "--quick")

    # ---- dashboard --------------------------------------------------------------------------------------
    log(f"dashboard queries on the {dash_case} warehouse, {args.runs} cold runs per page ...")
    m = measure_child("dashboard", dash_wh, runs=args.runs)
    _check(m, "dashboard queries")
    report.add_dashboard(dash_case, m)

    report.finish(time.perf_counter() - started, machine_info())
    print(report.table())
    report.write(args.out)
    log(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

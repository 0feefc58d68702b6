"""`scrs`: the product's one command-line entry point (contract section 5)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from scrs.roles import ROLES

EXIT_OK, EXIT_NOT_PUBLISHED, EXIT_USAGE, EXIT_BUSY = 0, 1, 2, 3


def _fail(command: str, message: str, code: int) -> int:
    print(f"scrs {command}: {message}", file=sys.stderr)
    return code


def cmd_generate(args: argparse.Namespace) -> int:
    from scrs.generator import DEFAULT_YEARS, generate, parse_years

    try:
        years = parse_years(args.years) if args.years else list(DEFAULT_YEARS)
    except ValueError as exc:
        return _fail("generate", str(exc), EXIT_USAGE)
    summary = generate(Path(args.out), scale=args.scale, seed=args.seed, years=years, progress=not args.quiet)
    print(f"wrote synthetic extracts to {Path(args.out).resolve()}: {summary}")
    return EXIT_OK


def _nothing_new(settings) -> tuple[bool, int | None]:  # noqa: ANN001
    """(nothing new?, exit code if the run cannot go ahead), decided with no Dagster, dbt, GX or pandas import.

    Decided under the run lock, so a run publishing at this moment cannot be half-seen."""
    from scrs.freshness import why_run
    from scrs.publish import RunInProgressError, run_lock

    try:
        with run_lock(settings):
            return why_run(settings) is None, None
    except RunInProgressError as exc:
        return False, _fail("run", f"not published: {exc}", EXIT_BUSY)


def cmd_run(args: argparse.Namespace) -> int:
    import os

    from scrs.keys import DEMO_MODE_ENV, DemoKeyRefused, require_pseudonym_key
    from scrs.settings import Settings

    if args.demo:
        os.environ[DEMO_MODE_ENV] = "1"
    if args.full_refresh:
        from scrs.freshness import FULL_REFRESH_ENV

        os.environ[FULL_REFRESH_ENV] = "1"
    settings = Settings.from_env(args.landing, args.warehouse)
    try:
        require_pseudonym_key(settings)
    except DemoKeyRefused as exc:
        return _fail("run", f"not published: {exc}", EXIT_USAGE)
    if not settings.landing_dir.is_dir():
        return _fail("run", f"not published: landing folder {settings.landing_dir} does not exist", EXIT_USAGE)
    if not (args.force or args.full_refresh):
        nothing_new, code = _nothing_new(settings)
        if code is not None:
            return code
        if nothing_new:
            print(
                f"nothing new: every extract file in {settings.landing_dir} is already published in "
                f"{settings.served_db}; nothing published (--force rebuilds anyway)"
            )
            return EXIT_OK

    if settings.using_demo_key:
        print("scrs run: demo mode: staff numbers are pseudonymised with the public DEMO key", file=sys.stderr)
    # The warehouse's resident runner (`scrs serve`) takes the run when one is listening: same pipeline, none of
    # the start-up. --verbose shows Dagster's own log, which only a run in this process can.
    if not (args.in_process or args.verbose):
        from scrs.resident import RunnerError, socket_path, submit

        try:
            submitted = submit(Path(args.landing), Path(args.warehouse), progress=not args.quiet)
        except RunnerError as exc:
            return _fail("run", f"not published: {exc}", EXIT_NOT_PUBLISHED)
        except KeyboardInterrupt:
            return _fail(
                "run",
                f"stopped following the run; it goes on in the resident runner ({socket_path(args.warehouse)})",
                130,
            )
        if submitted is not None:
            codes = {"busy": EXIT_BUSY, "usage": EXIT_USAGE}
            if submitted.error_kind is not None:
                return _fail(
                    "run", f"not published: {submitted.reason}", codes.get(submitted.error_kind, EXIT_NOT_PUBLISHED)
                )
            return _outcome(submitted)

    from dagster_project.runner import run_pipeline
    from scrs.publish import RunInProgressError

    try:
        outcome = run_pipeline(Path(args.landing), Path(args.warehouse), verbose=args.verbose, progress=not args.quiet)
    except RunInProgressError as exc:
        return _fail("run", f"not published: {exc}", EXIT_BUSY)
    except FileNotFoundError as exc:
        return _fail("run", f"not published: {exc}", EXIT_USAGE)
    return _outcome(outcome)


def cmd_serve(args: argparse.Namespace) -> int:
    import logging

    from dagster_project.resident import RunnerStartError, serve
    from scrs.resident import socket_path

    # The runner's own lines (scrs.*) on stderr, for the journal; Dagster's and dbt's go to each run's log file.
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
    logging.getLogger("scrs").addHandler(handler)
    logging.getLogger("scrs").setLevel(logging.WARNING)  # not every skipped file of every run
    logging.getLogger("scrs.resident").setLevel(logging.INFO)
    try:
        serve(
            Path(args.socket) if args.socket else socket_path(Path(args.warehouse)),
            ready=lambda line: print(line, flush=True),
        )
    except RunnerStartError as exc:
        return _fail("serve", str(exc), EXIT_USAGE)
    return EXIT_OK


def _outcome(outcome) -> int:  # noqa: ANN001 (runner.RunOutcome or resident.SubmittedOutcome)
    """What `scrs run` prints and exits with for a run that ended."""
    if not outcome.published:
        return _fail("run", f"not published: {outcome.reason}", EXIT_NOT_PUBLISHED)
    print(f"{outcome.reason} (run {outcome.run_id})")
    return EXIT_OK


def cmd_export(args: argparse.Namespace) -> int:
    from scrs.export import export
    from scrs.settings import Settings
    from scrs.warehouse import NoPublicationError

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        marts = export(settings, Path(args.out), division=args.division, national=args.national)
    except (ValueError, NoPublicationError) as exc:
        return _fail("export", str(exc), EXIT_USAGE)
    for mart in marts:
        print(f"{mart.mart}: {mart.rows} rows -> {', '.join(str(p) for p in mart.files)}")
    return EXIT_OK


def cmd_backup(args: argparse.Namespace) -> int:
    from scrs.backup import BackupError, backup
    from scrs.settings import Settings

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        files = backup(settings, Path(args.out))
    except BackupError as exc:
        return _fail("backup", str(exc), EXIT_USAGE)
    for f in files:
        print(f"{f.name}: {f.bytes} bytes, sha256 {f.sha256}")
    print(f"backed up to {Path(args.out).resolve()}")
    return EXIT_OK


def cmd_restore(args: argparse.Namespace) -> int:
    from scrs.backup import BackupError, restore
    from scrs.settings import Settings

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        files = restore(settings, Path(args.from_dir), force=args.force)
    except BackupError as exc:
        return _fail("restore", str(exc), EXIT_USAGE)
    print(f"restored {len(files)} file(s) from {Path(args.from_dir).resolve()} into {settings.warehouse_dir}")
    return EXIT_OK


def cmd_report(args: argparse.Namespace) -> int:
    import re

    import duckdb

    from scrs.report import write_pack
    from scrs.report.as_reported import AlreadyFinalisedError
    from scrs.settings import Settings
    from scrs.warehouse import NoPublicationError

    if not re.fullmatch(r"\d{4}/\d{2}", args.fiscal_year) or args.quarter not in (1, 2, 3, 4):
        return _fail("report", "give --fiscal-year like 2020/21 and --quarter 1-4", EXIT_USAGE)
    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        result = write_pack(
            settings, args.fiscal_year, args.quarter, Path(args.out), final=args.final, force=args.force
        )
    except AlreadyFinalisedError as exc:
        return _fail("report", f"not recorded: {exc}", EXIT_NOT_PUBLISHED)
    except (ValueError, NoPublicationError) as exc:
        return _fail("report", str(exc), EXIT_USAGE)
    except duckdb.CatalogException as exc:
        return _fail(
            "report",
            f"the published warehouse lacks a table the paper needs ({str(exc).splitlines()[0]}); "
            "run the pipeline again to publish the change, thematic and unit marts",
            EXIT_NOT_PUBLISHED,
        )
    print(f"committee pack for {result.pack.period} -> {Path(args.out).resolve()} ({len(result.files)} files)")
    if result.report is not None:
        print(
            f"recorded as reported: report {result.report.report_id} in {settings.as_reported_db}"
            + (" (forced; the earlier report is kept as history)" if result.report.forced else "")
        )
    return EXIT_OK


def cmd_access_log(args: argparse.Namespace) -> int:
    from scrs import access_log
    from scrs.keys import AccessLogKeyMissing
    from scrs.settings import Settings

    path = Settings.from_env(warehouse_dir=args.warehouse).access_log
    try:
        result = access_log.check(path)
    except AccessLogKeyMissing as exc:
        return _fail("access-log", str(exc), EXIT_USAGE)
    if not result.ok:
        print(f"scrs access-log verify: {result.path}: TAMPERED OR DAMAGED", file=sys.stderr)
        for problem in result.problems:
            print(f"  - {problem}", file=sys.stderr)
        return EXIT_NOT_PUBLISHED
    print(result.summary())
    return EXIT_OK


def cmd_sample(args: argparse.Namespace) -> int:
    from scrs.audit.sampling import SampleError, draw_sample
    from scrs.settings import Settings
    from scrs.warehouse import NoPublicationError

    settings = Settings.from_env(warehouse_dir=args.warehouse)
    try:
        drawn = draw_sample(
            settings.served_db,
            Path(args.out),
            args.fiscal_year,
            args.quarter,
            tests=args.tests.split(","),
            margin=args.margin,
            expected_pct=args.expected_pct,
            seed=args.seed,
            progress=not args.quiet,
        )
    except (SampleError, NoPublicationError) as exc:
        return _fail("sample", str(exc), EXIT_USAGE)
    print(
        f"sample {drawn.sample_id}: {drawn.sampled} records in {len(drawn.strata)} strata "
        f"(seed {drawn.seed}; the same seed on this warehouse draws the same sample) -> {drawn.sample_file}"
    )
    folder = drawn.sample_file.parent / "worklists"
    print(f"worklists: {len(drawn.worklists) // 2} divisions (CSV and Excel) in {folder}")
    return EXIT_OK


def _users_file(args: argparse.Namespace):  # noqa: ANN202
    from scrs.settings import Settings
    from scrs.users import UsersFile

    return UsersFile(Path(args.users_file) if args.users_file else Settings.from_env().users_file)


def _read_password(args: argparse.Namespace) -> str | None:
    """A password from stdin with --password-stdin (first line), else None (one is generated)."""
    if not getattr(args, "password_stdin", False):
        return None
    return sys.stdin.readline().rstrip("\r\n")


def cmd_users(args: argparse.Namespace) -> int:
    from scrs.users import UsersError

    users = _users_file(args)
    try:
        if args.users_command == "add":
            password = users.add(
                args.username,
                args.role,
                args.division,
                _read_password(args),
                identities=tuple(args.identity or ()),
                local_password=not args.no_password,
            )
            account = users.get(args.username)
            scope = f"division {account.division_code}" if account and account.division_code else args.role
            print(f"added {args.username.strip().lower()} ({scope}) to {users.path}")
            if password is not None and not args.password_stdin:
                print(f"password (shown once, not stored): {password}")
        elif args.users_command == "remove":
            users.remove(args.username)
            print(f"removed {args.username.strip().lower()}")
        elif args.users_command == "set-password":
            password = users.set_password(args.username, _read_password(args))
            print(f"password changed for {args.username.strip().lower()}")
            if not args.password_stdin:
                print(f"password (shown once, not stored): {password}")
        elif args.users_command == "unlock":
            users.unlock(args.username)
            print(f"unlocked {args.username.strip().lower()}")
        elif args.users_command == "list":
            accounts = users.accounts()
            if not accounts:
                print(f"no users in {users.path}")
            for account in accounts:
                status = "locked" if account.locked_until and account.locked_until > _utcnow() else "active"
                print(
                    f"{account.username}\t{account.role}\t{account.division_code or '-'}\t"
                    f"{'password' if account.has_password else 'oidc-only'}\t{status}\t"
                    f"{','.join(account.identities) or '-'}\t{'demo' if account.demo else ''}".rstrip()
                )
        elif args.users_command == "demo":
            created = users.create_demo_accounts()
            print(f"Demo accounts in {users.path} (passwords shown once; the file holds only salted hashes):")
            for account, password in created:
                scope = f"division {account.division_code}" if account.division_code else account.role
                print(f"  {account.username:<12} {scope:<12} {password}")
    except UsersError as exc:
        return _fail("users", str(exc), EXIT_USAGE)
    return EXIT_OK


def _utcnow():  # noqa: ANN202
    from datetime import UTC, datetime

    return datetime.now(UTC)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="scrs", description="SCRS crime-recording compliance warehouse")
    commands = parser.add_subparsers(dest="command", required=True)

    gen = commands.add_parser("generate", help="write synthetic extracts (and the truth they plant)")
    gen.add_argument("--out", required=True, help="folder to write the extract CSV files into")
    gen.add_argument("--scale", type=float, default=None, help="1 = national volume (~1.5M incidents/year)")
    gen.add_argument("--seed", type=int, default=42)
    gen.add_argument("--years", default=None, help="fiscal years, e.g. 2017/18..2021/22")
    gen.add_argument("--quiet", action="store_true", help="no progress bar")
    gen.set_defaults(func=cmd_generate)

    run = commands.add_parser("run", help="run the whole pipeline: ingest, quality, dbt build, publish")
    run.add_argument("--landing", required=True, help="landing folder holding the extract files")
    run.add_argument("--warehouse", required=True, help="warehouse folder (the served file lives here)")
    run.add_argument("--verbose", action="store_true", help="show Dagster's step-by-step log")
    run.add_argument("--quiet", action="store_true", help="no progress lines, only the outcome")
    run.add_argument(
        "--force", action="store_true", help="rebuild and publish even when nothing new has landed since the last run"
    )
    run.add_argument(
        "--full-refresh",
        action="store_true",
        help="rebuild every incremental model from the whole history and run every data test on every row "
        "(implies --force; a monthly run re-judges only what its delivery touched)",
    )
    run.add_argument(
        "--demo", action="store_true", help="demo mode (synthetic data): allow the public demo pseudonymisation key"
    )
    run.add_argument(
        "--in-process",
        action="store_true",
        help="run the pipeline in this process even when the warehouse's resident runner (`scrs serve`) is listening",
    )
    run.set_defaults(func=cmd_run)

    srv = commands.add_parser(
        "serve",
        help="the resident runner: import the pipeline once, then run what `scrs run` submits (no start-up per run)",
    )
    srv.add_argument(
        "--warehouse", default="data/warehouse", help="listen on this warehouse's socket (<warehouse>/.runner.sock)"
    )
    srv.add_argument("--socket", default=None, help="listen here instead (also SCRS_RUNNER_SOCKET, for `scrs run`)")
    srv.set_defaults(func=cmd_serve)

    exp = commands.add_parser("export", help="write a division's or the committee's pack")
    exp.add_argument("--warehouse", required=True)
    exp.add_argument("--out", required=True)
    who = exp.add_mutually_exclusive_group(required=True)
    who.add_argument("--division", help="division code: its own rows of every mart, record failures included")
    who.add_argument("--national", action="store_true", help="the committee's pack: aggregates, small cells suppressed")
    exp.set_defaults(func=cmd_export)

    bak = commands.add_parser(
        "backup", help="copy the review store and the access log (what no run can rebuild); safe while serving"
    )
    bak.add_argument("--warehouse", default=None, help="warehouse folder (default: $SCRS_WAREHOUSE_DIR)")
    bak.add_argument("--out", required=True, help="a new, empty folder to write the backup into")
    bak.set_defaults(func=cmd_backup)

    rst = commands.add_parser("restore", help="put a backup made by `scrs backup` back")
    rst.add_argument("--from", dest="from_dir", required=True, help="the backup folder")
    rst.add_argument("--warehouse", default=None, help="warehouse folder (default: $SCRS_WAREHOUSE_DIR)")
    rst.add_argument("--force", action="store_true", help="overwrite a review store or access log holding entries")
    rst.set_defaults(func=cmd_restore)

    rep = commands.add_parser("report", help="write the committee's paper for a quarter (HTML, PDF, Word, CSV)")
    rep.add_argument("--warehouse", required=True)
    rep.add_argument("--fiscal-year", required=True, help="e.g. 2020/21")
    rep.add_argument("--quarter", required=True, type=int, help="financial quarter 1-4 (4 = January-March)")
    rep.add_argument("--out", required=True)
    rep.add_argument("--final", action="store_true", help="record the figures as reported (never overwritten)")
    rep.add_argument("--force", action="store_true", help="with --final: record again; the earlier is kept")
    rep.set_defaults(func=cmd_report)

    log = commands.add_parser("access-log", help="the dashboard's access log")
    log_commands = log.add_subparsers(dest="access_log_command", required=True)
    verify = log_commands.add_parser(
        "verify", help="check the log's keyed chain and its anchor; exit 1 when it was tampered with or damaged"
    )
    verify.add_argument("--warehouse", required=True, help="warehouse folder (the log is in its logs/ folder)")
    log.set_defaults(func=cmd_access_log)

    smp = commands.add_parser("sample", help="draw the registrars' audit sample and per-division worklists")
    smp.add_argument("--warehouse", required=True)
    smp.add_argument("--fiscal-year", required=True, help="e.g. 2020/21")
    smp.add_argument("--quarter", type=int, required=True, help="financial quarter 1-4 (Q4 = January-March)")
    smp.add_argument("--tests", default="TEST1,TEST2,NOCRIME", help="comma-separated test codes")
    smp.add_argument("--margin", type=float, default=3.0, help="margin of error, percentage points")
    smp.add_argument("--expected-pct", type=float, default=95.0, help="expected compliance, percent")
    smp.add_argument("--seed", type=int, default=None, help="random seed (default: a new one, printed)")
    smp.add_argument("--out", required=True, help="folder for audit_sample_<id>.csv and worklists/")
    smp.add_argument("--quiet", action="store_true", help="no progress bar")
    smp.set_defaults(func=cmd_sample)

    users = commands.add_parser("users", help="dashboard accounts: add, remove, list, set-password, unlock, demo")
    users.add_argument(
        "--users-file", default=None, help="users file (default: $SCRS_USERS_FILE, else beside the warehouse folder)"
    )
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser("add", help="add an account; prints a generated password once")
    add.add_argument("username")
    add.add_argument("--role", required=True, choices=ROLES)
    add.add_argument("--division", default=None, help="division code (division users only)")
    add.add_argument("--identity", action="append", help="OIDC identity (e-mail or subject) mapped to this user")
    add.add_argument("--password-stdin", action="store_true", help="read the password from stdin's first line")
    add.add_argument("--no-password", action="store_true", help="OIDC sign-in only: no local password")
    rm = users_commands.add_parser("remove", help="remove an account")
    rm.add_argument("username")
    setpw = users_commands.add_parser("set-password", help="set a new password (generated unless --password-stdin)")
    setpw.add_argument("username")
    setpw.add_argument("--password-stdin", action="store_true")
    unlock = users_commands.add_parser("unlock", help="end a lockout after failed sign-ins")
    unlock.add_argument("username")
    users_commands.add_parser("list", help="list accounts (never passwords or hashes)")
    users_commands.add_parser("demo", help="(re)create the demo accounts, one per role and three divisions")
    users.set_defaults(func=cmd_users)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate" and args.scale is None:
        from scrs.generator import DEFAULT_SCALE

        args.scale = DEFAULT_SCALE
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

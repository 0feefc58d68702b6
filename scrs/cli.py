"""`scrs`: the product's one command-line entry point (contract section 5)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

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


def cmd_run(args: argparse.Namespace) -> int:
    from dagster_project.runner import run_pipeline
    from scrs.publish import RunInProgressError

    try:
        outcome = run_pipeline(Path(args.landing), Path(args.warehouse), verbose=args.verbose)
    except RunInProgressError as exc:
        return _fail("run", f"not published: {exc}", EXIT_BUSY)
    except FileNotFoundError as exc:
        return _fail("run", f"not published: {exc}", EXIT_USAGE)
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
    run.set_defaults(func=cmd_run)

    exp = commands.add_parser("export", help="write a division's or the committee's pack")
    exp.add_argument("--warehouse", required=True)
    exp.add_argument("--out", required=True)
    who = exp.add_mutually_exclusive_group(required=True)
    who.add_argument("--division", help="division code: its own rows of every mart, record failures included")
    who.add_argument(
        "--national", action="store_true", help="the committee's pack: aggregates, small cells suppressed"
    )
    exp.set_defaults(func=cmd_export)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "generate" and args.scale is None:
        from scrs.generator import DEFAULT_SCALE

        args.scale = DEFAULT_SCALE
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())

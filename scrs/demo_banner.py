"""Print, after `make demo` has published, where the marts and the dashboard are."""

from __future__ import annotations

import argparse
from pathlib import Path

from scrs.settings import Settings
from scrs.warehouse import read_only


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--landing", required=True)
    parser.add_argument("--warehouse", required=True)
    parser.add_argument("--port", default="8501")
    args = parser.parse_args()
    settings = Settings.from_env(args.landing, args.warehouse)
    with read_only(settings.served_db) as con:
        marts = con.sql(
            "select table_name, estimated_size from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
    print()
    print("=" * 78)
    print(f"Published warehouse : {settings.served_db}")
    print("Marts (schema marts):")
    for name, rows in marts:
        print(f"  - marts.{name:<34} ~{rows:,} rows")
    print(f"Extracts (landing)  : {settings.landing_dir}   quarantine: {settings.quarantine_dir}")
    print(f"Quality history     : {settings.quality_history_dir}")
    print(f"GX Data Docs        : {settings.data_docs_dir / 'index.html'}")
    print(f"Division pack       : .venv/bin/scrs export --warehouse {Path(args.warehouse)} --out out/G --division G")
    print(
        f"Committee pack      : .venv/bin/scrs export --warehouse {Path(args.warehouse)} --out out/national --national"
    )
    print(f"Dashboard           : http://localhost:{args.port}  (Ctrl+C to stop)")
    print("=" * 78)


if __name__ == "__main__":
    main()

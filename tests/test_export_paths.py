"""`scrs export --out` is passed to DuckDB as a parameter: a quote in the path is just part of the path."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from tests.conftest import run_scrs

MARTS = ("compliance_by_division_test", "compliance_by_command_area_test", "compliance_national_test")


def test_export_to_a_path_with_quotes_writes_there_and_nowhere_else(published_warehouse: Path, tmp_path: Path) -> None:
    # Before the fix this path ended the SQL string literal: the COPY failed (or, crafted, wrote elsewhere).
    escape = tmp_path / "escaped.csv"
    out = tmp_path / f"it's a \"pack\"' (format csv); copy export_rows to '{escape}"
    proc = run_scrs("export", "--warehouse", str(published_warehouse), "--out", str(out), "--national")
    assert proc.returncode == 0, proc.stderr
    for mart in MARTS:
        for ext in ("csv", "xlsx", "parquet"):
            assert (out / f"{mart}.{ext}").is_file(), f"{mart}.{ext} missing under the quoted path"
    csv = pd.read_csv(out / "compliance_national_test.csv")
    parquet = pd.read_parquet(out / "compliance_national_test.parquet")
    assert len(csv) == len(parquet) > 0
    assert not escape.exists()
    written = {p.name for p in tmp_path.rglob("*") if p.is_file()}
    assert written == {f"{m}.{e}" for m in MARTS for e in ("csv", "xlsx", "parquet")}

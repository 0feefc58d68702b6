"""No personal data at rest (issue #5, point 6): no raw staff number anywhere we keep or hand out.

After a real pipeline run, exports (`scrs export` for a division and nationally) and dashboard sessions
(every page as an engineer, every pack downloaded, a division user's downloads), every staff number the
generator wrote is searched for in: every VARCHAR column of the warehouse (via SQL), every export file (CSV
text, the Excel sheets' XML, the Parquet columns), every pack the Downloads page serves, the access log, the
users file, and everything the dashboard rendered. None may appear.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from streamlit_app.access.policy import Viewer
from streamlit_app.data import downloads
from tests.access_helpers import make_users_file, sign_in
from tests.conftest import run_scrs

REPO_ROOT = Path(__file__).resolve().parent.parent

APP = REPO_ROOT / "streamlit_app" / "app.py"
PAGE_FILES = sorted(p.name for p in (REPO_ROOT / "streamlit_app" / "app_pages").glob("*.py"))


def staff_numbers(pipeline_run: dict[str, Path]) -> list[str]:
    staff = pd.read_csv(pipeline_run["truth"] / "staff_numbers.csv", dtype=str).iloc[:, 0].tolist()
    assert len(staff) > 50
    return staff


def found_in(text: str, staff: list[str]) -> list[str]:
    return [s for s in staff if s in text]


def parquet_text(data: bytes | Path) -> str:
    frame = pd.read_parquet(io.BytesIO(data) if isinstance(data, bytes) else data)
    return frame.astype(str).to_csv(index=False)


def xlsx_text(data: bytes | Path) -> str:
    with zipfile.ZipFile(io.BytesIO(data) if isinstance(data, bytes) else data) as book:
        return "\n".join(book.read(name).decode("utf-8", "replace") for name in book.namelist())


def file_text(path: Path) -> str:
    if path.suffix == ".parquet":
        return parquet_text(path)
    if path.suffix == ".xlsx":
        return xlsx_text(path)
    return path.read_text(encoding="utf-8", errors="replace")


def walk(node: object) -> Iterator[object]:
    yield node
    for child in getattr(node, "children", {}).values():
        yield from walk(child)


def rendered_text(at: AppTest) -> str:
    """Everything a run rendered: every element's protobuf (text, tables' Arrow bytes, chart specs)."""
    parts = []
    for node in walk(at._tree):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
    parts.extend(frame.value.astype(str).to_csv(index=False) for frame in at.dataframe)
    return "\n".join(parts)


@pytest.fixture(scope="module")
def after_everything(pipeline_run: dict[str, Path], tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """Run the exports and dashboard sessions, and gather what they leave behind."""
    warehouse = pipeline_run["warehouse"]
    base = tmp_path_factory.mktemp("personal_data")
    users_file = make_users_file(base / "users.json")
    exports = {"E": base / "export_E", "national": base / "export_national"}
    run_scrs("export", "--warehouse", str(warehouse), "--out", str(exports["E"]), "--division", "E", check=True)
    run_scrs("export", "--warehouse", str(warehouse), "--out", str(exports["national"]), "--national", check=True)

    mp = pytest.MonkeyPatch()
    mp.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    mp.setenv("SCRS_USERS_FILE", str(users_file))
    try:
        shown: list[str] = []
        engineer = sign_in(AppTest.from_file(str(APP), default_timeout=60), "engineer")
        for page in PAGE_FILES:
            engineer.switch_page(f"app_pages/{page}").run()
            assert not engineer.exception, (page, [e.value for e in engineer.exception])
            shown.append(rendered_text(engineer))
        engineer.switch_page("app_pages/downloads.py").run()
        for scope in ("E", "G"):
            engineer.selectbox(key="downloads_scope").set_value(scope).run()
            for button in engineer.download_button:
                button.click().run()
            shown.append(rendered_text(engineer))
        division = sign_in(AppTest.from_file(str(APP), default_timeout=60), "division-e")
        division.switch_page("app_pages/downloads.py").run()
        division.download_button(key="pack_record_failures_csv").click().run()
        shown.append(rendered_text(division))

        packs = []
        engineer_viewer = Viewer("engineer", username="engineer")
        for scope in downloads.download_scopes(engineer_viewer):
            pack = downloads.download_pack(engineer_viewer, scope)
            for file in pack.files:
                data = downloads.pack_file_bytes(engineer_viewer, pack, file.file_name)  # as a click makes it
                if file.ext == "parquet":
                    packs.append((file.file_name, parquet_text(data)))
                elif file.ext == "xlsx":
                    packs.append((file.file_name, xlsx_text(data)))
                else:
                    packs.append((file.file_name, data.decode("utf-8")))
    finally:
        mp.undo()
    return {
        "warehouse": warehouse,
        "exports": exports,
        "users_file": users_file,
        "shown": shown,
        "packs": packs,
        "access_log": warehouse / "logs" / "access.jsonl",
    }


def test_no_staff_number_in_any_warehouse_text_column(pipeline_run, after_everything) -> None:  # noqa: ANN001
    staff = staff_numbers(pipeline_run)
    con = duckdb.connect(str(after_everything["warehouse"] / "warehouse.duckdb"), read_only=True)
    try:
        con.execute("CREATE TEMP TABLE staff(n VARCHAR)")
        con.executemany("INSERT INTO staff VALUES (?)", [[s] for s in staff])
        columns = con.execute(
            "SELECT table_schema, table_name, column_name FROM information_schema.columns "
            "WHERE data_type = 'VARCHAR' AND table_catalog <> 'temp'"
        ).fetchall()
        assert len(columns) > 20
        hits = []
        for schema, table, column in columns:
            n = con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}" t JOIN staff s ON position(s.n IN t."{column}") > 0'
            ).fetchone()[0]
            if n:
                hits.append((schema, table, column, n))
    finally:
        con.close()
    assert not hits, f"raw staff numbers in the warehouse: {hits}"


def test_no_staff_number_in_exports_downloads_logs_users_or_dashboard(pipeline_run, after_everything) -> None:  # noqa: ANN001
    staff = staff_numbers(pipeline_run)
    scanned: dict[str, str] = {}
    for pack_dir in after_everything["exports"].values():
        files = sorted(pack_dir.iterdir())
        assert {p.suffix for p in files} == {".csv", ".xlsx", ".parquet"}
        scanned.update({str(p): file_text(p) for p in files})
    scanned.update({f"download {name}": text for name, text in after_everything["packs"]})
    scanned["access log"] = after_everything["access_log"].read_text()
    scanned["users file"] = after_everything["users_file"].read_text()
    scanned.update({f"dashboard render {i}": text for i, text in enumerate(after_everything["shown"])})

    # The scan can see: the record failures really are in there, and the log has the downloads.
    assert any("record_failures" in name and "division-E" in name for name in scanned)
    assert '"event": "download"' in scanned["access log"]
    assert sum(len(t) for t in scanned.values()) > 100_000

    hits = {where: found_in(text, staff)[:5] for where, text in scanned.items() if found_in(text, staff)}
    assert not hits, f"raw staff numbers found: {hits}"

"""Files of one layout are read into landing in one scan (scrs/ingest/landing.py `_read_group`): the landing
rows, their order, `landing.files` and the faults are exactly what reading each file alone gives, with good
and bad files mixed in one batch."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

import scrs.ingest.landing as landing_module
from scrs.ingest import discover_new_files, read_into_landing
from tests.extract_factory import crime, numbered, write_crimes

KEY = "bulk-key"


def _batch(root: Path) -> Path:
    landing = root / "landing"
    good = [numbered(crime, 30, "crime_id", f"CR/G/{m}{{:05d}}/21") for m in range(3)]
    for i, rows in enumerate(good):
        write_crimes(landing / f"crimes_2021_0{i + 1}.csv", rows)
    # a truncated last line (too few fields): rejected rows, the whole file kept out of landing
    ragged = landing / "crimes_2021_04.csv"
    write_crimes(ragged, numbered(crime, 5, "crime_id", "CR/G/4{:05d}/21"))
    ragged.write_bytes(ragged.read_bytes() + b"CR/G/499999/21,PS-1,G\n")
    # a quoted line break: physical lines are not one per row, so this file is numbered on its own
    write_crimes(
        landing / "crimes_2021_05.csv",
        [crime(crime_id="CR/G/500001/21", no_crime_reason="two\nlines"), crime(crime_id="CR/G/500002/21")],
    )
    # another column order: a layout of its own
    write_crimes(
        landing / "crimes_2021_06.csv",
        numbered(crime, 4, "crime_id", "CR/G/6{:05d}/21"),
        column_order=list(reversed(list(crime().keys()))),
    )
    return landing


def _read(landing: Path, monkeypatch: pytest.MonkeyPatch, bulk: bool):
    if not bulk:
        monkeypatch.setattr(landing_module, "_read_group", lambda con, group, reading, faults: [f for f, *_ in group])
    con = duckdb.connect()
    files = discover_new_files(con, landing, "crimes")
    faults = read_into_landing(con, files, "crimes", pseudonym_key=KEY)
    rows = con.execute("select * from landing.crimes").fetchall()
    manifest = con.execute("select * exclude (read_at) from landing.files order by file_name").fetchall()
    con.close()
    return rows, manifest, sorted((f.file, f.check, f.count, tuple(f.line_numbers)) for f in faults)


def test_one_scan_per_layout_gives_what_reading_each_file_gives(tmp_path: Path, monkeypatch) -> None:
    landing = _batch(tmp_path)
    bulk = _read(landing, monkeypatch, bulk=True)
    with monkeypatch.context() as m:
        alone = _read(landing, m, bulk=False)
    assert bulk == alone
    rows, manifest, faults = bulk
    assert {r[0] for r in manifest if r[8]} == {f"crimes_2021_0{i}.csv" for i in (1, 2, 3, 5, 6)}
    assert [f[:2] for f in faults] == [("crimes_2021_04.csv", "row_field_count_matches_header")]
    assert len(rows) == 3 * 30 + 2 + 4


def test_files_already_loaded_are_not_read_again_unless_changed(tmp_path: Path, monkeypatch) -> None:
    """Ingest takes each file's checksum from the cache the nothing-new check keeps (scrs.freshness), so a run
    reads only files new or changed since they were hashed (name, size, inode or mtime); what it finds new is
    what hashing every file finds."""
    import scrs.freshness as freshness
    from scrs.settings import Settings

    landing = tmp_path / "landing"
    for month in (1, 2, 3):
        write_crimes(landing / f"crimes_2021_0{month}.csv", numbered(crime, 5, "crime_id", f"CR/G/{month}{{:05d}}/21"))
    settings = Settings.from_env(landing, tmp_path / "warehouse")
    con = duckdb.connect()
    first = discover_new_files(con, landing, "crimes")  # no cache: every file hashed here
    read_into_landing(con, first[:2], "crimes", pseudonym_key=KEY)
    con.execute(
        "insert into raw.load_registry "
        "select file_name, 'crimes', checksum_sha256, 5, now(), 'run-1' from landing.files"
    )
    files = sorted(landing.glob("crimes_*.csv"))
    freshness.landing_checksums(settings, files)  # the cache, as the run that loaded them left it
    hashed: list[str] = []
    real_hash = landing_module.sha256_file
    monkeypatch.setattr(freshness, "sha256_file", lambda path: hashed.append(path.name) or real_hash(path))
    monkeypatch.setattr(landing_module, "sha256_file", lambda path: hashed.append(path.name) or real_hash(path))

    def discover() -> list[str]:
        checksums = {path.name: checksum for path, checksum in freshness.landing_checksums(settings, files).items()}
        return [f.name for f in discover_new_files(con, landing, "crimes", checksums)]

    assert discover() == ["crimes_2021_03.csv"]
    assert hashed == [], "every checksum came from the cache"
    assert [f.name for f in discover_new_files(con, landing, "crimes")] == ["crimes_2021_03.csv"]
    assert len(hashed) == 3, "the same answer as hashing every file"
    changed = landing / "crimes_2021_01.csv"  # corrected in place: new content, new size and mtime
    changed.write_bytes(changed.read_bytes() + b"CR/G/199999/21,PS-1,G\n")
    hashed.clear()
    assert discover() == ["crimes_2021_01.csv", "crimes_2021_03.csv"]
    assert hashed == ["crimes_2021_01.csv"], "only the changed file is read again"

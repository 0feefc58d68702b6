"""The standby copy of the publication (scrs/publish.py `make_standby`): made by the resident runner after each
run, taken by the next run's `prepare_build` instead of copying the served file at its start, and only while
the served file is the one it was copied from. A standby that is stale, or cut short before its base file was
written, is discarded and never built on."""

from __future__ import annotations

import filecmp
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from scrs.publish import discard_build, make_standby, prepare_build, served_signature
from scrs.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    (tmp_path / "landing").mkdir()
    return Settings.from_env(tmp_path / "landing", tmp_path / "warehouse")


def publish(settings: Settings, value: str) -> None:
    """A publication holding `value`, swapped onto the served path as `publish_build` does."""
    settings.warehouse_dir.mkdir(parents=True, exist_ok=True)
    new = settings.warehouse_dir / "new.duckdb"
    with duckdb.connect(str(new)) as con:
        con.execute("create table t as select ?::varchar as v, range as n from range(50000)", [value])
    os.replace(new, settings.served_db)


def built_value(path: Path) -> str:
    with duckdb.connect(str(path), read_only=True) as con:
        return con.execute("select any_value(v) from t").fetchone()[0]


def standby_files(settings: Settings) -> list[str]:
    folder = settings.warehouse_dir / ".standby"
    return sorted(p.name for p in folder.iterdir()) if folder.exists() else []


def test_the_next_run_builds_on_the_standby_a_copy_of_the_served_file(settings: Settings) -> None:
    publish(settings, "first")
    assert make_standby(settings) is not None
    assert standby_files(settings) == ["publication.base", "publication.duckdb"]
    assert make_standby(settings) is None  # already there for this publication: not copied twice
    standby = settings.warehouse_dir / ".standby" / "publication.duckdb"
    assert filecmp.cmp(standby, settings.served_db, shallow=False)
    standby_inode = standby.stat().st_ino

    info = prepare_build(settings, "run-1")

    assert info.path.stat().st_ino == standby_inode  # taken, not copied again
    assert info.base_signature == served_signature(settings)
    assert built_value(info.path) == "first"
    assert standby_files(settings) == []
    discard_build(settings, "run-1")


def test_a_standby_of_an_earlier_publication_is_discarded(settings: Settings) -> None:
    publish(settings, "first")
    make_standby(settings)
    publish(settings, "second")  # published since: the standby is a copy of the old file

    info = prepare_build(settings, "run-2")

    assert built_value(info.path) == "second"
    assert standby_files(settings) == []
    discard_build(settings, "run-2")


def test_a_standby_cut_short_before_its_base_file_is_never_taken(settings: Settings) -> None:
    publish(settings, "first")
    make_standby(settings)
    standby = settings.warehouse_dir / ".standby" / "publication.duckdb"
    (settings.warehouse_dir / ".standby" / "publication.base").unlink()  # killed between the rename and the base
    with duckdb.connect(str(standby)) as con:  # and whatever it holds is not to be trusted
        con.execute("update t set v = 'torn'")

    info = prepare_build(settings, "run-3")

    assert built_value(info.path) == "first"
    assert standby_files(settings) == []
    discard_build(settings, "run-3")


def test_no_standby_is_made_while_a_run_holds_the_warehouse(settings: Settings) -> None:
    publish(settings, "first")
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import fcntl, sys, time; f = open(sys.argv[1], 'a+'); fcntl.flock(f, fcntl.LOCK_EX); "
            "print('held', flush=True); time.sleep(60)",
            str(settings.run_lock),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        assert make_standby(settings) is None
        assert standby_files(settings) == []
    finally:
        holder.kill()
        holder.wait()
    assert make_standby(settings) is not None  # once the run has let go


def test_a_copy_that_fails_leaves_nothing_behind(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    publish(settings, "first")

    def disk_full(src: Path, dst: Path) -> str:
        dst.write_bytes(src.read_bytes()[:4096])  # part of it written, then the disk is full
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("scrs.publish.clone_or_copy", disk_full)
    with pytest.raises(OSError, match="No space left"):
        make_standby(settings)
    assert standby_files(settings) == []

"""scrs.db: the one DuckDB helper (connect with the project's settings, one value, rows, table exists)."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from scrs import db


@pytest.fixture
def con(tmp_path: Path):
    c = db.connect(tmp_path / "t.duckdb")
    c.execute("create schema s")
    c.execute("create table s.facts as select range as n, range * 2 as twice from range(5)")
    c.execute("create view s.facts_view as select * from s.facts")
    yield c
    c.close()


def test_connect_applies_the_memory_limit_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("SCRS_DUCKDB_MEMORY_LIMIT", "300MB")
    with db.connect(tmp_path / "a.duckdb") as c:
        # 300 MB = 300e6 bytes = 286.1 MiB, as DuckDB reports it.
        assert db.value(c, "select current_setting('memory_limit')") == "286.1 MiB"
    monkeypatch.delenv("SCRS_DUCKDB_MEMORY_LIMIT")
    with db.connect(tmp_path / "a.duckdb", read_only=True) as c:
        # The default, 2 GB = 2e9 bytes = 1.8626 GiB.
        assert db.value(c, "select current_setting('memory_limit')") == "1.8 GiB"


def test_read_only_connection_refuses_writes(con, tmp_path):
    con.close()
    with db.connect(tmp_path / "t.duckdb", read_only=True) as ro:
        assert db.value(ro, "select count(*) from s.facts") == 5
        with pytest.raises(duckdb.InvalidInputException, match="read-only"):
            ro.execute("create table s.other (x int)")


def test_connect_beside_a_plain_connection_to_the_same_file(con, tmp_path):
    """DuckDB refuses a second connection with a different config: the helper's settings must not clash."""
    con.close()
    path = tmp_path / "t.duckdb"
    with duckdb.connect(str(path), read_only=True) as plain, db.connect(path, read_only=True) as ours:
        assert db.value(ours, "select count(*) from s.facts") == db.value(plain, "select count(*) from s.facts")


def test_read_only_on_a_missing_file_fails_rather_than_creating_it(tmp_path):
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(duckdb.IOException):
        db.connect(missing, read_only=True)
    assert not missing.exists()


def test_value_first_column_of_first_row_or_none(con):
    assert db.value(con, "select sum(twice) from s.facts") == 20  # 2 * (0+1+2+3+4)
    assert db.value(con, "select n, twice from s.facts where n = ?", [3]) == 3
    assert db.value(con, "select n from s.facts where n > $m", {"m": 99}) is None


def test_rows_are_dicts_in_query_order(con):
    assert db.rows(con, "select twice, n from s.facts where n >= ? order by n desc", [3]) == [
        {"twice": 8, "n": 4},
        {"twice": 6, "n": 3},
    ]
    assert db.rows(con, "select n from s.facts where false") == []


def test_run_fetches_everything_so_the_connection_is_free_for_the_next_statement(con):
    big = db.run(con, "select range from range(300000)")
    assert len(big) == 300000 and big[-1] == (299999,)
    assert db.run(con, "create table s.more (x int)") == []
    assert db.value(con, "select count(*) from s.more") == 0


def test_table_exists_tables_and_views_in_this_database_only(con, tmp_path):
    assert db.table_exists(con, "s", "facts")
    assert db.table_exists(con, "s", "facts_view")
    assert not db.table_exists(con, "s", "nothing")
    assert not db.table_exists(con, "main", "facts")  # right name, wrong schema
    con.execute("create temp table lonely (x int)")
    assert not db.table_exists(con, "main", "lonely")  # temporary: not part of the file
    con.execute(f"attach '{tmp_path / 'other.duckdb'}' as other")
    con.execute("create table other.main.elsewhere (x int)")
    assert not db.table_exists(con, "main", "elsewhere")

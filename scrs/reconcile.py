"""Reconciliation of the review store with each run's failing records (docs/worklist.md).

At each run, in the run's private build, after dbt has built `marts.record_failures` and at publication:
- a failing record the store has never seen is added as `open`, first seen failing on the run's extract date;
- a record marked `rectified` that still fails, when an incidents or crimes extract was loaded after it was
  marked, becomes `still_failing`;
- a record that no longer fails becomes `resolved` on the run's extract date, whatever its state;
- a `resolved` record that fails again is reopened (`open`, first seen again on this run's extract date).

**The run's extract date** (`as_of`) is the date of the latest `extracted_at` among the incidents and
crimes loaded so far: the date of the data the publication describes, not the day the pipeline happened to
run. First-seen and resolved dates and ages are in extract dates, so rerunning the same extracts (or a full
rebuild) gives the same dates.

The store is written in one transaction that commits only after the build has been published
(`reconciliation`, used by the publish step): a run that fails to publish changes nothing. The store's state
is copied into the build as schema `review` (`review.review_state`, `review.reconciliation`) so that the
worklist marts (views) can join it and the published file carries the state it was published with.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa

from scrs import db
from scrs.reviews import STATES, STORE_SEQ_SQL, SYSTEM_ACTOR, ReviewStore, transaction, utc_now_text

SNAPSHOT_SQL = """
select s.test_code, s.record_id, s.division_code, s.state, s.note, s.updated_at, s.first_seen_failing,
       s.first_seen_run, s.resolved_on, s.version,
       (select h.to_state from review_history h
         where h.test_code = s.test_code and h.record_id = s.record_id and h.to_state in ('upheld', 'overturned')
         order by h.seq desc limit 1) as dispute_outcome,
       s.changed_seq
from review_state s
where s.changed_seq > ?
"""
SNAPSHOT_COLUMNS = (
    "test_code",
    "record_id",
    "division_code",
    "state",
    "note",
    "updated_at",
    "first_seen_failing",
    "first_seen_run",
    "resolved_on",
    "version",
    "dispute_outcome",
    "changed_seq",
)
SNAPSHOT_TYPES = {
    "updated_at": "timestamp",
    "first_seen_failing": "date",
    "resolved_on": "date",
    "version": "bigint",
    "changed_seq": "bigint",
}
INTEGER_COLUMNS = frozenset({"version", "changed_seq"})
SNAPSHOT_ARROW = pa.struct([(c, pa.int64() if c in INTEGER_COLUMNS else pa.string()) for c in SNAPSHOT_COLUMNS])
# Records read from or written to the store at a time: a national store of ten years holds 1.4 million, and
# holding them all as Python objects at once would cost about a gigabyte (the peak memory target is 3 GB).
STORE_BATCH = 100_000
# How many records the store holds and the sum of their change numbers: a copy whose fingerprint differs from
# the store's (a store restored from a backup, edited by hand) is not trusted, and the whole store is read.
FINGERPRINT_SQL = "select count(*), coalesce(sum(changed_seq), 0) from {table}"


@dataclass(frozen=True)
class Reconciliation:
    run_id: str
    as_of: date | None
    failing: int
    new: int
    still_failing: int
    resolved: int
    reopened: int
    store_read: str = ""  # how the store was read (_load_store_state)

    def describe(self) -> str:
        return (
            f"reviews reconciled as of {self.as_of or 'no extract'}: {self.failing:,} failing "
            f"({self.new:,} new, {self.reopened:,} reopened), {self.still_failing:,} still failing after "
            f"rectification, {self.resolved:,} resolved (store read: {self.store_read})"
        )


def extract_date(con: duckdb.DuckDBPyConnection) -> date | None:
    """The run's extract date: the latest `extracted_at` of the incidents and crimes loaded, as a date."""
    parts = [
        f"select max(extracted_at) as latest from raw.{t}"
        for t in ("incidents", "crimes")
        if db.table_exists(con, "raw", t)
    ]
    if not parts:
        return None
    return db.value(con, f"select max(latest)::date from ({' union all '.join(parts)})")


def latest_extract_load(con: duckdb.DuckDBPyConnection):  # noqa: ANN201 (datetime | None)
    """When the latest incidents or crimes file was loaded (UTC): a mark made before it has seen a new extract."""
    if not db.table_exists(con, "raw", "load_registry"):
        return None
    return db.value(con, "select max(loaded_at) from raw.load_registry where extract_kind in ('incidents', 'crimes')")


def _store_rows_into(
    store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection, name: str, changed_after: int = -1
) -> int:
    """The store's rows changed after change number `changed_after` (every row by default), with each
    record's last dispute outcome, as a typed DuckDB temp table; returns how many."""
    cursor = store_con.cursor()
    cursor.row_factory = None  # plain tuples: sqlite3.Row objects cost a third more over a national store
    cursor.execute(SNAPSHOT_SQL, [changed_after])
    # Into Arrow a batch of tuples at a time, each as one array of structs: all the tuples of a national store
    # of ten years (1.4 million records) held at once took 1 GB more than the Arrow copy, and transposing them
    # into columns in Python first took 2.5 s against 0.7 s.
    batches = []
    while rows := cursor.fetchmany(STORE_BATCH):
        batches.append(pa.RecordBatch.from_struct_array(pa.array(rows, type=SNAPSHOT_ARROW)))
    arrow = pa.Table.from_batches(batches, schema=pa.schema(list(SNAPSHOT_ARROW)))
    con.register("store_rows_arrow", arrow)
    select = ", ".join(
        f"cast({c} as {SNAPSHOT_TYPES[c]}) as {c}" if c in SNAPSHOT_TYPES else c for c in SNAPSHOT_COLUMNS
    )
    con.execute(f"create or replace temp table {name} as select {select} from store_rows_arrow")
    con.unregister("store_rows_arrow")
    return arrow.num_rows


def _write_snapshot_table(
    con: duckdb.DuckDBPyConnection, source: str, run_id: str, as_of: date | None, store_seq: int
) -> None:
    """`source` (a DuckDB table of SNAPSHOT_COLUMNS) as the build's schema `review`, what the worklist marts join;
    `store_seq` is the store's change number it is a copy at."""
    con.execute("create schema if not exists review")
    con.execute(f"create or replace table review.review_state as select * from {source} order by all")
    _write_reconciliation_row(con, run_id, as_of, store_seq)


def _write_reconciliation_row(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: date | None, store_seq: int | None
) -> None:
    con.execute("create schema if not exists review")
    con.execute(
        "create or replace table review.reconciliation as "
        "select ?::varchar as run_id, ?::date as as_of, ?::timestamp as snapshot_at, ?::bigint as store_seq",
        [run_id, as_of, utc_now_text(), store_seq],
    )


def _copy_seq(con: duckdb.DuckDBPyConnection) -> int | None:
    """The store's change number the build's copy of the store is at, or None without a usable copy (none, or
    one made before change tracking)."""
    if "store_seq" not in db.column_names(con, "review", "reconciliation"):
        return None
    if "changed_seq" not in db.column_names(con, "review", "review_state"):
        return None
    return db.value(con, "select max(store_seq) from review.reconciliation")


def write_snapshot(
    store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection, run_id: str, as_of: date | None
) -> None:
    """Copy the whole store into the build as schema `review` (what the worklist marts join)."""
    store_seq = store_con.execute(STORE_SEQ_SQL).fetchone()[0]
    _store_rows_into(store_con, con, "review_snapshot")
    _write_snapshot_table(con, "review_snapshot", run_id, as_of, store_seq)
    con.execute("drop table review_snapshot")


def snapshot_into_build(store: ReviewStore, build_path: Path, run_id: str) -> date | None:
    """Before dbt: the review copy the worklist marts (views) need to be built and tested.

    The build starts as a copy of the served file, which carries the store as reconciled at the last
    publication: that copy is kept (only the run and its extract date are new), since reading the whole store
    costs about 3 s for a national store of ten years (1.4 million records) and the copy is replaced at
    publication anyway, by the store as reconciled with this run (`reconcile`). Reviews made since the last
    publication are therefore not in the copy dbt's tests see, only in what is published. A build without a
    copy (the first run, a warehouse folder restored empty) gets the store as it is now."""
    con = db.connect(build_path)
    try:
        as_of = extract_date(con)
        copy_seq = _copy_seq(con)
        if copy_seq is not None:
            _write_reconciliation_row(con, run_id, as_of, copy_seq)
        else:
            with store.connection() as store_con:
                write_snapshot(store_con, con, run_id, as_of)
    finally:
        con.close()
    return as_of


RECONCILE_SQL = """
create or replace temp table reconciled as
with

-- one row per failing record: (test_code, record_id) is unique in record_failures (its rules test, which
-- blocks the publication; grouping here again cost 0.2 s of a month at ten years, national volume)
failing as (
    select test_code, record_id, division_code
    from marts.record_failures
),

joined as (
    select
        coalesce(failing.test_code, stored.test_code) as test_code,
        coalesce(failing.record_id, stored.record_id) as record_id,
        coalesce(failing.division_code, stored.division_code) as division_code,
        failing.record_id is not null as is_failing,
        stored.record_id is not null as is_known,
        stored.state,
        stored.updated_at,
        stored.first_seen_failing,
        stored.division_code as stored_division_code
    from failing
    full outer join review.review_state as stored
        on failing.test_code = stored.test_code and failing.record_id = stored.record_id
)

select
    *,
    case
        when is_failing and not is_known then 'new'
        when is_failing and state = 'resolved' then 'reopened'
        when is_failing and state = 'rectified' and $latest_load is not null and $latest_load > updated_at
            then 'still_failing'
        when not is_failing and state <> 'resolved' then 'resolved'
        when is_failing and (first_seen_failing is null or stored_division_code <> division_code) then 'fill'
    end as change
from joined
"""


def _load_store_state(
    store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection, run_id: str, as_of: date | None
) -> str:
    """Bring the build's copy of the store (`review.review_state`) up to the store as it is now (the caller holds
    its transaction); returns how it was read. The copy (the store as reconciled at the last publication) with
    the records changed since then replaced in place, when that gives the store's fingerprint; otherwise the
    whole store (about 3 s for 1.4 million records)."""
    changed = changes_since_copy(store_con, con, "store_changed")
    if changed is not None:
        _replace_records(con, "review.review_state", "store_changed")
        con.execute("drop table store_changed")
        return f"the build's copy and {changed:,} record(s) changed since"
    write_snapshot(store_con, con, run_id, as_of)
    return "the whole store"


def _replace_records(con: duckdb.DuckDBPyConnection, table: str, changed: str) -> None:
    """Every record of `changed` replacing (or added to) its own in `table`, in place: a month changes a few
    thousand of a national store's million records, and copying the whole copy (three times per run, with a
    sort) cost about 1.5 s at ten years."""
    con.execute(
        f"""
        delete from {table} as kept
        where exists (
            select 1 from {changed} where {changed}.test_code = kept.test_code and {changed}.record_id = kept.record_id
        )
        """
    )
    con.execute(f"insert into {table} by name select * from {changed}")


def changes_since_copy(store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection, name: str) -> int | None:
    """The store's records changed since the copy of it that `con`'s file carries (schema `review`: the store as
    reconciled at that file's publication), as the temp table `name`; returns how many. None, and no table,
    when that copy with those changes would not be the store as it is now (its fingerprint differs): no
    usable copy, or a store restored from a backup or edited by hand. The caller holds one transaction on the
    store for a consistent read."""
    copy_seq = _copy_seq(con)
    if copy_seq is None:
        return None
    changed = _store_rows_into(store_con, con, name, changed_after=copy_seq)
    merged = f"""(
        select changed_seq from review.review_state as kept
        where not exists (
            select 1 from {name} as changed
            where changed.test_code = kept.test_code and changed.record_id = kept.record_id
        )
        union all
        select changed_seq from {name}
    )"""
    store_fingerprint = tuple(store_con.execute(FINGERPRINT_SQL.format(table="review_state")).fetchone())
    if tuple(db.run(con, FINGERPRINT_SQL.format(table=merged))[0]) != store_fingerprint:
        con.execute(f"drop table {name}")
        return None
    return changed


class UnknownReviewState(ValueError):
    """The store holds records in a state this version does not know (a hand edit, or a newer version's
    store): publishing them would put states on the worklist that no page or rule handles."""


def _refuse_unknown_states(con: duckdb.DuckDBPyConnection) -> None:
    """The rule dbt's `stg_review__states_rules` applies to the copy before dbt (keys present, every state one
    of the seed `review_states`, which are `scrs.reviews.STATES`), applied to the store as it is about to be
    published: reviews made since the last publication never reach dbt's copy (snapshot_into_build)."""
    broken = db.run(
        con,
        """
        select coalesce(state, '(none)'), count(*), min(test_code || ' ' || record_id)
        from review.review_state
        where test_code is null or record_id is null or state is null
           or not list_contains(?, state)
        group by all
        order by all
        """,
        [list(STATES)],
    )
    if broken:
        what = "; ".join(f"{state!r}: {n:,} record(s), e.g. {example}" for state, n, example in broken)
        raise UnknownReviewState(
            f"the review store holds records in a state this version does not know ({what}); "
            "nothing was published: correct them in the store (docs/worklist.md) and run again"
        )


def reconcile(store_con: sqlite3.Connection, con: duckdb.DuckDBPyConnection, run_id: str) -> Reconciliation:
    """Bring the store up to this build's failing records (the caller holds the store's transaction), then
    copy it into the build as schema `review`. Refuses (UnknownReviewState) a store with states this version
    does not know, before writing anything."""
    as_of = extract_date(con)
    store_read = _load_store_state(store_con, con, run_id, as_of)
    _refuse_unknown_states(con)
    seq_before = store_con.execute(STORE_SEQ_SQL).fetchone()[0]
    con.execute(RECONCILE_SQL, {"latest_load": latest_extract_load(con)})
    now = utc_now_text()
    as_of_text = as_of.isoformat() if as_of else None

    def rows(change: str, columns: str) -> list[tuple]:
        return con.execute(f"select {columns} from reconciled where change = ? order by all", [change]).fetchall()

    # The new records as JSON arrays made by DuckDB (in the order `rows` gives, STORE_BATCH to an array),
    # each inserted by one statement, not bound one by one: a first build adds every failing record, 112,000 a
    # national year (0.44 s one by one, 0.27 s so) and 1.4 million over ten years. (SQLite's JSON functions are
    # built in from 3.38; docs/operations.md asks for it.)
    new_count = 0
    batches = con.execute(
        """
        select to_json(list([test_code, record_id, division_code] order by test_code, record_id)), count(*)
        from (
            select test_code, record_id, division_code,
                   (row_number() over (order by test_code, record_id) - 1) // $batch as batch
            from reconciled
            where change = 'new'
        )
        group by batch
        order by batch
        """,
        {"batch": STORE_BATCH},
    )
    while batch := batches.fetchone():  # one array at a time (the next is made as it is fetched)
        new_records, count = batch
        store_con.execute(
            "insert into review_state (test_code, record_id, division_code, state, first_seen_failing, "
            "first_seen_run, version) "
            "select json_extract(value, '$[0]'), json_extract(value, '$[1]'), json_extract(value, '$[2]'), "
            "'open', ?, ?, 0 from json_each(?) order by key",
            [as_of_text, run_id, new_records],
        )
        new_count += count
    fill = rows("fill", "test_code, record_id, division_code")
    store_con.executemany(
        "update review_state set division_code = ?, first_seen_failing = coalesce(first_seen_failing, ?), "
        "first_seen_run = coalesce(first_seen_run, ?) where test_code = ? and record_id = ?",
        [(division, as_of_text, run_id, test, record) for test, record, division in fill],
    )
    counts = {}
    for change, to_state, extra in (
        ("reopened", "open", ", first_seen_failing = ?, first_seen_run = ?, resolved_on = null"),
        ("still_failing", "still_failing", ""),
        ("resolved", "resolved", ", resolved_on = ?"),
    ):
        changed = rows(change, "test_code, record_id, division_code, state")
        counts[change] = len(changed)
        extra_params = {"reopened": (as_of_text, run_id), "resolved": (as_of_text,)}.get(change, ())
        store_con.executemany(
            f"update review_state set state = ?, updated_by = ?, updated_at = ?, division_code = ?, "
            f"version = version + 1{extra} where test_code = ? and record_id = ?",
            [
                (to_state, SYSTEM_ACTOR, now, division, *extra_params, test, record)
                for test, record, division, _ in changed
            ],
        )
        store_con.executemany(
            "insert into review_history (test_code, record_id, division_code, at, actor, actor_role, from_state, "
            "to_state, note, run_id) values (?, ?, ?, ?, ?, 'system', ?, ?, null, ?)",
            [
                (test, record, division, now, SYSTEM_ACTOR, state, to_state, run_id)
                for test, record, division, state in changed
            ],
        )
    failing = db.value(con, "select count(*) from reconciled where is_failing")
    summary = Reconciliation(
        run_id, as_of, failing, new_count, counts["still_failing"], counts["resolved"], counts["reopened"], store_read
    )
    store_con.execute(
        "insert or replace into reconciliations values (?, ?, ?, ?, ?, ?, ?, ?)",
        [run_id, now, as_of_text, failing, summary.new, summary.still_failing, summary.resolved, summary.reopened],
    )
    # The copy published: the store as read, with the records this reconciliation wrote read back (within the
    # transaction, so exactly as they will be committed).
    _store_rows_into(store_con, con, "store_written", changed_after=seq_before)
    _replace_records(con, "review.review_state", "store_written")
    _write_reconciliation_row(con, run_id, as_of, store_con.execute(STORE_SEQ_SQL).fetchone()[0])
    for table in ("store_written", "reconciled"):
        con.execute(f"drop table {table}")
    return summary


@contextmanager
def reconciliation(store: ReviewStore, build_path: Path, run_id: str) -> Iterator[Reconciliation]:
    """Reconcile the store with the build, inside one store transaction that commits only if the body (the
    publication of the build) succeeds. The build's DuckDB connection is closed before the body runs."""
    with store.connection() as store_con, transaction(store_con):
        con = db.connect(build_path)
        try:
            summary = reconcile(store_con, con, run_id)
            con.execute("checkpoint")
        finally:
            con.close()
        yield summary

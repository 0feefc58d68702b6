"""A division's worklist as of now: the published `marts.worklist` with each record's review state as the
review store holds it at this moment (a state marked after the publication shows at once).

Used by `scrs export --division` and the dashboard's Worklist page, so both show the same rows, words and
states. Record level: callers pass one division (the export) or check the viewer first (the dashboard).
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from scrs.reconcile import changes_since_copy
from scrs.reviews import ReviewStore

LIVE_STATES = "live_review_states"

WORKLIST_SQL = f"""
select worklist.* replace (
    coalesce(live.state, worklist.review_state) as review_state,
    coalesce(state_words.state_words, worklist.review_state_words) as review_state_words,
    case when live.state is null then worklist.review_note else live.note end as review_note,
    coalesce(try_cast(live.updated_at as timestamp), worklist.review_updated_at) as review_updated_at
)
from marts.worklist as worklist
left join {LIVE_STATES} as live
    on worklist.test_code = live.test_code and worklist.record_id = live.record_id
left join reference.review_states as state_words
    on live.state = state_words.review_state
"""


def has_worklist(con: duckdb.DuckDBPyConnection) -> bool:
    """Publications made before the worklist existed have no `marts.worklist`."""
    return bool(
        con.execute(
            "select count(*) from duckdb_views() where schema_name = 'marts' and view_name = 'worklist'"
        ).fetchall()[0][0]
    )


def load_live_states(con: duckdb.DuckDBPyConnection, store: ReviewStore, division_code: str | None) -> int | None:
    """The store's current states (one division's, or all) as the temp table `live_review_states`, for
    `WORKLIST_SQL` to lay over the published states.

    Only the records changed since the publication, when the publication's copy of the store (which
    `marts.worklist` already shows) with those changes is the store as it is now (`changes_since_copy`):
    for every other record the published state is the store's, and reading a division's every state costs
    over a second at ten years, national volume (0.3 million). Otherwise (a publication without a copy, a
    store restored or edited by hand) every state of the division. Returns how many changed records were
    read, or None when every state was."""
    with store.connection() as store_con:
        store_con.execute("begin")  # one snapshot of the store for the changes and its fingerprint
        try:
            changed = changes_since_copy(store_con, con, "store_changed")
        finally:
            store_con.execute("rollback")  # read only
    if changed is not None:
        con.execute(
            f"create or replace temp table {LIVE_STATES} as select test_code, record_id, state, note, "
            "updated_at::varchar as updated_at from store_changed where ?::varchar is null or division_code = ?",
            [division_code, division_code],
        )
        con.execute("drop table store_changed")
        return changed
    states = store.states(division_code)[["test_code", "record_id", "state", "note", "updated_at"]]
    con.register("live_states_frame", states)
    con.execute(
        f"create or replace temp table {LIVE_STATES} as select test_code::varchar as test_code, "
        "record_id::varchar as record_id, state::varchar as state, note::varchar as note, "
        "updated_at::varchar as updated_at from live_states_frame"
    )
    con.unregister("live_states_frame")
    return None


# The unit a crime manager files a record under: the crime's recording unit, else the incident's closing unit.
UNIT_SQL = "coalesce(recording_unit, closing_unit, 'UNKNOWN')"

# The orders the Worklist page offers, by name; the SQL is fixed here, never made from what a user sent.
WORKLIST_ORDERS: dict[str, str] = {
    "priority": "priority_rank",
    "oldest": "age_days desc, priority_rank",
    "newest": "age_days, priority_rank",
    "event_date": "event_date, priority_rank",
}


@dataclass(frozen=True)
class WorklistFilter:
    """What the Worklist page narrows a division's failing records to; an empty field keeps every record.

    Applied in SQL (`filtered_worklist_query`): at ten years, national volume, the largest division has about
    0.3 million failing records, too many to read into the page on every click and filter there."""

    fiscal_year: str | None = None
    fiscal_quarter: int | None = None  # only with a fiscal_year
    test_names: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()  # reasons in words: a record failing for any of them
    units: tuple[str, ...] = ()  # unit codes, as UNIT_SQL gives them
    states: tuple[str, ...] = ()  # review states (scrs.reviews.STATES), as the store holds them now

    def conditions(self) -> tuple[list[str], list[object]]:
        """SQL conditions on the worklist's columns, each a fixed text with `?` for its value."""
        sql: list[str] = []
        params: list[object] = []
        if self.fiscal_year is not None:
            sql.append("fiscal_year = ?")
            params.append(self.fiscal_year)
            if self.fiscal_quarter is not None:
                sql.append("fiscal_quarter = ?")
                params.append(int(self.fiscal_quarter))
        for values, condition in (
            (self.test_names, "list_contains(?::varchar[], test_name)"),
            (self.reasons, "list_has_any(string_split(reasons_in_words, '; '), ?::varchar[])"),
            (self.units, f"list_contains(?::varchar[], {UNIT_SQL})"),
            (self.states, "list_contains(?::varchar[], review_state)"),
        ):
            if values:
                sql.append(condition)
                params.append(list(values))
        return sql, params


def _kept(division_code: str, filters: WorklistFilter) -> tuple[str, tuple[object, ...]]:
    """The division's records as of now (`load_live_states`) that `filters` keeps, as a subquery."""
    conditions, params = filters.conditions()
    where = f"where {' and '.join(conditions)}" if conditions else ""
    return f"(select * from ({WORKLIST_SQL} where worklist.division_code = ?) as worklist {where})", (
        division_code,
        *params,
    )


def filtered_worklist_query(
    division_code: str, filters: WorklistFilter | None = None, order: str = "priority", limit: int | None = None
) -> tuple[str, tuple[object, ...]]:
    """The division's records that `filters` keeps (default: all, as `scrs export --division` writes them), in the
    named order (WORKLIST_ORDERS), the first `limit` of them when given (needs `load_live_states` on the same
    connection: the review states are as of now)."""
    kept, params = _kept(division_code, filters or WorklistFilter())
    sql = f"select * from {kept} as worklist order by {WORKLIST_ORDERS[order]}, test_code, record_id"
    if limit is None:
        return sql, params
    return f"{sql} limit ?", (*params, limit)


def worklist_counts_query(division_code: str, filters: WorklistFilter) -> tuple[str, tuple[object, ...]]:
    """How many records `filters` keeps, and of those how many are new since the last publication, still
    failing after rectification and disputed (needs `load_live_states`)."""
    kept, params = _kept(division_code, filters)
    sql = f"""
        select
            count(*) as shown,
            count(*) filter (where is_new_since_last_publication) as new,
            count(*) filter (where review_state = 'still_failing') as still_failing,
            count(*) filter (where review_state = 'disputed') as disputed
        from {kept} as worklist
    """
    return sql, params


def worklist_choices_query(division_code: str) -> tuple[str, tuple[object, ...]]:
    """What the division's records can be filtered on (as published: years, tests and units do not change
    between publications), with its number of failing records."""
    sql = f"""
        select
            -- a division with no failing record: empty lists, not NULL
            coalesce(list(distinct fiscal_year order by fiscal_year desc) filter (where fiscal_year is not null), [])
                as years,
            coalesce(list(distinct test_name order by test_name) filter (where test_name is not null), [])
                as test_names,
            coalesce(list(distinct {UNIT_SQL}), []) as units,
            count(*) as records
        from marts.worklist
        where division_code = ?
    """
    return sql, (division_code,)

"""A division's worklist as of now: the published `marts.worklist` with each record's review state as the
review store holds it at this moment (a state marked after the publication shows at once).

Used by `scrs export --division` and the dashboard's Worklist page, so both show the same rows, words and
states. Record level: callers pass one division (the export) or check the viewer first (the dashboard).
"""

from __future__ import annotations

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


def division_worklist_query(division_code: str) -> tuple[str, tuple[object, ...]]:
    """The division's worklist in priority order (needs `load_live_states` on the same connection)."""
    return f"{WORKLIST_SQL} where worklist.division_code = ? order by worklist.priority_rank", (division_code,)

"""The Worklist page and the Division detail measures (AppTest, real sign-in, a copy of the session's published
warehouse and its review store). Expected rows come from `marts.record_failures` queried here."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest
from streamlit.testing.v1 import AppTest

from scrs import access_log
from scrs.reviews import Person, ReviewStore
from tests.access_helpers import make_users_file, sign_in

REPO_ROOT = Path(__file__).resolve().parent.parent
APP = REPO_ROOT / "streamlit_app" / "app.py"


@pytest.fixture
def env(fresh_pipeline: dict[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict:
    warehouse = fresh_pipeline["warehouse"]
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(warehouse))
    monkeypatch.setenv("SCRS_USERS_FILE", str(make_users_file(tmp_path / "users.json")))
    monkeypatch.delenv("SCRS_STATE_DIR", raising=False)
    store = ReviewStore(warehouse / "state" / "reviews.sqlite", warehouse / "logs" / "access.jsonl")
    return {"warehouse": warehouse, "store": store, "log": warehouse / "logs" / "access.jsonl"}


def failing(warehouse: Path, division: str) -> list[tuple[str, str]]:
    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        return con.execute(
            "select test_code, record_id from marts.record_failures where division_code = ? order by all", [division]
        ).fetchall()


def open_worklist(username: str) -> AppTest:
    at = sign_in(AppTest.from_file(str(APP), default_timeout=90), username)
    at.switch_page("app_pages/worklist.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def log_since(path: Path, start: int, event: str) -> list[dict]:
    return [e for e in access_log.read(path)[start:] if e["event"] == event]


def table(at: AppTest):  # noqa: ANN201
    """The worklist table: the page's first table (the record's history comes after it)."""
    return at.dataframe[0].value


def test_a_division_sees_every_failing_record_of_its_own_and_no_other(env):
    at = open_worklist("division-g")
    rows = table(at)
    expected = failing(env["warehouse"], "G")
    assert len(expected) > 5
    assert sorted(zip(rows["Test"].map(_test_codes()), rows["Record"], strict=True)) == expected
    assert at.selectbox(key="worklist_division").value == "G"
    assert at.selectbox(key="worklist_division").disabled


def _test_codes() -> dict[str, str]:
    import csv

    with (REPO_ROOT / "seeds" / "audit_tests.csv").open() as handle:
        return {row["test_name"]: row["test_code"] for row in csv.DictReader(handle)}


def test_a_division_marks_a_record_rectified_with_a_note(env):
    start = len(access_log.read(env["log"]))
    at = open_worklist("division-g")
    test_code, record_id = at.selectbox(key="worklist_record").value.split("|", 1)
    at.radio(key="worklist_to_state").set_value("rectified")
    at.text_area(key="worklist_note").input("crime record corrected in the crime system")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert not at.exception
    assert any("marked rectified" in s.value for s in at.success), [e.value for e in at.error]
    stored = env["store"].state(test_code, record_id)
    assert (stored["state"], stored["note"], stored["updated_by"]) == (
        "rectified",
        "crime record corrected in the crime system",
        "division-g",
    )
    shown = table(at)
    assert shown.loc[shown["Record"].eq(record_id), "Review state"].tolist() == ["Rectified in the crime system"]
    writes = log_since(env["log"], start, "review_write")
    assert [w["detail"] for w in writes] == [f"{test_code} {record_id}: open -> rectified"]


def test_a_note_naming_an_officer_is_refused_and_nothing_is_stored(env):
    at = open_worklist("division-g")
    test_code, record_id = at.selectbox(key="worklist_record").value.split("|", 1)
    at.radio(key="worklist_to_state").set_value("disputed")
    at.text_area(key="worklist_note").input("PC Smith says it is right")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert any("not saved" in e.value for e in at.error)
    assert "Smith" not in " ".join(e.value for e in at.error)
    assert (env["store"].state(test_code, record_id) or {}).get("state") in (None, "open")


@pytest.mark.parametrize("how", ["session_state", "url"])
def test_another_divisions_worklist_is_refused_and_logged(env, how):
    start = len(access_log.read(env["log"]))
    at = sign_in(AppTest.from_file(str(APP), default_timeout=90), "division-g")
    if how == "url":
        at.query_params["division"] = "E"
        at.switch_page("app_pages/worklist.py").run()
    else:  # a widget value forged in session state before the page draws its division box
        at.session_state["worklist_division"] = "E"
        at.switch_page("app_pages/worklist.py").run()
    assert not at.exception
    e_records = {r for _, r in failing(env["warehouse"], "E")}
    shown = {str(v) for d in at.dataframe for v in d.value.get("Record", [])}
    assert not (shown & e_records)
    denied = log_since(env["log"], start, "access_denied")
    assert any(d["scope"] == "E" and d["user"] == "division-g" for d in denied)


def test_a_division_cannot_write_another_divisions_record_by_direct_call(env):
    from streamlit_app.access.policy import AccessDenied, Viewer
    from streamlit_app.data import worklist as data

    start = len(access_log.read(env["log"]))
    test_code, record_id = failing(env["warehouse"], "E")[0]
    with pytest.raises(AccessDenied):
        data.set_state(Viewer("division", "G", "division-g"), test_code, record_id, "rectified", None, "open")
    with pytest.raises(AccessDenied):
        data.worklist(Viewer("division", "G", "division-g"), "E")
    assert env["store"].state(test_code, record_id)["state"] == "open"  # as reconciled, untouched
    assert env["store"].history(test_code, record_id).empty
    assert len(log_since(env["log"], start, "access_denied")) == 2


def test_the_committee_is_refused_and_logged(env):
    start = len(access_log.read(env["log"]))
    at = open_worklist("committee")
    assert "record-level" in " ".join(w.value for w in at.warning)
    assert not at.dataframe
    assert log_since(env["log"], start, "access_denied")


def test_a_registrar_settles_a_dispute(env):
    test_code, record_id = failing(env["warehouse"], "G")[0]
    served = env["warehouse"] / "warehouse.duckdb"
    env["store"].set_state(
        Person("division-g", "division", "G"), test_code, record_id, "disputed", "rule misreads", served_db=served
    )
    at = open_worklist("registrar")
    at.selectbox(key="worklist_division").set_value("G").run()
    at.selectbox(key="worklist_record").set_value(f"{test_code}|{record_id}").run()
    assert at.radio(key="worklist_to_state").options == [
        "Under review",
        "Dispute settled: failure upheld",
        "Dispute settled: rule error (overturned)",
    ]
    at.radio(key="worklist_to_state").set_value("overturned")
    at.text_area(key="worklist_note").input("agreed by the registrars: a rule error")
    next(b for b in at.button if b.label == "Save").click()
    at.run()
    assert env["store"].state(test_code, record_id)["state"] == "overturned"
    history = env["store"].history(test_code, record_id)
    assert history[["actor", "to_state"]].values.tolist() == [["division-g", "disputed"], ["registrar", "overturned"]]


def test_an_engineer_reads_any_division_but_cannot_write(env):
    at = open_worklist("engineer")
    at.selectbox(key="worklist_division").set_value("E").run()
    assert len(table(at)) == len(failing(env["warehouse"], "E"))
    assert not [b for b in at.button if b.label == "Save"]


def test_division_detail_shows_the_measures(env):
    at = sign_in(AppTest.from_file(str(APP), default_timeout=90), "division-g")
    at.switch_page("app_pages/division_detail.py").run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Open failures"] == f"{len(failing(env['warehouse'], 'G')):,}"
    assert metrics["Rule errors (disputes overturned)"] == "0"
    committee = sign_in(AppTest.from_file(str(APP), default_timeout=90), "committee")
    committee.switch_page("app_pages/division_detail.py").run()
    assert "Open failures" not in {m.label for m in committee.metric}


def test_the_download_is_generated_on_click_with_reasons_state_and_note_and_logged(env):
    """The page's download buttons pass `data.worklist_file` as a callable (run only on click, in the browser);
    here it is called as the click would, and a division's download of another division is refused."""
    import io

    import pandas as pd

    from streamlit_app.access.policy import AccessDenied, Viewer
    from streamlit_app.data import worklist as data

    viewer = Viewer("division", "G", "division-g")
    test_code, record_id = failing(env["warehouse"], "G")[0]
    data.set_state(viewer, test_code, record_id, "under_review", "checking the incident log", "open")
    rows = data.worklist(viewer, "G")
    start = len(access_log.read(env["log"]))
    book = pd.read_excel(io.BytesIO(data.worklist_file(viewer, "G", rows, "xlsx", "w.xlsx")))
    text = pd.read_csv(io.BytesIO(data.worklist_file(viewer, "G", rows, "csv", "w.csv")))
    for frame in (book, text):
        assert len(frame) == len(failing(env["warehouse"], "G"))
        mine = frame[frame["record_id"].eq(record_id) & frame["test_code"].eq(test_code)].iloc[0]
        assert (mine["review_state"], mine["review_note"]) == ("under_review", "checking the incident log")
        assert frame["reasons_in_words"].notna().all()
    downloads = log_since(env["log"], start, "download")
    assert [(d["file"], d["rows"], d["scope"]) for d in downloads] == [
        ("w.xlsx", len(rows), "G"),
        ("w.csv", len(rows), "G"),
    ]
    with pytest.raises(AccessDenied):
        data.worklist_file(viewer, "E", rows, "csv", "e.csv")


# ---------------------------------------------------------------------------------------------------------
# Filters, counts and the table's limit, applied in SQL (scrs.worklist.filtered_worklist_query). The records
# each filter should keep are worked out here from marts.record_failures and the seeds, not from the
# worklist view the page reads.


def _failures_with_words(warehouse: Path, division: str):  # noqa: ANN202
    import csv

    with duckdb.connect(str(warehouse / "warehouse.duckdb"), read_only=True) as con:
        rows = con.execute(
            "select test_code, record_id, fiscal_year, fiscal_quarter, failure_reasons, recording_unit, "
            "closing_unit from marts.record_failures where division_code = ?",
            [division],
        ).df()
    with (REPO_ROOT / "seeds" / "failure_reasons.csv").open() as handle:
        words = {row["reason_code"]: row["reason_words"] for row in csv.DictReader(handle)}
    rows["test_name"] = rows["test_code"].map({code: name for name, code in _test_codes().items()})
    rows["reason_words"] = rows["failure_reasons"].map(lambda codes: {words[c] for c in codes.split(";")})
    rows["unit"] = rows["recording_unit"].fillna(rows["closing_unit"]).fillna("UNKNOWN")
    return rows


def _keys(frame) -> list[tuple[str, str]]:  # noqa: ANN001
    return sorted(zip(frame["test_code"], frame["record_id"], strict=True))


def test_the_filters_keep_exactly_the_records_their_words_say(env):
    from scrs.worklist import WorklistFilter
    from streamlit_app.access.policy import Viewer
    from streamlit_app.data import worklist as data

    viewer = Viewer("division", "G", "division-g")
    truth = _failures_with_words(env["warehouse"], "G")
    year, quarter = truth.groupby(["fiscal_year", "fiscal_quarter"]).size().idxmax()
    test_name = truth["test_name"].value_counts().index[-1]  # the test with fewest failures here
    reason = sorted(set().union(*truth["reason_words"]))[0]
    unit = truth["unit"].value_counts().index[0]
    cases = {
        "a year": (WorklistFilter(fiscal_year=year), truth["fiscal_year"].eq(year)),
        "a year and quarter": (
            WorklistFilter(fiscal_year=year, fiscal_quarter=int(quarter)),
            truth["fiscal_year"].eq(year) & truth["fiscal_quarter"].eq(quarter),
        ),
        "a test": (WorklistFilter(test_names=(test_name,)), truth["test_name"].eq(test_name)),
        "a reason": (WorklistFilter(reasons=(reason,)), truth["reason_words"].map(lambda w: reason in w)),
        "a unit and a test": (
            WorklistFilter(units=(unit,), test_names=(test_name,)),
            truth["unit"].eq(unit) & truth["test_name"].eq(test_name),
        ),
    }
    for label, (chosen, keep) in cases.items():
        expected = _keys(truth[keep])
        assert expected, f"{label}: the test data should have such records"
        assert _keys(data.worklist(viewer, "G", chosen)) == expected, label
        _, counts = data.worklist_view(viewer, "G", chosen, "priority", 3)
        assert counts.shown == len(expected), label


def test_the_state_filter_and_counts_read_the_store_as_it_is_now(env):
    """A record marked disputed after the publication: the state filter finds it alone, the counts say so."""
    from scrs.worklist import WorklistFilter
    from streamlit_app.access.policy import Viewer
    from streamlit_app.data import worklist as data

    viewer = Viewer("division", "G", "division-g")
    test_code, record_id = failing(env["warehouse"], "G")[-1]
    data.set_state(viewer, test_code, record_id, "disputed", "the rule misreads the disposal", "open")
    rows, counts = data.worklist_view(viewer, "G", WorklistFilter(states=("disputed",)), "priority", 50)
    assert _keys(rows) == [(test_code, record_id)]
    assert (counts.shown, counts.disputed, counts.still_failing) == (1, 1, 0)
    _, everything = data.worklist_view(viewer, "G", WorklistFilter(), "priority", 50)
    assert (everything.shown, everything.disputed) == (len(failing(env["warehouse"], "G")), 1)


def test_the_view_is_the_first_records_as_sorted_and_counts_them_all(env):
    from scrs.worklist import WorklistFilter
    from streamlit_app.access.policy import Viewer
    from streamlit_app.data import worklist as data

    viewer = Viewer("division", "G", "division-g")
    everything = data.worklist(viewer, "G")
    assert everything["priority_rank"].tolist() == sorted(everything["priority_rank"])
    first, counts = data.worklist_view(viewer, "G", WorklistFilter(), "priority", 7)
    assert first["record_id"].tolist() == everything["record_id"].head(7).tolist()
    assert counts.shown == len(failing(env["warehouse"], "G")) > 7
    oldest, _ = data.worklist_view(viewer, "G", WorklistFilter(), "oldest", 7)
    by_age = everything.sort_values(["age_days", "priority_rank"], ascending=[False, True])
    assert oldest["record_id"].tolist() == by_age["record_id"].head(7).tolist()


def test_the_page_filters_counts_and_caps_its_table(env, monkeypatch):
    """Through the page: a test and a unit chosen, the table and the count are those records; with the table
    capped below the division's records, it shows the first ones and says how many there are."""
    truth = _failures_with_words(env["warehouse"], "G")
    test_name = truth["test_name"].value_counts().index[0]
    unit = truth[truth["test_name"].eq(test_name)]["unit"].value_counts().index[0]
    expected = _keys(truth[truth["test_name"].eq(test_name) & truth["unit"].eq(unit)])
    at = open_worklist("division-g")
    at.multiselect(key="worklist_tests").set_value([test_name]).run()
    at.multiselect(key="worklist_units").set_value([unit]).run()
    assert not at.exception, [e.value for e in at.exception]
    rows = table(at)
    assert sorted(zip(rows["Test"].map(_test_codes()), rows["Record"], strict=True)) == expected
    assert {m.label: m.value for m in at.metric}["Failing records shown"] == f"{len(expected):,}"

    monkeypatch.setattr("streamlit_app.ui.worklist.TABLE_SHOWN", 5)
    at = open_worklist("division-g")
    assert len(table(at)) == 5
    total = len(failing(env["warehouse"], "G"))
    assert f"The first 5 of {total:,} records as sorted" in " ".join(c.value for c in at.caption)
    assert {m.label: m.value for m in at.metric}["Failing records shown"] == f"{total:,}"

"""The Registrar audit page per role (AppTest on the session warehouse, which holds the generator's planted
audit). Expected values are read from the warehouse file with DuckDB directly, not through the app.

- committee: the audit figure beside the automated one, each with its interval, the agreement in words,
  small cells suppressed; no record-level data anywhere on the page, and the record-level data functions
  refuse it;
- a division user: its own disagreements only (another division's refused);
- registrar (and engineer): progress per division, a worklist per division built on click (logged), every
  disagreement.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from streamlit_app.access.policy import AccessDenied, Viewer
from streamlit_app.data import registrar_audit
from streamlit_app.ui.format import SUPPRESSED_WORDS
from tests.access_helpers import make_users_file
from tests.test_dashboard_pages import open_page, sql, table_named

SAMPLE_ID = "2020-21-Q4-generated"
MIN = 10


@pytest.fixture
def warehouse(published_warehouse: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The session warehouse served to the app, with the test accounts (tests/access_helpers.py)."""
    monkeypatch.setenv("SCRS_WAREHOUSE_DIR", str(published_warehouse))
    users = published_warehouse.parent / "audit_page_users.json"
    if not users.exists():
        make_users_file(users)
    monkeypatch.setenv("SCRS_USERS_FILE", str(users))
    return published_warehouse


def page_text(at) -> str:
    """Everything the page shows as text: markdown, captions, metrics, tables, messages."""
    parts = [h.value for h in (*at.title, *at.subheader)]
    parts += [m.value for m in at.markdown] + [c.value for c in at.caption]
    parts += [f"{m.label} {m.value}" for m in at.metric]
    parts += [d.value.to_csv(index=False) for d in at.dataframe]
    parts += [x.value for x in (*at.info, *at.warning, *at.success)]
    return "\n".join(parts)


def test_committee_sees_both_figures_with_intervals_and_the_agreement_in_words(warehouse):
    at = open_page("registrar_audit", Viewer("committee"))
    national = sql(
        warehouse,
        """select a.test_code, a.compliance_pct, a.ci_lower_pct, a.ci_upper_pct, a.audited, c.compliance_pct as auto,
                  c.ci_lower_pct as auto_lo, c.ci_upper_pct as auto_hi
           from marts.audit_results_national_test a join marts.compliance_national_test c using (fiscal_year,
           fiscal_quarter, test_code) where a.sample_id = ?""",
        [SAMPLE_ID],
    )
    text = page_text(at)
    # No Crime here: every division audited fewer than 10 and every record is compliant (checked), so
    # Scotland's count would pin each division's at its audited count: Scotland's figures are blanked too
    # (contract 5.1, complementary), and the committee is told so.
    largest = sql(
        warehouse,
        "select test_code, max(audited) as most from marts.audit_results_by_division_test where sample_id = ? "
        "group by test_code",
        [SAMPLE_ID],
    ).set_index("test_code")["most"]
    all_small = set(largest[largest < MIN].index)
    assert all_small == {"NOCRIME"}
    nocrime = national[national.test_code.eq("NOCRIME")].iloc[0]
    assert nocrime.compliance_pct == 100.0  # every audited No Crime decision compliant
    for r in national.itertuples():
        assert r.audited >= MIN
        if r.test_code in all_small:
            assert f"Agreement on {r.audited} audited No Crime decisions is suppressed" in text
            continue
        assert f"{r.compliance_pct:.2f}%" in text and f"{r.ci_lower_pct:.2f}–{r.ci_upper_pct:.2f}%" in text
        assert f"{r.auto:.2f}%" in text and f"{r.auto_lo:.2f}–{r.auto_hi:.2f}%" in text
    agreement = sql(warehouse, "select * from marts.audit_agreement_national_test where sample_id = ?", [SAMPLE_ID])
    t1 = agreement[agreement.test_code == "TEST1"].iloc[0]
    assert (
        f"The rules and the registrars agreed on {t1.agreement_pct:.0f}% of {t1.audited:,} audited incidents; "
        f"kappa {t1.kappa:.2f} [{t1.kappa_ci_lower:.2f}, {t1.kappa_ci_upper:.2f}]"
    ) in text


def test_committee_view_holds_no_record_level_data(warehouse):
    at = open_page("registrar_audit", Viewer("committee"))
    text = page_text(at)
    sampled = sql(warehouse, "select record_id from staging.stg_registrar_audit__samples")["record_id"]
    assert len(sampled) > 100
    assert not [r for r in sampled if r in text], "a sampled record id on the committee's page"
    assert "Disagreements" in text and "not the committee" in text
    assert not [b for b in at.get("download_button") if "worklist" in str(b.proto.label).lower()]
    committee = Viewer("committee", username="committee")
    with pytest.raises(AccessDenied):
        registrar_audit.disagreements(committee, SAMPLE_ID)
    with pytest.raises(AccessDenied):
        registrar_audit.worklist(committee, SAMPLE_ID, "G")


def test_small_cells_are_suppressed_for_the_committee(warehouse):
    at = open_page("registrar_audit", Viewer("committee"))
    results = next(d.value for d in at.dataframe if "Audit %" in d.value.columns and "Division" in d.value.columns)
    expected = sql(
        warehouse,
        """select t.test_name, a.division_code, a.audited, a.compliance_pct
           from marts.audit_results_by_division_test a join reference.audit_tests t using (test_code)
           where a.sample_id = ?""",
        [SAMPLE_ID],
    )
    assert (expected.audited < MIN).any(), "the planted audit has small strata (NOCRIME)"
    assert len(results) == len(expected)
    merged = results.merge(expected, left_on=["Test", "Code"], right_on=["test_name", "division_code"])
    assert len(merged) == len(expected)
    assert (merged["Audited"] == merged["audited"]).all()
    small = merged[merged["audited"] < MIN]
    assert small["Audit %"].isna().all() and small["Compliant"].isna().all()
    assert (small["Status"] == SUPPRESSED_WORDS).all()
    big = merged[merged["audited"] >= MIN]
    # Complementary cells (contract 5.1): in a test with a small cell and a shown Scotland figure, at least one
    # more division is blanked; a test without small cells shows every division's figure.
    with_small = set(small["test_name"])
    blanked = big[big["Audit %"].isna()]
    assert set(blanked["test_name"]) <= with_small
    assert "Crime-related incidents" in with_small  # one small division (9 audited) beside big ones
    assert blanked["test_name"].eq("Crime-related incidents").any()
    assert (blanked["Status"] == SUPPRESSED_WORDS).all()
    shown = big[big["Audit %"].notna()]
    assert len(shown) > len(big) / 2
    assert (shown["Audit %"].astype(float) == shown["compliance_pct"]).all()


def test_a_division_sees_its_own_disagreements_only(warehouse):
    at = open_page("registrar_audit", Viewer("division", "G"))
    shown = table_named(at, "Division")
    expected = sql(
        warehouse, "select record_id from marts.audit_disagreements where sample_id = ? and division_code = 'G'",
        [SAMPLE_ID],
    )  # fmt: skip
    assert len(expected) > 0
    assert set(shown["Division"]) == {"G"}
    assert sorted(shown["Record"]) == sorted(expected["record_id"])
    others = sql(warehouse, "select record_id from marts.audit_disagreements where division_code <> 'G'")
    text = page_text(at)
    assert not [r for r in others["record_id"] if r in text]
    g = Viewer("division", "G", username="division-g")
    with pytest.raises(AccessDenied):
        registrar_audit.disagreements(g, SAMPLE_ID, "A")
    with pytest.raises(AccessDenied):
        registrar_audit.worklist(g, SAMPLE_ID, "G")


@pytest.mark.parametrize("role", ["registrar", "engineer"])
def test_registrars_see_progress_worklists_and_every_disagreement(warehouse, role):
    at = open_page("registrar_audit", Viewer(role))
    progress = table_named(at, "Code")
    expected = sql(
        warehouse,
        "select division_code, sum(sampled) as s, sum(audited) as a from marts.audit_results_by_division_test "
        "where sample_id = ? group by 1 order by 1",
        [SAMPLE_ID],
    )
    assert list(progress["Code"]) == list(expected["division_code"])
    assert list(progress["Sampled"]) == list(expected["s"]) and list(progress["Audited"]) == list(expected["a"])
    assert (progress["Audited"] < progress["Sampled"]).any(), "the planted unfinished division shows"
    labels = [str(b.proto.label) for b in at.get("download_button")]
    assert sum("(" in label and ")" in label for label in labels) >= len(expected)
    everyone = sql(warehouse, "select count(*) as n from marts.audit_disagreements where sample_id = ?", [SAMPLE_ID])
    assert len(table_named(at, "Division")) == everyone["n"].iloc[0]


def test_a_worklist_is_the_divisions_sample_in_the_outcomes_layout_and_its_download_is_logged(warehouse):
    viewer = Viewer("registrar", username="registrar")
    body = registrar_audit.worklist(viewer, SAMPLE_ID, "G").decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(body)))
    header = body.splitlines()[0].split(",")
    assert header[:8] == [
        "sample_id", "test_code", "record_id", "verdict", "failure_reasons", "audited_by", "audited_at",
        "extracted_at",
    ]  # fmt: skip
    expected = sql(
        warehouse,
        "select test_code, record_id from staging.stg_registrar_audit__samples where sample_id = ? "
        "and division_code = 'G'",
        [SAMPLE_ID],
    )
    assert sorted((r["test_code"], r["record_id"]) for r in rows) == sorted(map(tuple, expected.values.tolist()))
    assert all(r["verdict"] == "" and r["division_code"] == "G" for r in rows)
    log = (warehouse / "logs" / "access.jsonl").read_text().splitlines()
    assert any(f"audit_worklist_{SAMPLE_ID}_G.csv" in line and '"download"' in line for line in log[-5:])


def test_the_audit_policy_as_plain_functions():
    from streamlit_app.access.policy import audit_disagreements_refusal, audit_worklist_refusal

    committee, g = Viewer("committee"), Viewer("division", "G")
    registrar, engineer = Viewer("registrar"), Viewer("engineer")
    assert audit_worklist_refusal(registrar) is None and audit_worklist_refusal(engineer) is None
    assert audit_worklist_refusal(committee) is not None and audit_worklist_refusal(g) is not None
    assert audit_disagreements_refusal(registrar, None) is None and audit_disagreements_refusal(engineer, "A") is None
    assert audit_disagreements_refusal(g, "G") is None
    assert audit_disagreements_refusal(g, "A") is not None and audit_disagreements_refusal(g, None) is not None
    assert audit_disagreements_refusal(committee, None) is not None
    assert audit_disagreements_refusal(committee, "G") is not None

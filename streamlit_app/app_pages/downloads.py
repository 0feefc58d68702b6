"""Downloads: the packs `scrs export` writes, as CSV, Excel and Parquet, within the signed-in user's scope.

- A division user: its own division's pack (`scrs export --division CODE`: its rows of every mart,
  `record_failures` included, unsuppressed), and the national pack.
- The committee: the national pack only (`scrs export --national`: aggregates, small cells suppressed).
- Registrars and engineers: the national pack and any division's pack.

Which packs exist for whom is decided by `access.policy`; `data.downloads` (`download_scopes`, `download_pack`)
refuses and logs anything else, and logs every download.
"""

from __future__ import annotations

import streamlit as st

from streamlit_app.access.policy import NATIONAL, Viewer
from streamlit_app.data import committee, downloads, reference
from streamlit_app.ui import format as fmt
from streamlit_app.ui.page import render_page

SCOPE_KEY = "downloads_scope"
MART_WORDS = {
    "compliance_by_division_test": "Compliance by division and test",
    "compliance_by_command_area_test": "Compliance by command area and test",
    "compliance_national_test": "Compliance across Scotland, by test",
    "record_failures": "Record failures: every failing record and why it failed",
    "training_coverage": "Training coverage",
    "audit_results_by_division_test": "Registrar audit: sampled compliance by test",
    "audit_agreement_by_division_test": "Registrar audit: the rules against the registrars, by test",
    "audit_disagreements": "Registrar audit: records where the registrar and the rules differ",
}


def _label(scope: str, names: dict[str, str]) -> str:
    if scope == NATIONAL:
        return "Committee pack: national (aggregates only, small cells suppressed)"
    return f"Division pack: {names.get(scope, scope)} ({scope})"


def _choose_scope(viewer: Viewer, names: dict[str, str]) -> str:
    scopes = downloads.download_scopes(viewer)
    link = st.query_params.get("division")
    if link is not None and SCOPE_KEY not in st.session_state:
        st.session_state[SCOPE_KEY] = link
    requested = st.session_state.get(SCOPE_KEY)
    if requested is not None and requested not in scopes:
        st.session_state.pop(SCOPE_KEY, None)
        downloads.download_pack(viewer, str(requested))  # refused and logged unless merely unknown
    if len(scopes) == 1:
        return scopes[0]
    return st.selectbox("Pack", scopes, format_func=lambda s: _label(s, names), key=SCOPE_KEY)


def _on_click(viewer: Viewer, pack: downloads.DownloadPack, file_name: str):  # noqa: ANN202
    """The download's bytes, made (and logged) only when the button is clicked."""
    return lambda: downloads.pack_file_bytes(viewer, pack, file_name)


def _committee_paper(viewer: Viewer) -> None:
    """The committee's paper (`scrs report`) for committee members and registrars: generated and logged only
    when the button is clicked."""
    if not committee.may_have_paper(viewer):
        return
    st.subheader("The committee's paper")
    st.markdown(
        "The quarter's paper as `scrs report` writes it: HTML, PDF and Word from one template, and every table "
        "as CSV (headline with changes and their intervals, divisions, crime types and units, trends, figures as "
        "reported, improvement plan, training, data quality, method). Aggregates only, small cells suppressed. "
        "It is generated when you click (this takes a few seconds) and the download is recorded."
    )
    years = reference.fiscal_years()
    if not years:
        st.info("Nothing published yet.")
        return
    latest = reference.latest_audit_year()
    year_col, quarter_col = st.columns(2)
    year = year_col.selectbox(
        "Financial year", years[::-1], index=years[::-1].index(latest) if latest else 0, key="paper_year"
    )
    quarter = int(
        quarter_col.selectbox("Quarter", [4, 3, 2, 1], format_func=lambda q: fmt.QUARTER_WORDS[q], key="paper_quarter")
    )
    st.download_button(
        f"Committee paper {year} Q{quarter} (ZIP: HTML, PDF, Word, CSV)",
        data=committee.paper_maker(viewer, year, quarter),
        file_name=committee.paper_file_name(year, quarter),
        mime="application/zip",
        key="paper_download",
        icon=":material/description:",
        on_click="ignore",
    )


def main(viewer: Viewer) -> None:
    st.title("Downloads")
    st.markdown(
        "The published marts as files, exactly as `scrs export` writes them, each as CSV, Excel and Parquet. "
        "File names give the pack, the mart, the financial years covered and the publication date. "
        "Every download is recorded in the access log."
    )
    divisions = reference.divisions()
    names = dict(zip(divisions["division_code"], divisions["division_name"], strict=True))
    scope = _choose_scope(viewer, names)
    pack = downloads.download_pack(viewer, scope)

    st.subheader(_label(scope, names))
    command = "scrs export --national" if scope == NATIONAL else f"scrs export --division {scope}"
    example = pack.file(pack.marts[0][0], "csv").file_name
    st.caption(
        f"Same content as `{command}` · financial years {pack.period.replace('_to_', ' to ').replace('-', '/')} · "
        f"published {pack.published} · files named like `{example}`"
    )
    if pack.suppressed:
        st.info(
            f"Disclosure control: in this pack every rate built on fewer than {fmt.min_records()} examined records "
            "is suppressed (compliant, rate, interval and status left blank; the examined count stays). "
            "It holds no record-level data."
        )
    else:
        st.warning(
            "OFFICIAL-SENSITIVE: this pack holds record-level data (`record_failures`) of one division, "
            "unsuppressed. Keep it within the division's crime management team.",
            icon=":material/lock:",
        )
    for mart, rows in pack.marts:
        name_col, rows_col, *format_cols = st.columns([4, 1, 1, 1, 1], vertical_alignment="center")
        name_col.markdown(f"**{MART_WORDS.get(mart, mart)}**  \n`{mart}`")
        rows_col.markdown(f"{rows:,} rows")
        for col, (ext, (label, _)) in zip(format_cols, downloads.DOWNLOAD_FORMATS.items(), strict=True):
            file = pack.file(mart, ext)
            col.download_button(
                label,
                data=_on_click(viewer, pack, file.file_name),
                file_name=file.file_name,
                mime=file.mime,
                key=f"pack_{mart}_{ext}",
                icon=":material/download:",
                on_click="ignore",
            )
    _committee_paper(viewer)


render_page(main)

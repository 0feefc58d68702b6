"""`scrs report`: the committee's paper for one quarter (contract section 7).

Writes `committee_pack.html`, `committee_pack.pdf`, `committee_pack.docx` and every table as
`tables/<table>.csv`, all from one data model (scrs.report.model) read from the served publication, with
disclosure control (contract 5.1) applied in scrs.report.suppression. `final=True` records the quarter's
figures as reported (scrs.report.as_reported), outside the rebuilt warehouse, never overwritten.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from scrs.report import as_reported
from scrs.report.charts import trend_charts
from scrs.report.data import build_pack, current_figures, quarter_exists
from scrs.report.findings import findings, method_note
from scrs.report.model import Pack
from scrs.report.render import render_docx, render_html, render_pdf, write_csvs
from scrs.settings import Settings
from scrs.warehouse import read_only

HTML_NAME, PDF_NAME, DOCX_NAME = "committee_pack.html", "committee_pack.pdf", "committee_pack.docx"


@dataclass(frozen=True)
class PackResult:
    pack: Pack
    files: tuple[Path, ...]
    report: as_reported.Report | None


def make_pack(settings: Settings, fiscal_year: str, fiscal_quarter: int, final: bool = False) -> tuple[Pack, list]:
    """The pack's model (tables, charts, findings) and the figures `--final` would record, read in one
    read-only connection so both come from the same publication."""
    with read_only(settings.served_db) as con:
        if not quarter_exists(con, fiscal_year, fiscal_quarter):
            raise ValueError(f"the published warehouse has no figures for {fiscal_year} Q{fiscal_quarter}")
        pack = build_pack(settings, con, fiscal_year, fiscal_quarter, final=final)
        figures = current_figures(con, fiscal_year, fiscal_quarter)
    pack.charts = trend_charts(pack)
    pack.findings = findings(pack)
    pack.method_note = method_note(pack)
    return pack, figures


def render_pack(pack: Pack, out_dir: Path) -> list[Path]:
    """Write the CSV tables, HTML, PDF and Word renderings of a pack into `out_dir`."""
    out_dir.mkdir(parents=True, exist_ok=True)
    files = write_csvs(pack, out_dir)
    html = render_html(pack)
    html_path = out_dir / HTML_NAME
    html_path.write_text(html, encoding="utf-8")
    render_pdf(html, out_dir / PDF_NAME)
    render_docx(pack, out_dir / DOCX_NAME)
    return [html_path, out_dir / PDF_NAME, out_dir / DOCX_NAME, *files]


def write_pack(
    settings: Settings,
    fiscal_year: str,
    fiscal_quarter: int,
    out_dir: Path,
    final: bool = False,
    force: bool = False,
) -> PackResult:
    """Write the pack; with `final`, record its figures as reported (refused if the quarter already has a
    report, unless `force`). The refusal comes before anything is written."""
    if final and not force:
        existing = as_reported.current_report(settings.as_reported_db, fiscal_year, fiscal_quarter)
        if existing is not None:
            raise as_reported.AlreadyFinalisedError(
                f"{fiscal_year} Q{fiscal_quarter} was already reported as final on {existing.finalised_at} "
                f"(report {existing.report_id}); those figures are kept. Use --force to record a newer report "
                "(the earlier one stays as history)."
            )
    pack, figures = make_pack(settings, fiscal_year, fiscal_quarter, final=final)
    files = render_pack(pack, out_dir)
    report = None
    if final:
        report = as_reported.finalise(
            settings.as_reported_db,
            fiscal_year,
            fiscal_quarter,
            figures,
            run_id=pack.publication.run_id,
            published_at=pack.publication.published_at,
            force=force,
        )
    return PackResult(pack, tuple(files), report)

"""One pack, four renderings from the same model: CSV tables, HTML (Jinja2 template), PDF (WeasyPrint, from
that HTML) and Word (python-docx). Cell text comes from one formatter, so the documents show exactly the
values of the CSV tables (suppressed cells are blank in CSV and marked [c] in the documents)."""

from __future__ import annotations

import base64
import csv
import io
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape

from scrs.report.model import Column, Pack, Table
from scrs.report.suppression import BLANKED_COLUMNS

TEMPLATES = Path(__file__).with_name("templates")
SUPPRESSED_MARK = "[c]"
MISSING_MARK = "–"
# The Word paper's sections of tables, after the trends: heading, the pack attribute holding a note shown
# above the tables (or None), and the tables' keys in order.
DOCX_SECTIONS: tuple[tuple[str, str | None, tuple[str, ...]], ...] = (
    ("Divisions and command areas", None, ("command_areas", "divisions")),
    ("Crime types and recording units", None, ("categories", "units")),
    ("Figures as reported", "as_reported_note", ("as_reported",)),
    ("Improvement plan", None, ("improvement_status", "actions")),
    ("Training and data quality", None, ("training", "data_quality")),
)


def csv_value(column: Column, value: Any) -> str:
    """The value as written to tables/*.csv: numbers plain (rates and points to 2 dp), codes as codes."""
    if value is None:
        return ""
    if column.kind in ("pct", "pp"):
        return f"{float(value):.2f}"
    if column.kind == "count":
        return str(int(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def cell_text(column: Column, row: dict[str, Any]) -> str:
    """The value as shown in the documents: the CSV value, words with spaces, blanks marked."""
    value = row.get(column.name)
    if value is None:
        return SUPPRESSED_MARK if column.name in row.get(BLANKED_COLUMNS, ()) else MISSING_MARK
    text = csv_value(column, value)
    if column.kind == "pp" and not text.startswith("-"):
        text = f"+{text}" if text != "0.00" else text
    if column.kind == "words":
        text = text.replace("_", " ").lower()
    return text


def write_csvs(pack: Pack, out_dir: Path) -> list[Path]:
    tables_dir = out_dir / "tables"
    tables_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for table in pack.tables.values():
        path = tables_dir / f"{table.key}.csv"
        with path.open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([c.name for c in table.columns])
            for row in table.rows:
                writer.writerow([csv_value(c, row.get(c.name)) for c in table.columns])
        paths.append(path)
    return paths


def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
    env.globals["cell_text"] = cell_text
    env.filters["b64"] = lambda data: base64.b64encode(data).decode("ascii")
    return env


def render_html(pack: Pack) -> str:
    return (
        _environment()
        .get_template("committee_pack.html.j2")
        .render(pack=pack, mark=SUPPRESSED_MARK, status=_status_line(pack))
    )


def render_pdf(html: str, path: Path) -> None:
    from weasyprint import HTML  # imported here: needs Pango (Makefile installs it when missing)

    HTML(string=html, base_url=str(TEMPLATES)).write_pdf(path)


def _docx_table(document: Any, table: Table) -> None:
    document.add_heading(table.title, level=2)
    grid = document.add_table(rows=1, cols=len(table.columns))
    grid.style = "Table Grid"
    for cell, column in zip(grid.rows[0].cells, table.columns, strict=True):
        cell.text = column.label
        for run in cell.paragraphs[0].runs:
            run.bold = True
    _mark_header_row(grid.rows[0])
    for row in table.rows:
        cells = grid.add_row().cells
        for cell, column in zip(cells, table.columns, strict=True):
            cell.text = cell_text(column, row)
    if table.note:
        document.add_paragraph(table.note)
    document.add_paragraph(table.source).italic = True


def _mark_header_row(row: Any) -> None:
    """Repeat the header row on each page and mark it as a header for screen readers."""
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    properties = row._tr.get_or_add_trPr()
    header = OxmlElement("w:tblHeader")
    header.set(qn("w:val"), "true")
    properties.append(header)


def render_docx(pack: Pack, path: Path) -> None:
    from docx import Document
    from docx.shared import Inches

    document = Document()
    document.core_properties.title = pack.title
    document.core_properties.subject = "SPA Policing Performance Committee"
    document.add_heading(pack.title, level=0)
    document.add_paragraph(_status_line(pack))
    document.add_heading("Findings", level=1)
    for sentence in pack.findings:
        document.add_paragraph(sentence, style="List Bullet")
    document.add_heading("Headline", level=1)
    _docx_table(document, pack.tables["headline"])
    document.add_heading("Trends", level=1)
    for chart in pack.charts:
        document.add_picture(io.BytesIO(chart.png), width=Inches(6.2))
        picture = document.inline_shapes[-1]
        picture._inline.docPr.set("descr", chart.alt)
        picture._inline.docPr.set("title", chart.title)
        document.add_paragraph(chart.alt)
    for heading, note, keys in DOCX_SECTIONS:
        document.add_heading(heading, level=1)
        if note:
            document.add_paragraph(getattr(pack, note))
        for key in keys:
            _docx_table(document, pack.tables[key])
    document.add_heading("Method", level=1)
    for paragraph in pack.method_note:
        document.add_paragraph(paragraph)
    document.add_paragraph(f"{SUPPRESSED_MARK}: suppressed (disclosure control). {MISSING_MARK}: no figure.")
    document.save(path)


def _status_line(pack: Pack) -> str:
    state = "Final: these figures are recorded as reported." if pack.final else "Draft: not recorded as reported."
    return (
        f"{state} Publication {pack.publication.run_id} of {pack.publication.published_at}; "
        f"pack generated {pack.generated_at}."
    )

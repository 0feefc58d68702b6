"""The committee pack's data model: what every output format (HTML, PDF, Word, CSV) renders, and nothing
else, so the three documents and the CSV tables cannot disagree."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Column:
    """A published column: its CSV name, its heading, and how to show it (text, count, pct, pp, words)."""

    name: str
    label: str
    kind: str = "text"


@dataclass
class Table:
    """One table of the pack. `rows` may carry more keys than `columns` (counts used for suppression);
    only `columns` are published."""

    key: str
    title: str
    columns: list[Column]
    rows: list[dict[str, Any]]
    source: str
    note: str = ""

    def published_rows(self) -> list[dict[str, Any]]:
        return [{c.name: row.get(c.name) for c in self.columns} for row in self.rows]


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    png: bytes
    alt: str


@dataclass(frozen=True)
class Publication:
    run_id: str
    published_at: str

    def citation(self, mart: str) -> str:
        return f"Source: {mart}, publication {self.run_id} of {self.published_at}."


@dataclass
class Pack:
    fiscal_year: str
    fiscal_quarter: int
    publication: Publication
    generated_at: str
    final: bool
    target_pct: float
    min_records: int
    tables: dict[str, Table] = field(default_factory=dict)
    charts: list[Chart] = field(default_factory=list)
    findings: list[str] = field(default_factory=list)
    method_note: list[str] = field(default_factory=list)
    improvement_as_at: str | None = None
    as_reported_note: str = ""

    @property
    def period(self) -> str:
        return f"{self.fiscal_year} Q{self.fiscal_quarter}"

    @property
    def title(self) -> str:
        return f"SCRS crime recording compliance: {self.period}"

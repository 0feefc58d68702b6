"""The page-render benchmark renders every page through the real sign-in (no time is asserted)."""

from __future__ import annotations

from scrs.bench.render import MARK, PAGES, render_times, write_section


def test_every_page_renders_and_the_section_replaces_the_last_one(published_warehouse, tmp_path, monkeypatch):
    for name in ("SCRS_WAREHOUSE_DIR", "SCRS_USERS_FILE"):
        monkeypatch.setenv(name, "")
    rows = render_times(published_warehouse, runs=2)
    assert [r[0] for r in rows] == list(PAGES)
    assert all(first > 0 and warm > 0 for _, first, warm in rows)
    docs = tmp_path / "benchmarks.md"
    docs.write_text("# Benchmarks\n\nnational figures\n")
    write_section(rows, docs)
    write_section(rows, docs)
    text = docs.read_text()
    assert text.count(MARK) == 1 and "national figures" in text and "| overview |" in text

"""Documentation stays inside the repository: every relative link resolves, and the copies of the shared
contract and domain notes in docs/ are word for word what the shared ones say (CI clones only this
repository, so the comparison is skipped where the shared folder is absent)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"
DOC_FILES = [REPO / "README.md", *sorted((REPO / "docs").glob("*.md"))]

_FENCED = re.compile(r"^(```|~~~).*?^\1", re.S | re.M)
_CODE_SPAN = re.compile(r"`[^`\n]*`")
_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")


def relative_links(markdown: str) -> list[str]:
    """Targets of the inline links and images that point into the repository (no scheme, not an anchor)."""
    prose = _CODE_SPAN.sub("", _FENCED.sub("", markdown))
    targets = [m.group(1) for m in _LINK.finditer(prose)]
    return [t for t in targets if not re.match(r"^[a-z][a-z0-9+.-]*:", t, re.I) and not t.startswith("#")]


def broken_links(doc: Path, text: str | None = None) -> list[str]:
    """Each relative link of `doc` (or of `text`, read as if it were at `doc`) that does not name an existing
    file or folder inside the repository."""
    broken = []
    for target in relative_links(doc.read_text(encoding="utf-8") if text is None else text):
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        if not path.is_relative_to(REPO) or not path.exists():
            broken.append(target)
    return broken


def test_the_link_checker_finds_links_and_catches_broken_ones():
    doc = REPO / "docs" / "_probe.md"  # never written: its text is passed in, its place gives the links' base
    text = (
        "[ok](rules.md) ![img](screenshots/overview.png) [anchor](#x) [web](https://example.org/a.md)\n"
        "[gone](nowhere.md) [outside](../../shared/contract.md) [frag](rules.md#wilson)\n"
        "`[code](span.md)`\n```\n[fenced](fence.md)\n```\n"
    )
    assert relative_links(text) == [
        "rules.md",
        "screenshots/overview.png",
        "nowhere.md",
        "../../shared/contract.md",
        "rules.md#wilson",
    ]
    assert broken_links(doc, text) == ["nowhere.md", "../../shared/contract.md"]


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_every_relative_link_resolves_inside_the_repository(doc):
    assert broken_links(doc) == [], f"{doc.relative_to(REPO)} links to files that are not in the repository"


@pytest.mark.parametrize("doc", DOC_FILES, ids=lambda p: str(p.relative_to(REPO)))
def test_no_doc_sends_the_reader_outside_the_repository(doc):
    text = doc.read_text(encoding="utf-8")
    assert "../shared" not in text, f"{doc.relative_to(REPO)} refers to ../shared: point to docs/ instead"


def test_the_docs_cited_by_code_and_tests_exist():
    for name in ("contract.md", "domain.md", "source/000_b83cf60d26fdb366.txt"):
        assert (REPO / "docs" / name).is_file(), name


@pytest.mark.parametrize("name", ["contract.md", "domain.md"])
def test_docs_copy_equals_the_shared_file(name):
    shared = SHARED / name
    if not shared.exists():
        pytest.skip(f"no shared {name} beside the repository (a CI clone): nothing to compare")
    copy = (REPO / "docs" / name).read_text(encoding="utf-8")
    note, _, body = copy.partition("\n\n")
    assert note.startswith("> A copy of the shared"), "the copy's first line says it is a copy to keep in step"
    assert body == shared.read_text(encoding="utf-8"), f"docs/{name} differs from the shared {name}: copy it again"


def test_source_paper_copy_equals_the_shared_one():
    shared = SHARED / "source" / "000_b83cf60d26fdb366.txt"
    if not shared.exists():
        pytest.skip("no shared source paper beside the repository (a CI clone)")
    assert (REPO / "docs" / "source" / shared.name).read_bytes() == shared.read_bytes()

"""The download packs (what `scrs export` writes) within the viewer's scope, and the access log.

Which packs a viewer may have is decided by `access.policy`; a refused pack is logged by `access.audit`
before `AccessDenied` is raised, and so is every download.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import streamlit as st

from scrs import access_log, db
from scrs.export import division_queries, national_queries, write_marts
from scrs.warehouse import NoPublicationError, read_only
from streamlit_app.access.audit import enforce, log_event, refuse
from streamlit_app.access.policy import (
    NATIONAL,
    Refusal,
    Viewer,
    access_log_refusal,
    pack_refusal,
)
from streamlit_app.access.policy import download_scopes as _scopes
from streamlit_app.data.query import READ_ERRORS, DataUnavailable, FileKey, file_key, settings
from streamlit_app.data.reference import division_codes

DOWNLOAD_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("Parquet", "application/vnd.apache.parquet"),
}


@dataclass(frozen=True)
class PackFile:
    mart: str
    ext: str
    file_name: str
    data: bytes
    mime: str
    rows: int


@dataclass(frozen=True)
class DownloadPack:
    """One pack as `scrs export` writes it: every mart as CSV, Excel and Parquet, named for the download."""

    scope: str  # a division code, or NATIONAL
    period: str  # e.g. "2019-20_to_2020-21"
    published: str  # publication date, YYYY-MM-DD
    suppressed: bool  # small cells suppressed (the national pack)
    marts: tuple[tuple[str, int], ...]  # (mart, rows), in export order
    files: tuple[PackFile, ...]

    def file(self, mart: str, ext: str) -> PackFile:
        return next(f for f in self.files if f.mart == mart and f.ext == ext)


def download_scopes(viewer: Viewer) -> list[str]:
    """The packs this viewer may download: NATIONAL and/or division codes."""
    return _scopes(viewer, division_codes())


def _check_pack_access(viewer: Viewer, scope: str) -> None:
    enforce(viewer, pack_refusal(viewer, scope))
    if scope != NATIONAL and scope not in division_codes():
        raise DataUnavailable(f"There is no division {str(scope)[:12]!r}.")


def _pack_name(scope: str, mart: str, period: str, published: str, ext: str) -> str:
    who = "national" if scope == NATIONAL else f"division-{scope}"
    return f"scrs_{who}_{mart}_{period}_published-{published}.{ext}"


@st.cache_resource(show_spinner=False, max_entries=32)
def _cached_pack(key: FileKey, scope: str, min_records: int) -> DownloadPack:
    queries = national_queries(min_records) if scope == NATIONAL else division_queries(scope)
    with tempfile.TemporaryDirectory(prefix="scrs-pack-") as tmp, read_only(Path(key[0])) as con:
        exported = write_marts(con, queries, Path(tmp))
        years = db.run(con, "SELECT min(fiscal_year), max(fiscal_year) FROM marts.compliance_national_test")[0]
        published_at = (
            db.value(con, "SELECT max(published_at) FROM meta.publication")
            if db.table_exists(con, "meta", "publication")
            else None
        )
        first, last = (str(y).replace("/", "-") if y else "none" for y in years)
        period = first if first == last else f"{first}_to_{last}"
        published = published_at.strftime("%Y-%m-%d") if published_at is not None else "unknown"
        files = [
            PackFile(
                mart=mart.mart,
                ext=path.suffix.lstrip("."),
                file_name=_pack_name(scope, mart.mart, period, published, path.suffix.lstrip(".")),
                data=path.read_bytes(),
                mime=DOWNLOAD_FORMATS[path.suffix.lstrip(".")][1],
                rows=mart.rows,
            )
            for mart in exported
            for path in mart.files
        ]
    return DownloadPack(
        scope=scope,
        period=period,
        published=published,
        suppressed=scope == NATIONAL,
        marts=tuple((m.mart, m.rows) for m in exported),
        files=tuple(files),
    )


def download_pack(viewer: Viewer, scope: str) -> DownloadPack:
    """The pack `scrs export` writes for `scope` (a division code, or NATIONAL), if this viewer may have it.

    Division packs hold record-level data (`record_failures`): a division user gets its own only, the
    committee none; registrars and engineers any. The national pack suppresses small cells.
    """
    _check_pack_access(viewer, scope)
    key = file_key()
    try:
        return _cached_pack(key, scope, settings().disclosure_min_records)
    except NoPublicationError as exc:
        raise DataUnavailable(str(exc)) from exc
    except READ_ERRORS as exc:
        raise DataUnavailable(
            f"The published warehouse could not give this pack ({str(exc).splitlines()[0]}). Try again in a moment."
        ) from exc


def record_download(viewer: Viewer, pack: DownloadPack, file_name: str) -> None:
    """Log a download (called when the user clicks a download button)."""
    _check_pack_access(viewer, pack.scope)
    chosen = next((f for f in pack.files if f.file_name == file_name), None)
    if chosen is None:
        refuse(viewer, Refusal("That file is not part of this pack.", scope=pack.scope, detail="unknown download file"))
    log_event(viewer, "download", scope=pack.scope, file=chosen.file_name, rows=chosen.rows)


def access_log_entries(viewer: Viewer) -> pd.DataFrame:
    """Every access-log entry, newest first (registrars and engineers only)."""
    enforce(viewer, access_log_refusal(viewer))
    columns = [c for c in access_log.FIELDS if c != "prev"]
    entries = access_log.read(settings().access_log)
    frame = pd.DataFrame(entries, columns=list(access_log.FIELDS)) if entries else pd.DataFrame(columns=columns)
    return frame[columns].iloc[::-1].reset_index(drop=True)


def access_log_intact(viewer: Viewer) -> int | None:
    """The first access-log line whose hash chain is broken, or None when the log is intact."""
    enforce(viewer, access_log_refusal(viewer))
    return access_log.verify(settings().access_log)

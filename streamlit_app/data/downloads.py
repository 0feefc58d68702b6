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
from scrs.export import MartQuery, division_queries, national_queries, write_marts
from scrs.users import UsersFile
from streamlit_app.access.audit import enforce, log_event, refuse
from streamlit_app.access.policy import (
    NATIONAL,
    Refusal,
    Viewer,
    access_log_refusal,
    pack_refusal,
)
from streamlit_app.access.policy import download_scopes as _scopes
from streamlit_app.data.query import READ_ERRORS, DataUnavailable, FileKey, connection, file_key, settings, unavailable
from streamlit_app.data.reference import division_codes

DOWNLOAD_FORMATS: dict[str, tuple[str, str]] = {
    "csv": ("CSV", "text/csv"),
    "xlsx": ("Excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "parquet": ("Parquet", "application/vnd.apache.parquet"),
}


@dataclass(frozen=True)
class PackFile:
    """One file of a pack, as listed: its bytes are made only when it is downloaded (`pack_file_bytes`)."""

    mart: str
    ext: str
    file_name: str
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
    source: FileKey  # the publication the listing describes (a file is made from the same one)
    min_records: int

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


def _queries(scope: str, min_records: int) -> dict[str, MartQuery]:
    return national_queries(min_records) if scope == NATIONAL else division_queries(scope, min_records)


@st.cache_data(show_spinner=False, max_entries=32)
def _cached_pack(key: FileKey, scope: str, min_records: int) -> DownloadPack:
    """The pack's listing: names and row counts only. No file is made until someone downloads it."""
    with connection(key) as con:
        marts = tuple(
            (mart, int(db.value(con, f"SELECT count(*) FROM ({query.sql})", list(query.params))))
            for mart, query in _queries(scope, min_records).items()
        )
        years = db.run(con, "SELECT min(fiscal_year), max(fiscal_year) FROM marts.compliance_national_test")[0]
        published_at = (
            db.value(con, "SELECT max(published_at) FROM meta.publication")
            if db.table_exists(con, "meta", "publication")
            else None
        )
    first, last = (str(y).replace("/", "-") if y else "none" for y in years)
    period = first if first == last else f"{first}_to_{last}"
    published = published_at.strftime("%Y-%m-%d") if published_at is not None else "unknown"
    files = tuple(
        PackFile(mart, ext, _pack_name(scope, mart, period, published, ext), mime, rows)
        for mart, rows in marts
        for ext, (_, mime) in DOWNLOAD_FORMATS.items()
    )
    return DownloadPack(scope, period, published, scope == NATIONAL, marts, files, key, min_records)


def download_pack(viewer: Viewer, scope: str) -> DownloadPack:
    """The pack `scrs export` writes for `scope` (a division code, or NATIONAL), if this viewer may have it.

    Division packs hold record-level data (`record_failures`): a division user gets its own only, the
    committee none; registrars and engineers any. The national pack suppresses small cells.
    """
    _check_pack_access(viewer, scope)
    key = file_key()
    try:
        return _cached_pack(key, scope, settings().disclosure_min_records)
    except READ_ERRORS as exc:
        raise unavailable(key, exc) from exc


def pack_file_bytes(viewer: Viewer, pack: DownloadPack, file_name: str) -> bytes:
    """Make one file of a pack, exactly as `scrs export` writes it, and log the download as its bytes are
    made. Called when the user clicks (`st.download_button(data=callable)`, on Streamlit's own thread, so no
    Streamlit call in here); access is checked again first, against the users file as it is now."""
    account = UsersFile(settings().users_file).get(viewer.username or "")
    if account is None or (account.role, account.division_code) != (viewer.role, viewer.division_code):
        refuse(
            viewer,
            Refusal(
                "Your access has changed since this page was shown: sign in again.",
                scope=pack.scope,
                detail="account removed or changed before the download",
            ),
        )
    _check_pack_access(viewer, pack.scope)
    chosen = next((f for f in pack.files if f.file_name == file_name), None)
    if chosen is None:
        refuse(viewer, Refusal("That file is not part of this pack.", scope=pack.scope, detail="unknown download file"))
    query = _queries(pack.scope, pack.min_records)[chosen.mart]
    with tempfile.TemporaryDirectory(prefix="scrs-pack-") as tmp, connection(pack.source) as con:
        written = write_marts(con, {chosen.mart: query}, Path(tmp))[0]
        data = next(p for p in written.files if p.suffix == f".{chosen.ext}").read_bytes()
    log_event(viewer, "download", scope=pack.scope, file=chosen.file_name, rows=written.rows)
    return data


def table_bytes(viewer: Viewer, frame: pd.DataFrame, file_name: str, what: str) -> bytes:
    """A table exactly as shown, as CSV, logged as a download when its bytes are made (on click)."""
    data = frame.to_csv(index=False).encode("utf-8")
    log_event(viewer, "download", scope="table", file=file_name, rows=len(frame), detail=what)
    return data


def access_log_entries(viewer: Viewer) -> pd.DataFrame:
    """Every access-log entry, newest first (registrars and engineers only)."""
    enforce(viewer, access_log_refusal(viewer))
    columns = [c for c in access_log.FIELDS if c != "prev"]
    entries = access_log.read(settings().access_log)
    frame = pd.DataFrame(entries, columns=list(access_log.FIELDS)) if entries else pd.DataFrame(columns=columns)
    return frame[columns].iloc[::-1].reset_index(drop=True)


def access_log_check(viewer: Viewer) -> tuple[access_log.LogCheck, list[int]]:
    """What `scrs access-log verify` finds, and the lines that could not be read (registrars and engineers)."""
    enforce(viewer, access_log_refusal(viewer))
    path = settings().access_log
    return access_log.check(path), access_log.read_entries(path).bad_lines


def access_log_intact(viewer: Viewer) -> int | None:
    """The first access-log line whose hash chain is broken, or None when the log is intact."""
    enforce(viewer, access_log_refusal(viewer))
    return access_log.verify(settings().access_log)

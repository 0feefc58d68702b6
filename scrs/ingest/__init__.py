"""Ingest: landing files -> `landing.<kind>` (as written) -> `raw.<kind>` (typed, pseudonymised, append-only).

Typical use (one open connection to the private build DB):

    files = discover_new_files(con, landing_dir, "crimes")
    faults = read_into_landing(con, files, "crimes", pseudonym_key=settings.pseudonym_key)
    ... quality checks (scrs.quality.validate_landing), quarantine of failing files ...
    append_to_raw(con, "crimes", passing_files, run_id, settings.pseudonym_key)
"""

from scrs.ingest.landing import (
    FileFault,
    LandingFile,
    discover_new_files,
    ensure_landing,
    ensure_registry,
    landing_files,
    read_into_landing,
    sha256_file,
)
from scrs.ingest.pseudonym import pseudonymise
from scrs.ingest.raw import append_to_raw, ensure_raw, raw_columns
from scrs.ingest.schema import EXTRACT_COLUMNS, EXTRACT_KEYS, column_names

__all__ = [
    "EXTRACT_COLUMNS",
    "EXTRACT_KEYS",
    "FileFault",
    "LandingFile",
    "append_to_raw",
    "column_names",
    "discover_new_files",
    "ensure_landing",
    "ensure_raw",
    "ensure_registry",
    "landing_files",
    "pseudonymise",
    "raw_columns",
    "read_into_landing",
    "sha256_file",
]

"""Operating the service: the marker a failed run leaves for engineers, and reading it back.

A failed pipeline run (from `scrs run` or launched by the Dagster daemon) writes
`<warehouse>/status/last_run_failed.json`: which run, when, and the one-line reason. The next run that
publishes removes it. The dashboard shows it to engineers (`last_failure`); monitoring can watch the file.
It is not kept in `<warehouse>/state/`, which holds what cannot be rebuilt and is backed up: a restored
marker would report an old failure as the current one.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from pathlib import Path

FAILURE_MARKER = Path("status") / "last_run_failed.json"


def failure_marker(warehouse_dir: Path | str) -> Path:
    return Path(warehouse_dir) / FAILURE_MARKER


def record_failure(warehouse_dir: Path | str, run_id: str, reason: str, source: str = "dagster") -> Path:
    """Write (atomically) the marker of a failed run; the latest failure replaces an earlier one."""
    path = failure_marker(warehouse_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = [line.strip() for line in reason.strip().splitlines() if line.strip()]
    marker = {
        "run_id": run_id,
        "failed_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "reason": lines[0] if lines else "the run failed",
        "source": source,
    }
    tmp = path.with_suffix(f".{os.getpid()}.tmp")
    tmp.write_text(json.dumps(marker, indent=2) + "\n")
    os.replace(tmp, path)
    return path


def clear_failure(warehouse_dir: Path | str) -> None:
    """A run published: the last failure is no longer the state of the service."""
    failure_marker(warehouse_dir).unlink(missing_ok=True)


def last_failure(warehouse_dir: Path | str) -> dict | None:
    """The last failed run since the last publication ({run_id, failed_at, reason, source}), or None."""
    try:
        marker = json.loads(failure_marker(warehouse_dir).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        return {"run_id": "", "failed_at": "", "reason": "the failure marker could not be read", "source": ""}
    return marker if isinstance(marker, dict) else None

"""Every setting of the product in one place, read from the environment with safe local defaults.

Settings that change figures (target, 72-hour limit, disclosure threshold) are dbt vars as well; the
defaults here and in `dbt/dbt_project.yml` must agree (a test checks it).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
DBT_PROJECT_DIR = REPO_ROOT / "dbt"
SEEDS_DIR = REPO_ROOT / "seeds"
EXPECTATIONS_DIR = REPO_ROOT / "expectations"

# Clearly a demo value: any real deployment must set SCRS_PSEUDONYM_KEY (a long random secret).
DEMO_PSEUDONYM_KEY = "DEMO-ONLY-NOT-SECRET-pseudonym-key"

EXTRACT_KINDS: tuple[str, ...] = (
    "incidents",
    "crimes",
    "training",
    "improvement_updates",
    "audit_sample",
    "audit_outcomes",
)

SERVED_DB_NAME = "warehouse.duckdb"


def switched_on(name: str) -> bool:
    """An on/off switch in the environment: on when `on`, `1`, `true` or `yes` (any case), off otherwise. The
    service's environment file (deploy/scrs.env.example) turns on what a development machine leaves off."""
    return os.environ.get(name, "").strip().lower() in {"on", "1", "true", "yes"}


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name, default)).expanduser().resolve()


@dataclass(frozen=True)
class Settings:
    """Run-time settings. Construct with `Settings.from_env()` unless a test needs explicit values."""

    landing_dir: Path
    warehouse_dir: Path
    pseudonym_key: str = DEMO_PSEUDONYM_KEY
    compliance_target_pct: float = 95.0
    timely_limit_hours: float = 72.0
    disclosure_min_records: int = 10
    extract_kinds: tuple[str, ...] = field(default=EXTRACT_KINDS)
    # Dashboard access (docs/access.md): the users file, session lifetime, failed sign-in throttling.
    users_path: Path | None = None
    session_max_hours: float = 8.0
    session_idle_minutes: float = 60.0
    login_max_failures: int = 5
    login_lockout_minutes: float = 15.0
    # The review store's folder (None: `<warehouse>/state`).
    state_path: Path | None = None
    # Failed sign-ins per client address, whatever the username (scrs/throttle.py).
    login_client_max_failures: int = 10
    login_client_block_minutes: float = 15.0
    # Figures as reported to the committee (`scrs report --final`): outside the rebuilt warehouse file.
    as_reported_path: Path | None = None

    @classmethod
    def from_env(cls, landing_dir: Path | str | None = None, warehouse_dir: Path | str | None = None) -> Settings:
        return cls(
            landing_dir=Path(landing_dir).resolve() if landing_dir else _env_path("SCRS_LANDING_DIR", "data/landing"),
            warehouse_dir=(
                Path(warehouse_dir).resolve() if warehouse_dir else _env_path("SCRS_WAREHOUSE_DIR", "data/warehouse")
            ),
            pseudonym_key=os.environ.get("SCRS_PSEUDONYM_KEY", DEMO_PSEUDONYM_KEY),
            compliance_target_pct=float(os.environ.get("SCRS_COMPLIANCE_TARGET_PCT", "95")),
            timely_limit_hours=float(os.environ.get("SCRS_TIMELY_LIMIT_HOURS", "72")),
            disclosure_min_records=int(os.environ.get("SCRS_DISCLOSURE_MIN_RECORDS", "10")),
            users_path=_env_path("SCRS_USERS_FILE", "") if os.environ.get("SCRS_USERS_FILE") else None,
            session_max_hours=float(os.environ.get("SCRS_SESSION_HOURS", "8")),
            session_idle_minutes=float(os.environ.get("SCRS_SESSION_IDLE_MINUTES", "60")),
            login_max_failures=int(os.environ.get("SCRS_LOGIN_MAX_FAILURES", "5")),
            login_lockout_minutes=float(os.environ.get("SCRS_LOGIN_LOCKOUT_MINUTES", "15")),
            state_path=_env_path("SCRS_STATE_DIR", "") if os.environ.get("SCRS_STATE_DIR") else None,
            login_client_max_failures=int(os.environ.get("SCRS_LOGIN_CLIENT_MAX_FAILURES", "10")),
            login_client_block_minutes=float(os.environ.get("SCRS_LOGIN_CLIENT_BLOCK_MINUTES", "15")),
            as_reported_path=_env_path("SCRS_AS_REPORTED_DB", "") if os.environ.get("SCRS_AS_REPORTED_DB") else None,
        )

    @property
    def using_demo_key(self) -> bool:
        return self.pseudonym_key == DEMO_PSEUDONYM_KEY

    # Paths inside the warehouse directory (docs/architecture.md).
    @property
    def served_db(self) -> Path:
        return self.warehouse_dir / SERVED_DB_NAME

    @property
    def build_dir(self) -> Path:
        return self.warehouse_dir / ".build"

    def build_db(self, run_id: str) -> Path:
        return self.build_dir / f"{run_id}.duckdb"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder (partial-parse state, the last run's log and results), kept per warehouse."""
        return self.warehouse_dir / ".dbt" / "target"

    @property
    def dbt_plans_dir(self) -> Path:
        """Incremental dbt builds recorded for replay (dagster_project/dbt_plan.py): rebuilt by dbt if lost."""
        return self.warehouse_dir / ".dbt" / "plans"

    @property
    def quality_history_dir(self) -> Path:
        return self.warehouse_dir / "quality" / "history"

    @property
    def data_docs_dir(self) -> Path:
        return self.warehouse_dir / "quality" / "data_docs"

    @property
    def access_log(self) -> Path:
        return self.warehouse_dir / "logs" / "access.jsonl"

    @property
    def state_dir(self) -> Path:
        """What the product cannot rebuild from extracts (the review store, the figures as reported):
        `SCRS_STATE_DIR`, else
        `<warehouse>/state`. Never inside the served warehouse file; backed up by `scrs backup`."""
        return self.state_path if self.state_path is not None else self.warehouse_dir / "state"

    @property
    def review_store(self) -> Path:
        """The crime managers' review store (SQLite): review states, their history, first-seen dates."""
        return self.state_dir / "reviews.sqlite"

    @property
    def users_file(self) -> Path:
        """Dashboard accounts (salted password hashes): `SCRS_USERS_FILE`, else beside the warehouse folder."""
        return self.users_path if self.users_path is not None else self.warehouse_dir.parent / "users.json"

    @property
    def as_reported_db(self) -> Path:
        """The committee's figures as reported (SQLite, never rebuilt): `SCRS_AS_REPORTED_DB`, else
        `<state_dir>/as_reported.sqlite` (so `scrs backup` copies it with the review store)."""
        if self.as_reported_path is not None:
            return self.as_reported_path
        return self.state_dir / "as_reported.sqlite"

    @property
    def run_lock(self) -> Path:
        return self.warehouse_dir / ".run.lock"

    @property
    def quarantine_dir(self) -> Path:
        return self.landing_dir / "quarantine"

    def dbt_vars(self) -> dict[str, float | int]:
        return {
            "compliance_target_pct": self.compliance_target_pct,
            "timely_limit_hours": self.timely_limit_hours,
            "disclosure_min_records": self.disclosure_min_records,
        }

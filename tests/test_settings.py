"""Settings that change figures are defined twice (Python for exports and the dashboard, dbt vars for the
marts); their defaults must agree, and the environment must reach dbt."""

from __future__ import annotations

import yaml

from scrs.settings import DBT_PROJECT_DIR, Settings


def test_python_defaults_equal_the_dbt_vars(monkeypatch):
    for name in ("SCRS_COMPLIANCE_TARGET_PCT", "SCRS_TIMELY_LIMIT_HOURS", "SCRS_DISCLOSURE_MIN_RECORDS"):
        monkeypatch.delenv(name, raising=False)
    dbt_vars = yaml.safe_load((DBT_PROJECT_DIR / "dbt_project.yml").read_text())["vars"]
    for name, value in Settings.from_env("l", "w").dbt_vars().items():
        assert float(dbt_vars[name]) == float(value), name


def test_environment_settings_are_passed_to_dbt(monkeypatch):
    monkeypatch.setenv("SCRS_COMPLIANCE_TARGET_PCT", "90")
    monkeypatch.setenv("SCRS_TIMELY_LIMIT_HOURS", "48")
    monkeypatch.setenv("SCRS_DISCLOSURE_MIN_RECORDS", "5")
    assert Settings.from_env("l", "w").dbt_vars() == {
        "compliance_target_pct": 90.0,
        "timely_limit_hours": 48.0,
        "disclosure_min_records": 5,
    }


def test_the_demo_pseudonym_key_is_flagged(monkeypatch):
    monkeypatch.delenv("SCRS_PSEUDONYM_KEY", raising=False)
    assert Settings.from_env("l", "w").using_demo_key
    monkeypatch.setenv("SCRS_PSEUDONYM_KEY", "a-real-secret")
    assert not Settings.from_env("l", "w").using_demo_key

"""Words for the registrars' audit: the agreement sentence and what a kappa value is usually read as."""

from __future__ import annotations

from typing import Any

import pandas as pd

from streamlit_app.ui import format as fmt
from streamlit_app.ui import tables

# What each test's records are, for "agreed on 96% of audited crimes".
RECORD_NOUN = {"TEST1": "incidents", "TEST2": "crimes", "NOCRIME": "No Crime decisions"}


def kappa_words(kappa: Any) -> str:
    """The usual reading of a kappa value (docs/registrar_audit.md, "What kappa means")."""
    if kappa is None or pd.isna(kappa):
        return "not defined"
    k = float(kappa)
    if k < 0:
        return "worse than chance"
    for bound, words in ((0.2, "slight"), (0.4, "fair"), (0.6, "moderate"), (0.8, "substantial")):
        if k < bound:
            return words
    return "strong"


def agreement_sentence(row: pd.Series) -> str:
    """e.g. "The rules and the registrars agreed on 96% of 180 audited crimes; kappa 0.81 [0.70, 0.92]
    (strong agreement beyond chance)." Blank figures (suppressed, or kappa undefined) are said as such."""
    noun = RECORD_NOUN.get(str(row["test_code"]), "records")
    audited = int(row["audited"])
    if pd.isna(row.get("agreement_pct")):
        return f"Agreement on {audited} audited {noun} is suppressed (too few records to publish)."
    head = f"The rules and the registrars agreed on {float(row['agreement_pct']):.0f}% of {audited:,} audited {noun}"
    if pd.isna(row.get("kappa")):
        return head + "; kappa is not defined (both gave the same single verdict on every record)."
    return (
        f"{head}; kappa {float(row['kappa']):.2f} [{float(row['kappa_ci_lower']):.2f}, "
        f"{float(row['kappa_ci_upper']):.2f}] ({kappa_words(row['kappa'])} agreement beyond chance)."
    )


def division_results_table(results: pd.DataFrame) -> pd.DataFrame:
    """The registrars' sampled figures per division and test as a readable table."""
    return pd.DataFrame(
        {
            "Test": results["test_name"].to_numpy(),
            "Division": results["division_name"].to_numpy(),
            "Code": results["division_code"].to_numpy(),
            "Audit %": results["compliance_pct"].to_numpy(),
            "Lower %": results["ci_lower_pct"].to_numpy(),
            "Upper %": results["ci_upper_pct"].to_numpy(),
            "Status": [fmt.status_words(s) for s in fmt.shown_statuses(results)],
            "Compliant": results["compliant"].to_numpy(),
            "Audited": results["audited"].to_numpy(),
            "Sampled": results["sampled"].to_numpy(),
            "Records in the quarter": results["population"].to_numpy(),
        }
    )


def agreement_table(frame: pd.DataFrame, labels: dict[str, str], name: str, key: str) -> None:
    """A 2x2 agreement frame as a readable table (labels first), with its download button."""
    out = pd.DataFrame({label: frame[column].to_numpy() for column, label in labels.items()})
    for column, label in (
        ("audited", "Audited"),
        ("both_compliant", "Both compliant"),
        ("both_noncompliant", "Both non-compliant"),
        ("rule_only_failed", "Only the rules failed it"),
        ("registrar_only_failed", "Only the registrar failed it"),
        ("agreement_pct", "Agreement %"),
        ("kappa", "Kappa"),
        ("kappa_ci_lower", "Kappa lower"),
        ("kappa_ci_upper", "Kappa upper"),
    ):
        out[label] = frame[column].to_numpy()
    tables.table(out, name, key=key)

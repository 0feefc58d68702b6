"""Trend charts of the pack as PNG images, each with a text alternative generated from the same figures.

matplotlib (Agg backend, no display) renders offline. Colour never carries meaning alone: the interval is
drawn as error bars, the target as a labelled dashed line, and the alt text states the figures.
"""

from __future__ import annotations

import io
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from scrs.report.model import Chart, Pack  # noqa: E402


def _alt_text(test_code: str, name: str, points: list[dict[str, Any]], target: float) -> str:
    shown = [p for p in points if p.get("compliance_pct") is not None]
    if not shown:
        return f"{name} ({test_code}): no quarter has enough records to publish a rate."
    first, last = shown[0], shown[-1]
    low = min(shown, key=lambda p: p["compliance_pct"])
    high = max(shown, key=lambda p: p["compliance_pct"])
    return (
        f"Line chart of {name} ({test_code}), Scotland, by financial quarter from {first['fiscal_year']} "
        f"Q{first['fiscal_quarter']} to {last['fiscal_year']} Q{last['fiscal_quarter']}, with 95% intervals "
        f"and the {target:g}% target. From {first['compliance_pct']:.2f}% to {last['compliance_pct']:.2f}% "
        f"(interval {last['ci_lower_pct']:.2f} to {last['ci_upper_pct']:.2f}); lowest {low['compliance_pct']:.2f}% "
        f"in {low['fiscal_year']} Q{low['fiscal_quarter']}, highest {high['compliance_pct']:.2f}% in "
        f"{high['fiscal_year']} Q{high['fiscal_quarter']}. The figures are in table tables/trend.csv."
    )


def trend_charts(pack: Pack) -> list[Chart]:
    names = {row["test_code"]: row["measure"] for row in pack.tables["headline"].rows}
    charts = []
    for test_code, name in names.items():
        points = [r for r in pack.tables["trend"].rows if r["test_code"] == test_code]
        shown = [p for p in points if p.get("compliance_pct") is not None]
        fig, ax = plt.subplots(figsize=(7, 2.8), dpi=110)
        labels = [f"{p['fiscal_year']} Q{p['fiscal_quarter']}" for p in shown]
        rates = [p["compliance_pct"] for p in shown]
        errors = [
            [p["compliance_pct"] - p["ci_lower_pct"] for p in shown],
            [p["ci_upper_pct"] - p["compliance_pct"] for p in shown],
        ]
        ax.errorbar(range(len(shown)), rates, yerr=errors, fmt="o-", color="#1f3b73", capsize=3, label="rate, 95% CI")
        ax.axhline(pack.target_pct, color="#444444", linestyle="--", linewidth=1, label=f"{pack.target_pct:g}% target")
        if shown:
            low = min([p["ci_lower_pct"] for p in shown] + [pack.target_pct])
            high = max([p["ci_upper_pct"] for p in shown] + [pack.target_pct])
            ax.set_ylim(max(0.0, low - 2), min(101.0, high + 1.5))
        ax.set_xticks(range(len(shown)), labels, rotation=45, ha="right", fontsize=7)
        ax.set_ylabel("% compliant")
        ax.set_title(f"{name} ({test_code}), Scotland", fontsize=10)
        ax.legend(loc="lower right", fontsize=7)
        fig.tight_layout()
        buffer = io.BytesIO()
        fig.savefig(buffer, format="png")
        plt.close(fig)
        charts.append(
            Chart(
                f"trend_{test_code}",
                f"{name}: national trend",
                buffer.getvalue(),
                _alt_text(test_code, name, points, pack.target_pct),
            )
        )
    return charts

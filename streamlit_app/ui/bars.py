"""Bar charts: horizontal bars with their values written on them, and 100% stacked shares."""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from streamlit_app.ui.charts import chart_title, show_chart
from streamlit_app.ui.format import PALETTE


def bar_chart(
    df: pd.DataFrame,
    *,
    category: str,
    category_title: str,
    value: str,
    value_title: str,
    label: str,
    finding: str,
    subtitle: str | None = None,
    colour: str = PALETTE[0],
) -> None:
    """Horizontal bars with their value written at the end of each bar."""
    data = df.copy()
    # No axis title: the labels name each bar and the chart title says what they are (a rotated title
    # collides with long labels).
    y = alt.Y(f"{category}:N", title=None, sort="-x", axis=alt.Axis(labelLimit=320))
    tooltip = [alt.Tooltip(f"{category}:N", title=category_title), alt.Tooltip(f"{label}:N", title=value_title)]
    base = alt.Chart(data)
    bars = base.mark_bar(color=colour).encode(y=y, x=alt.X(f"{value}:Q", title=value_title), tooltip=tooltip)
    text = base.mark_text(align="left", dx=4, fontSize=12).encode(y=y, x=f"{value}:Q", text=f"{label}:N")
    chart = (bars + text).properties(title=chart_title(finding, subtitle), height=34 * len(data) + 130)
    show_chart(chart, finding)


def stacked_share_chart(
    df: pd.DataFrame,
    *,
    category: str,
    category_title: str,
    parts: Sequence[tuple[str, str]],
    finding: str,
    subtitle: str | None = None,
) -> None:
    """100% stacked bars (e.g. completed / in progress / assigned) with each part's share as text."""
    long = df.melt(id_vars=[category], value_vars=[c for c, _ in parts], var_name="part", value_name="count")
    names = dict(parts)
    long["part_name"] = long["part"].map(names)
    totals = long.groupby(category)["count"].transform("sum")
    long["share"] = (100 * long["count"] / totals).where(totals > 0)
    long["order"] = long["part"].map({c: i for i, (c, _) in enumerate(parts)})
    long["label"] = [f"{s:.0f}%" if pd.notna(s) and s >= 6 else "" for s in long["share"]]
    domain = [n for _, n in parts]
    colour = alt.Color(
        "part_name:N",
        title="Status",
        scale=alt.Scale(domain=domain, range=[PALETTE[0], PALETTE[4], PALETTE[1]]),
        legend=alt.Legend(orient="bottom"),
        sort=domain,
    )
    y = alt.Y(f"{category}:N", title=category_title, sort=list(df[category]), axis=alt.Axis(labelLimit=320))
    tooltip = [
        alt.Tooltip(f"{category}:N", title=category_title),
        alt.Tooltip("part_name:N", title="Status"),
        alt.Tooltip("count:Q", title="Count", format=","),
        alt.Tooltip("share:Q", title="Share %", format=".1f"),
    ]
    base = alt.Chart(long)
    bars = base.mark_bar(stroke="#FFFFFF", strokeWidth=1).encode(
        y=y,
        x=alt.X("count:Q", stack="normalize", title="Share of course assignments", axis=alt.Axis(format="%")),
        color=colour,
        order=alt.Order("order:Q"),
        tooltip=tooltip,
    )
    text = base.mark_text(dx=-4, align="right", fontSize=11, fontWeight="bold").encode(
        y=y,
        x=alt.X("count:Q", stack="normalize"),
        text="label:N",
        order=alt.Order("order:Q"),
        color=alt.condition(alt.datum.part == "completed", alt.value("#FFFFFF"), alt.value("#000000")),
    )
    chart = (bars + text).properties(title=chart_title(finding, subtitle), height=32 * df[category].nunique() + 160)
    show_chart(chart, finding)

"""Shared rendering: status words, number formats, accessible Altair charts, tables with downloads.

Accessibility rules kept here so pages cannot forget them:
- status is always written in words, never shown by colour alone;
- colours come from the Okabe-Ito palette (safe for the common colour-vision deficiencies), and the three
  statuses also differ in lightness and marker shape, so they survive greyscale printing;
- every chart has a title that states its finding (computed by the page from the data), axis titles, a
  tooltip, and an `alt` description for screen readers; every table has a "Download this table" button.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterable, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from scrs.reference import reason_words
from streamlit_app import data_access
from streamlit_app.viewer import Viewer, current_viewer

# Okabe-Ito, for series (lines, stacked bars).
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"]

# Fill and text colour per status: dark blue / orange / pale grey differ in lightness as well as hue.
STATUS_STYLE: dict[str, dict[str, str]] = {
    "meets": {"fill": "#0072B2", "text": "#FFFFFF", "shape": "circle", "tag": "meets"},
    "below": {"fill": "#E69F00", "text": "#000000", "shape": "triangle-down", "tag": "below"},
    "not_distinguishable": {"fill": "#DDDDDD", "text": "#000000", "shape": "diamond", "tag": "can't tell"},
    "suppressed": {"fill": "#FFFFFF", "text": "#555555", "shape": "square", "tag": "suppressed"},
}
STATUS_ORDER = ["meets", "not_distinguishable", "below", "suppressed"]

REASON_WORDS = reason_words()  # seeds/failure_reasons.csv: the same words as the worklist and exports
UNIT_WORDS = {
    "RESOLUTION_TEAM": "Resolution Teams",
    "LOCAL_POLICING": "Local policing",
    "CIMU": "Crime and incident management units",
    "SPECIALIST": "Specialist units",
    "UNKNOWN": "Not given",
}
QUARTER_WORDS = {1: "Q1 (Apr–Jun)", 2: "Q2 (Jul–Sep)", 3: "Q3 (Oct–Dec)", 4: "Q4 (Jan–Mar, annual audit)"}


# --------------------------------------------------------------------------------------------------------
# Words and numbers


def target_pct() -> float:
    return data_access.settings().compliance_target_pct


def min_records() -> int:
    return data_access.settings().disclosure_min_records


def fmt_target() -> str:
    return f"{target_pct():g}%"


def status_words(status: Any) -> str:
    """The status against the target in words, e.g. "Meets the 95% target"."""
    target = fmt_target()
    return {
        "meets": f"Meets the {target} target",
        "below": f"Below the {target} target",
        "not_distinguishable": f"Cannot be told apart from {target}",
        "suppressed": f"Suppressed (fewer than {min_records()} records)",
    }.get(str(status), "No figure")


_BADGE = {
    "meets": ("blue", ":material/check_circle:"),
    "below": ("orange", ":material/arrow_downward:"),
    "not_distinguishable": ("gray", ":material/help:"),
    "suppressed": ("gray", ":material/visibility_off:"),
}


def status_badge(status: Any) -> str:
    """Markdown for a coloured badge that carries the status in words and an icon."""
    colour, icon = _BADGE.get(str(status), ("gray", ""))
    return f":{colour}-badge[{icon} {status_words(status)}]"


def status_tag(status: Any) -> str:
    """A short form for tight spaces (matrix cells): meets / below / can't tell / suppressed."""
    return STATUS_STYLE.get(str(status), {"tag": "–"})["tag"]


def fmt_pct(value: Any, decimals: int = 2) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{float(value):.{decimals}f}%"


def fmt_interval(lower: Any, upper: Any, decimals: int = 2) -> str:
    if lower is None or upper is None or pd.isna(lower) or pd.isna(upper):
        return "–"
    return f"{float(lower):.{decimals}f}–{float(upper):.{decimals}f}%"


def fmt_change(value: Any) -> str | None:
    if value is None or pd.isna(value):
        return None
    return f"{float(value):+.2f} pp"


def fmt_count(value: Any) -> str:
    if value is None or pd.isna(value):
        return "–"
    return f"{int(value):,}"


def trend_verb(change: float) -> str:
    if change > 0:
        return "rose"
    if change < 0:
        return "fell"
    return "was unchanged"


def slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


# --------------------------------------------------------------------------------------------------------
# Page scaffolding


def render_page(body: Callable[[Viewer], None]) -> None:
    """Run a page body with the signed-in viewer; missing data or refused access becomes a message.

    Pages never choose the viewer: `current_viewer()` resolves the signed-in session (and refuses when there
    is none), and `data_access` applies its scope.
    """
    try:
        viewer = current_viewer()
    except data_access.AccessDenied as exc:
        st.warning(str(exc))
        return
    try:
        body(viewer)
    except data_access.DataUnavailable as exc:
        st.info(str(exc))
    except data_access.AccessDenied as exc:
        st.warning(str(exc))
    disclosure_note(viewer)


def disclosure_note(viewer: Viewer) -> None:
    """Say when this view suppresses small cells (committee-facing views), and for whom it does not."""
    if not viewer.suppresses_small_cells:
        return
    own = (
        f" Your own division ({viewer.division_code}) is shown unsuppressed."
        if viewer.role == "division" and viewer.division_code
        else ""
    )
    st.caption(
        f":material/visibility_off: Disclosure control: any rate or count built on fewer than {min_records()} "
        f"records is suppressed in this view (shown as “suppressed” or left blank), because small numbers can "
        f"identify people.{own}"
    )


def period_caption(fiscal_year: str, fiscal_quarter: int | None) -> str:
    if fiscal_quarter is None:
        return f"{fiscal_year}, all quarters"
    return f"{fiscal_year} {QUARTER_WORDS.get(int(fiscal_quarter), f'Q{fiscal_quarter}')}"


# --------------------------------------------------------------------------------------------------------
# Tables


def download_table(df: pd.DataFrame, name: str, *, key: str | None = None, label: str | None = None) -> None:
    st.download_button(
        label or "Download this table (CSV)",
        data=df.to_csv(index=False).encode("utf-8"),
        file_name=f"{slug(name)}.csv",
        mime="text/csv",
        key=key or f"download_{slug(name)}",
        icon=":material/download:",
        on_click="ignore",
    )


def table(
    df: pd.DataFrame,
    name: str,
    *,
    key: str,
    column_config: dict[str, Any] | None = None,
    caption: str | None = None,
    height: int | str = "auto",
) -> None:
    """A table with its download button (the CSV is exactly the rows and columns shown)."""
    if caption:
        st.caption(caption)
    st.dataframe(
        df,
        hide_index=True,
        column_config=column_config,
        key=f"table_{key}",
        height=height,
        alt=f"Table: {name}",
    )
    download_table(df, name, key=f"download_{key}")


def rate_table(df: pd.DataFrame, label_columns: dict[str, str]) -> pd.DataFrame:
    """A compliance frame as a readable table: labels, rate, interval, counts, status in words."""
    out = pd.DataFrame({label: df[column].to_numpy() for column, label in label_columns.items()})
    out["Compliance %"] = df["compliance_pct"].to_numpy()
    out["Status"] = [status_words(s) for s in df["status"]]
    out["95% interval lower %"] = df["ci_lower_pct"].to_numpy()
    out["95% interval upper %"] = df["ci_upper_pct"].to_numpy()
    out["Compliant"] = df["compliant"].to_numpy()
    out["Examined"] = df["examined"].to_numpy()
    return out


# --------------------------------------------------------------------------------------------------------
# Charts


def _status_scales(statuses: Iterable[Any]) -> tuple[alt.Scale, alt.Scale, alt.Legend]:
    """Colour and shape scales for the statuses present (the legend lists only those)."""
    present = [s for s in STATUS_ORDER if s in set(map(str, statuses))] or STATUS_ORDER[:3]
    domain = [status_words(s) for s in present]
    colours = alt.Scale(domain=domain, range=[STATUS_STYLE[s]["fill"] for s in present])
    shapes = alt.Scale(domain=domain, range=[STATUS_STYLE[s]["shape"] for s in present])
    return colours, shapes, alt.Legend(title="Status", orient="bottom", labelLimit=0, direction="horizontal")


def _axis_floor(lows: pd.Series) -> float:
    """Lower end of a rate axis: a multiple of 5 below both the lowest interval bound and the target."""
    lowest = min(float(lows.min()) if len(lows) else 100.0, target_pct())
    return max(0.0, ((lowest - 1) // 5) * 5)


def _chart_frame(df: pd.DataFrame, *, drop_suppressed: bool = True) -> pd.DataFrame:
    """A copy of a rate frame with the status in words and the interval as text (for tooltips)."""
    data = df[~df["status"].eq("suppressed")].copy() if drop_suppressed else df.copy()
    data["status_words"] = [status_words(s) for s in data["status"]]
    data["interval"] = [fmt_interval(lo, hi) for lo, hi in zip(data["ci_lower_pct"], data["ci_upper_pct"], strict=True)]
    return data


def show_chart(chart: alt.TopLevelMixin, description: str) -> None:
    st.altair_chart(chart, width="stretch", alt=description)


def chart_title(finding: str, subtitle: str | None = None, width: int = 95) -> alt.TitleParams:
    """The chart's title (the finding) and subtitle, wrapped so a long finding never squeezes the plot."""
    return alt.TitleParams(
        text=textwrap.wrap(finding, width) or [""],
        subtitle=textwrap.wrap(subtitle, int(width * 1.3)) if subtitle else "",
        anchor="start",
        fontSize=16,
        subtitleFontSize=12,
        subtitlePadding=6,
        offset=12,
    )


def interval_chart(
    df: pd.DataFrame,
    *,
    category: str,
    category_title: str,
    finding: str,
    subtitle: str | None = None,
    sort: Sequence[str] | None = None,
    label: str | None = None,
) -> None:
    """Rates as points with their 95% intervals as bars, one row per category, and the target line.

    Bars that overlap mean the two rates cannot be told apart; the caption under the chart says so.
    `label` is a text column written after each bar. Suppressed rows are left out of the chart (the
    table keeps them, marked).
    """
    data = _chart_frame(df)
    data["aria"] = [
        f"{cat}: {fmt_pct(p)}, 95% interval {i}, {w}"
        for cat, p, i, w in zip(
            data[category], data["compliance_pct"], data["interval"], data["status_words"], strict=True
        )
    ]
    colours, shapes, legend = _status_scales(data["status"])
    x_scale = alt.Scale(domain=[_axis_floor(data["ci_lower_pct"]), 100.0], nice=False)
    y = alt.Y(
        f"{category}:N",
        title=category_title,
        sort=list(sort) if sort is not None else None,
        axis=alt.Axis(labelLimit=320),
    )
    tooltip = [
        alt.Tooltip(f"{category}:N", title=category_title),
        alt.Tooltip("compliance_pct:Q", title="Compliance %", format=".2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("compliant:Q", title="Compliant", format=","),
        alt.Tooltip("examined:Q", title="Examined", format=","),
        alt.Tooltip("status_words:N", title="Status"),
    ]
    base = alt.Chart(data)
    layers = [
        base.mark_rule(strokeWidth=3, opacity=0.55, color="#444444").encode(
            y=y,
            x=alt.X("ci_lower_pct:Q", title="Compliance % (bar: 95% interval)", scale=x_scale),
            x2="ci_upper_pct:Q",
            tooltip=tooltip,
        ),
        base.mark_point(filled=True, size=110, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
            y=y,
            x=alt.X("compliance_pct:Q", scale=x_scale),
            color=alt.Color("status_words:N", title="Status", scale=colours, legend=legend),
            shape=alt.Shape("status_words:N", title="Status", scale=shapes, legend=legend),
            tooltip=tooltip,
            description="aria:N",
        ),
    ]
    if label:
        layers.append(
            base.mark_text(align="left", dx=8, fontSize=11).encode(
                y=y, x=alt.X("ci_upper_pct:Q", scale=x_scale), text=f"{label}:N"
            )
        )
    layers.append(
        alt.Chart(pd.DataFrame({"target": [target_pct()]}))
        .mark_rule(strokeDash=[6, 4], color="#000000", strokeWidth=1.5)
        .encode(x=alt.X("target:Q", scale=x_scale), tooltip=[alt.Tooltip("target:Q", title="Target %")])
    )
    rows = max(1, data[category].nunique())
    chart = alt.layer(*layers).properties(title=chart_title(finding, subtitle), height=30 * rows + 170)
    show_chart(chart, f"{finding}. Dot: compliance rate; bar: 95% interval; dashed line: the {fmt_target()} target.")
    st.caption(
        f"Dot: the rate. Bar: its 95% interval (Wilson). Dashed line: the {fmt_target()} target. "
        "Where two bars overlap, the two rates cannot be told apart."
    )


def _trend_layers(data: pd.DataFrame, *, series: str, series_title: str, series_legend: bool = True) -> list[alt.Chart]:
    """Band (interval), line, points (shape = status) and the target line, without data attached."""
    periods = sorted(data["period"].unique())
    y_scale = alt.Scale(domain=[_axis_floor(data["ci_lower_pct"]), 100.0], nice=False)
    series_domain = list(dict.fromkeys(data[series]))
    colour = alt.Color(
        f"{series}:N",
        title=series_title,
        scale=alt.Scale(domain=series_domain, range=PALETTE[: max(1, len(series_domain))]),
        legend=alt.Legend(orient="bottom", labelLimit=0) if series_legend else None,
    )
    x = alt.X("period:O", title="Financial year and quarter", sort=periods, axis=alt.Axis(labelAngle=-45))
    tooltip = [
        alt.Tooltip(f"{series}:N", title=series_title),
        alt.Tooltip("period:N", title="Period"),
        alt.Tooltip("compliance_pct:Q", title="Compliance %", format=".2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("examined:Q", title="Examined", format=","),
        alt.Tooltip("status_words:N", title="Status"),
    ]
    _, shapes, legend = _status_scales(data["status"])
    band = (
        alt.Chart()
        .mark_area(opacity=0.18)
        .encode(
            x=x,
            y=alt.Y("ci_lower_pct:Q", title="Compliance % (band: 95% interval)", scale=y_scale),
            y2="ci_upper_pct:Q",
            color=colour,
        )
    )
    line = (
        alt.Chart()
        .mark_line(strokeWidth=2)
        .encode(
            x=x,
            y=alt.Y("compliance_pct:Q", scale=y_scale),
            color=colour,
            strokeDash=alt.StrokeDash(f"{series}:N", legend=None),
        )
    )
    points = (
        alt.Chart()
        .mark_point(filled=True, size=60, stroke="#000000", strokeWidth=0.6, opacity=1)
        .encode(
            x=x,
            y=alt.Y("compliance_pct:Q", scale=y_scale),
            color=colour,
            shape=alt.Shape("status_words:N", title="Status", scale=shapes, legend=legend),
            tooltip=tooltip,
        )
    )
    target = alt.Chart().mark_rule(strokeDash=[6, 4], color="#000000").encode(y=alt.datum(target_pct()))
    return [band, line, points, target]


def trend_chart(
    df: pd.DataFrame,
    *,
    series: str,
    series_title: str,
    finding: str,
    subtitle: str | None = None,
    facet: str | None = None,
    facet_title: str | None = None,
    facet_sort: Sequence[str] | None = None,
) -> None:
    """Rates over periods: a line and points per series, the interval band, the target line.

    With `facet`, one small panel per value of that column (e.g. one per test), titled by that value.
    """
    data = _chart_frame(df)
    layers = _trend_layers(data, series=series, series_title=series_title, series_legend=facet is None)
    if facet:
        chart = (
            alt.layer(*layers, data=data)
            .properties(width=250, height=170)
            .facet(
                facet=alt.Facet(
                    f"{facet}:N",
                    title=facet_title,
                    sort=list(facet_sort) if facet_sort else "ascending",
                    header=alt.Header(labelFontSize=13, labelFontWeight="bold"),
                ),
                columns=3,
            )
            .properties(title=chart_title(finding, subtitle))
        )
    else:
        chart = alt.layer(*layers, data=data).properties(title=chart_title(finding, subtitle), height=440)
    show_chart(
        chart,
        f"{finding}. Lines: compliance rate by period; shaded band: 95% interval; dashed line: the "
        f"{fmt_target()} target.",
    )
    st.caption(
        f"Line and points: the rate each period. Shaded band: its 95% interval. Dashed line: the {fmt_target()} "
        "target. Marker shape gives the status against the target."
    )


def status_matrix(
    df: pd.DataFrame,
    *,
    row: str,
    row_title: str,
    column: str,
    column_title: str,
    finding: str,
    subtitle: str | None = None,
    row_sort: Sequence[str] | None = None,
    column_sort: Sequence[str] | None = None,
) -> None:
    """A heatmap whose cells carry the rate and the status in text as well as colour."""
    data = _chart_frame(df, drop_suppressed=False)
    data["cell_text"] = [
        status_tag(s) if s == "suppressed" else f"{fmt_pct(p, 1)} {status_tag(s)}"
        for p, s in zip(data["compliance_pct"], data["status"], strict=True)
    ]
    data["text_colour"] = [STATUS_STYLE.get(str(s), STATUS_STYLE["suppressed"])["text"] for s in data["status"]]
    colours, _, _ = _status_scales(data["status"])
    # Column labels wrap onto several lines ("|" marks the breaks) so long test names never collide.
    data["column_label"] = ["|".join(textwrap.wrap(str(v), 16)) for v in data[column]]
    column_labels = dict(zip(data[column], data["column_label"], strict=True))
    x = alt.X(
        "column_label:N",
        title=column_title,
        sort=[column_labels[v] for v in column_sort if v in column_labels] if column_sort else None,
        axis=alt.Axis(
            orient="top", labelAngle=0, labelOverlap=False, labelFontSize=12, labelExpr="split(datum.label, '|')"
        ),
    )
    y = alt.Y(
        f"{row}:N",
        title=row_title,
        sort=list(row_sort) if row_sort else None,
        axis=alt.Axis(labelLimit=320, labelFontSize=12),
    )
    tooltip = [
        alt.Tooltip(f"{row}:N", title=row_title),
        alt.Tooltip(f"{column}:N", title=column_title),
        alt.Tooltip("compliance_pct:Q", title="Compliance %", format=".2f"),
        alt.Tooltip("interval:N", title="95% interval"),
        alt.Tooltip("examined:Q", title="Examined", format=","),
        alt.Tooltip("status_words:N", title="Status"),
    ]
    legend = alt.Legend(
        title="Status",
        orient="bottom",
        labelLimit=0,
        direction="horizontal",
        symbolType="square",
        symbolSize=220,
        symbolStrokeColor="#555555",
        symbolStrokeWidth=1,
    )
    data["aria"] = [
        f"{r}, {col}: {fmt_pct(p)}, {status_words(st_)}"
        for r, col, p, st_ in zip(data[row], data[column], data["compliance_pct"], data["status"], strict=True)
    ]
    base = alt.Chart(data)
    cells = base.mark_rect(stroke="#FFFFFF", strokeWidth=2).encode(
        x=x,
        y=y,
        color=alt.Color("status_words:N", title="Status", scale=colours, legend=legend),
        tooltip=tooltip,
        description="aria:N",
    )
    text = base.mark_text(fontSize=13, fontWeight="bold", aria=False).encode(
        x=x, y=y, text="cell_text:N", color=alt.Color("text_colour:N", scale=None), tooltip=tooltip
    )
    rows = max(1, data[row].nunique())
    chart = (cells + text).properties(title=chart_title(finding, subtitle), height=36 * rows + 160)
    show_chart(chart, f"{finding}. Each cell gives the rate and, in words, its status against the target.")
    st.caption(
        f"Each cell: the rate and its status. meets = the whole 95% interval is at or above {fmt_target()}; "
        f"below = the whole interval is under {fmt_target()}; can't tell = the interval straddles "
        f"{fmt_target()}; suppressed = fewer than {min_records()} records (committee view); blank = no records "
        "examined."
    )


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

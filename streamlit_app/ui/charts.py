"""Accessible Altair charts: every chart has a title that states its finding (computed by the page from the
data), axis titles, a tooltip, and an `alt` description for screen readers; status is carried by shape and
words as well as colour (`ui.format`)."""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import altair as alt
import pandas as pd
import streamlit as st

from streamlit_app.ui.format import (
    PALETTE,
    STATUS_ORDER,
    STATUS_STYLE,
    fmt_interval,
    fmt_pct,
    fmt_target,
    min_records,
    shown_statuses,
    status_tag,
    status_words,
    target_pct,
)

# Legend symbols: thin outline so the fill colour shows (the marks have a black outline for contrast).
SYMBOLS = {"symbolSize": 160, "symbolStrokeWidth": 0.6}


def style_encodings(
    present: Iterable[str],
    style: Mapping[str, Mapping[str, str]],
    words: Callable[[str], str],
    *,
    title: str,
    field: str = "status_words",
) -> tuple[alt.Color, alt.Shape]:
    """Colour and shape for the categories of `style` that are `present`, sharing one legend (so its symbols
    show both). `field` holds each row's category in words (`words(category)`)."""
    shown = set(present)
    keys = [k for k in style if k in shown]
    domain = [words(k) for k in keys]
    legend = alt.Legend(title=title, orient="bottom", direction="horizontal", labelLimit=0, **SYMBOLS)
    colour = alt.Color(
        f"{field}:N", scale=alt.Scale(domain=domain, range=[style[k]["fill"] for k in keys]), legend=legend
    )
    shape = alt.Shape(
        f"{field}:N", scale=alt.Scale(domain=domain, range=[style[k]["shape"] for k in keys]), legend=legend
    )
    return colour, shape


def axis_floor(lows: pd.Series) -> float:
    """Lower end of a rate axis: a multiple of 5 below both the lowest interval bound and the target."""
    lowest = min(float(lows.min()) if len(lows) else 100.0, target_pct())
    return max(0.0, ((lowest - 1) // 5) * 5)


def status_points(base: alt.Chart, *, size: int, **encodings: Any) -> alt.Chart:
    """Filled markers outlined in black for contrast, colour and shape from `encodings` (status), described
    for screen readers by the data's `aria` column."""
    return base.mark_point(filled=True, size=size, stroke="#000000", strokeWidth=0.8, opacity=1).encode(
        **encodings, description="aria:N"
    )


def _status_scales(statuses: Iterable[Any]) -> tuple[alt.Scale, alt.Scale, alt.Legend]:
    """Colour and shape scales for the statuses present (the legend lists only those)."""
    present = [s for s in STATUS_ORDER if s in set(map(str, statuses))] or STATUS_ORDER[:3]
    domain = [status_words(s) for s in present]
    colours = alt.Scale(domain=domain, range=[STATUS_STYLE[s]["fill"] for s in present])
    shapes = alt.Scale(domain=domain, range=[STATUS_STYLE[s]["shape"] for s in present])
    return colours, shapes, alt.Legend(title="Status", orient="bottom", labelLimit=0, direction="horizontal")


def _chart_frame(df: pd.DataFrame, *, drop_suppressed: bool = True) -> pd.DataFrame:
    """A copy of a rate frame with the status as shown ("suppressed" for a blanked cell), in words, and the
    interval as text (for tooltips)."""
    data = df.assign(status=shown_statuses(df))
    data = data[~data["status"].eq("suppressed")].copy() if drop_suppressed else data
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
    x_scale = alt.Scale(domain=[axis_floor(data["ci_lower_pct"]), 100.0], nice=False)
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
        status_points(
            base,
            size=110,
            y=y,
            x=alt.X("compliance_pct:Q", scale=x_scale),
            color=alt.Color("status_words:N", title="Status", scale=colours, legend=legend),
            shape=alt.Shape("status_words:N", title="Status", scale=shapes, legend=legend),
            tooltip=tooltip,
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
    y_scale = alt.Scale(domain=[axis_floor(data["ci_lower_pct"]), 100.0], nice=False)
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
    # A description, so the rule's SVG items carry alternative text (axe: svg-img-alt).
    target = (
        alt.Chart()
        .mark_rule(strokeDash=[6, 4], color="#000000")
        .encode(y=alt.datum(target_pct()), description=alt.value(f"Target: {fmt_target()}"))
    )
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

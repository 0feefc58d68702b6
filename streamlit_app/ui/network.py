"""The improvement plan's links between actions as a network: a circular layout and its Altair chart.

Actions sit round a circle in plan order (the first at the top, clockwise); a line joins two linked actions,
solid when the plan lists the link under both actions, dashed when under one. Highlighting an action greys
out everything not linked with it.
"""

from __future__ import annotations

import math

import altair as alt
import pandas as pd

from streamlit_app.ui.charts import chart_title

NO_HIGHLIGHT = "(none)"
LISTED_BOTH = "Listed under both actions"
LISTED_ONE = "Listed under one action"


def neighbours(links: pd.DataFrame) -> dict[str, set[str]]:
    """Each action's linked actions, whichever of the two the plan lists the link under."""
    out: dict[str, set[str]] = {}
    for a, b in zip(links["from_action_id"], links["to_action_id"], strict=True):
        out.setdefault(a, set()).add(b)
        out.setdefault(b, set()).add(a)
    return out


def circle_layout(
    order: list[str], links: pd.DataFrame, highlight: str = NO_HIGHLIGHT
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Nodes (action_id, x, y, label position lx/ly, links = degree, focus) and edges (a, b, x, y, x2, y2,
    listed, link, focus) of the network, actions in `order` round the unit circle from the top, clockwise."""
    linked = neighbours(links)
    angle = {a: math.pi / 2 - 2 * math.pi * i / len(order) for i, a in enumerate(order)}
    nodes = pd.DataFrame({"action_id": order})
    nodes["x"] = [math.cos(angle[a]) for a in order]
    nodes["y"] = [math.sin(angle[a]) for a in order]
    nodes["lx"] = 1.16 * nodes["x"]
    nodes["ly"] = 1.16 * nodes["y"]
    nodes["links"] = [len(linked.get(a, set())) for a in order]
    nodes["focus"] = [highlight in (NO_HIGHLIGHT, a) or a in linked.get(highlight, set()) for a in order]

    listed = set(zip(links["from_action_id"], links["to_action_id"], strict=True))
    pairs = {tuple(sorted(pair, key=order.index)) for pair in listed}
    edges = pd.DataFrame(sorted(pairs, key=lambda p: (order.index(p[0]), order.index(p[1]))), columns=["a", "b"])
    edges["x"] = [math.cos(angle[a]) for a in edges["a"]]
    edges["y"] = [math.sin(angle[a]) for a in edges["a"]]
    edges["x2"] = [math.cos(angle[b]) for b in edges["b"]]
    edges["y2"] = [math.sin(angle[b]) for b in edges["b"]]
    edges["listed"] = [
        LISTED_BOTH if (a, b) in listed and (b, a) in listed else LISTED_ONE
        for a, b in zip(edges["a"], edges["b"], strict=True)
    ]
    edges["link"] = edges["a"] + " – " + edges["b"]
    edges["focus"] = [highlight in (NO_HIGHLIGHT, a, b) for a, b in zip(edges["a"], edges["b"], strict=True)]
    return nodes, edges


def network_chart(
    nodes: pd.DataFrame,
    edges: pd.DataFrame,
    *,
    colour: alt.Color,
    shape: alt.Shape,
    finding: str,
    subtitle: str,
    highlighted: bool,
) -> alt.LayerChart:
    """Edges, nodes (colour and shape: status; `nodes` also has title, status_words and aria) and labels."""
    scale = alt.Scale(domain=[-1.3, 1.3], nice=False)
    hidden = alt.Axis(title=None, labels=False, ticks=False, grid=False, domain=False)
    x = alt.X("x:Q", scale=scale, axis=hidden)
    y = alt.Y("y:Q", scale=scale, axis=hidden)
    edge_layer = (
        alt.Chart(edges)
        .mark_rule()
        .encode(
            x=x,
            y=y,
            x2="x2:Q",
            y2="y2:Q",
            strokeDash=alt.StrokeDash(
                "listed:N",
                title="Link",
                scale=alt.Scale(domain=[LISTED_BOTH, LISTED_ONE], range=[[1, 0], [5, 3]]),
                legend=alt.Legend(orient="bottom", labelLimit=0),
            ),
            color=alt.condition(alt.datum.focus, alt.value("#333333"), alt.value("#D0D0D0")),
            strokeWidth=alt.condition(alt.datum.focus, alt.value(1.6 if highlighted else 1.0), alt.value(0.6)),
            opacity=alt.condition(alt.datum.focus, alt.value(0.85), alt.value(0.5)),
            tooltip=[alt.Tooltip("link:N", title="Link"), alt.Tooltip("listed:N", title="Listed")],
        )
    )
    node_tooltip = [
        alt.Tooltip("action_id:N", title="Action"),
        alt.Tooltip("title:N", title="Title"),
        alt.Tooltip("status_words:N", title="Current status"),
        alt.Tooltip("links:Q", title="Linked actions"),
    ]
    node_layer = (
        alt.Chart(nodes)
        .mark_point(filled=True, size=380, stroke="#000000", strokeWidth=1)
        .encode(
            x=x,
            y=y,
            color=colour,
            shape=shape,
            opacity=alt.condition(alt.datum.focus, alt.value(1.0), alt.value(0.35)),
            tooltip=node_tooltip,
            description="aria:N",
        )
    )
    label_layer = (
        alt.Chart(nodes)
        .mark_text(fontSize=12, fontWeight="bold", aria=False)
        .encode(
            x=alt.X("lx:Q", scale=scale, axis=hidden),
            y=alt.Y("ly:Q", scale=scale, axis=hidden),
            text="action_id:N",
            tooltip=node_tooltip,
        )
    )
    return (edge_layer + node_layer + label_layer).properties(
        title=chart_title(finding, subtitle, width=80), width=620, height=620
    )

"""Small-cell suppression (contract 5.1): the one implementation, used by `scrs export`, the dashboard and the
committee's paper (`committee_pattern`: which cells are hidden; `hidden_in_period`, `change_hidden`,
`reported_hidden`: which of them a row of a change view or of figures as reported shows).

Primary rule: a cell built on fewer than `min_records` records shows its count only; its compliant count,
rate, interval, status and every count or share derived from it are blank (missing). The count column stays
unless it is itself listed among the columns to blank (a count of failing records is itself a small count).

A pure function over a pandas DataFrame: callers say which column counts the records, which columns to
blank, which rows are exempt (a division user's own division) and the hierarchy columns that place a cell
(period, test, area, division), so complementary suppression (5.1: no blanked value may be worked out from
its group's other cells and the group's total) can be added here without changing any caller.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

# The figures of a compliance cell blanked when it is suppressed (its `examined` count stays).
RATE_COLUMNS = ("compliant", "compliance_pct", "ci_lower_pct", "ci_upper_pct", "status")
# Where a cell of each compliance mart sits: the columns of its groups, for disclosure control.
COMPLIANCE_HIERARCHY: dict[str, tuple[str, ...]] = {
    "compliance_by_division_test": ("fiscal_year", "fiscal_quarter", "command_area", "division_code", "test_code"),
    "compliance_by_command_area_test": ("fiscal_year", "fiscal_quarter", "command_area", "test_code"),
    "compliance_national_test": ("fiscal_year", "fiscal_quarter", "test_code"),
    # The thematic views (national): crime types in three schemes, and TIMELY72/TEST2 by recording unit.
    "compliance_national_category_test": ("fiscal_year", "fiscal_quarter", "test_code", "scheme", "category_code"),
    "compliance_by_unit_test": ("fiscal_year", "fiscal_quarter", "test_code", "recording_unit"),
}
NATIONAL_MART, AREA_MART, DIVISION_MART = (
    "compliance_national_test",
    "compliance_by_command_area_test",
    "compliance_by_division_test",
)
CATEGORY_MART, UNIT_MART = "compliance_national_category_test", "compliance_by_unit_test"


def _blank(column: pd.Series, mask: pd.Series) -> pd.Series:
    """`column` with the rows of `mask` missing, in a type that holds a missing value like its own.

    Integer counts become nullable integers (a count stays a count in a CSV, not 12.0), floats NaN, anything
    else None.
    """
    if pd.api.types.is_bool_dtype(column.dtype):
        return column.astype("boolean").mask(mask)
    if pd.api.types.is_integer_dtype(column.dtype):
        return column.astype("Int64").mask(mask)
    if pd.api.types.is_float_dtype(column.dtype):
        return column.mask(mask)
    return column.astype("object").mask(mask, None)


def small_cells(
    frame: pd.DataFrame, min_records: int, *, count_col: str = "examined", exempt: pd.Series | None = None
) -> pd.Series:
    """True for each row built on fewer than `min_records` records (a missing count is not small), except
    rows where `exempt` is true."""
    if count_col not in frame.columns:
        raise KeyError(f"small-cell suppression: no column {count_col!r}")
    counts = pd.to_numeric(frame[count_col], errors="coerce")
    small = (counts < min_records).fillna(False).astype(bool)
    if exempt is not None:
        small = small & ~exempt.reindex(frame.index).fillna(False).astype(bool)
    return small


def suppress_small_cells(
    frame: pd.DataFrame,
    min_records: int,
    *,
    count_col: str = "examined",
    blank: Sequence[str] = RATE_COLUMNS,
    hierarchy: Sequence[str] = (),
    exempt: pd.Series | None = None,
    flag_col: str | None = None,
    hidden: pd.Series | None = None,
) -> pd.DataFrame:
    """A copy of `frame` with the `blank` columns of every small cell missing (contract 5.1, primary rule).

    `hierarchy`: the columns that place a cell in its groups (e.g. fiscal_year, fiscal_quarter, test_code,
    command_area, division_code), checked to be there. `hidden`: the rows to blank, when a complementary
    pattern was computed over the whole hierarchy (`compliance_pattern`, `protect_hierarchy`); without it
    only the primary rule applies.
    `exempt`: rows never suppressed (a division user's own division). `flag_col`: when given, a boolean
    column of that name marks the suppressed rows (the dashboard renders them as "suppressed").
    Columns of `blank` the frame does not have are ignored; `frame` itself is not modified.
    """
    missing = [c for c in hierarchy if c not in frame.columns]
    if missing:
        raise KeyError(f"small-cell suppression: no hierarchy column {', '.join(map(repr, missing))}")
    if hidden is not None:  # a pattern from `protect_hierarchy` / `compliance_pattern` (primary + complementary)
        small = hidden.reindex(frame.index).fillna(False).astype(bool)
        if exempt is not None:
            small = small & ~exempt.reindex(frame.index).fillna(False).astype(bool)
    else:
        small = small_cells(frame, min_records, count_col=count_col, exempt=exempt)
    out = frame.copy()
    for column in blank:
        if column in out.columns:
            out[column] = _blank(out[column], small)
    if flag_col is not None:
        out[flag_col] = small
    return out


# --------------------------------------------------------------------------------------------------------
# Complementary suppression (contract 5.1) over a hierarchy: division -> command area -> Scotland, or any
# tree of roll-ups (training: unit -> all units).
#
# Each partition (a period and test) is a tree of cells: a parent's hidden value (a compliant count) is the
# sum of its children's. An attacker knows every shown value and, for a division user, its own division's
# values too (its own rows are shown to it unsuppressed). For each attacker, bounds propagation over the
# tree's sum equations, with every hidden value between 0 and its (always shown) record count, gives the
# exact range each hidden value can take (a tree of sum constraints with box bounds: propagation to a fixed
# point is exact). A hidden value whose range is a single number is exposed: the smallest shown cell of an
# equation it sits in (not one the attacker knows) is hidden as well, and the check runs again. One cell at a
# time, smallest first, ties broken by level and name: few extra cells, and the same pattern every time.
#
# This stops exact recovery by subtraction, by differencing several equations, and by bounds (two hidden
# cells summing to their records' total). It does not stop narrowing a hidden value to a range.


@dataclass(frozen=True)
class _Tree:
    """One partition: node counts and values, sum equations (parent, children), the division owning each."""

    counts: list[int]
    values: list[int]
    equations: list[tuple[int, list[int]]]
    owners: list[str | None]
    order: list[tuple[int, str]]  # tie-break: (level, name), smaller first
    interior: list[bool] | None = None  # complementary cells chosen among these first (value not 0 or count)


def _ranges(tree: _Tree, known: list[bool]) -> tuple[list[int], list[int]]:
    """The exact lowest and highest value of every node, given the known ones (bounds propagation)."""
    lo = [v if k else 0 for v, k in zip(tree.values, known, strict=True)]
    hi = [v if k else c for v, c, k in zip(tree.values, tree.counts, known, strict=True)]
    changed = True
    while changed:
        changed = False
        for parent, children in tree.equations:
            sum_lo = sum(lo[c] for c in children)
            sum_hi = sum(hi[c] for c in children)
            if sum_lo > lo[parent]:
                lo[parent], changed = sum_lo, True
            if sum_hi < hi[parent]:
                hi[parent], changed = sum_hi, True
            for c in children:
                c_lo = lo[parent] - (sum_hi - hi[c])
                c_hi = hi[parent] - (sum_lo - lo[c])
                if c_lo > lo[c]:
                    lo[c], changed = c_lo, True
                if c_hi < hi[c]:
                    hi[c], changed = c_hi, True
    return lo, hi


def _protect(tree: _Tree, hidden: list[bool]) -> list[bool]:
    """`hidden` plus the complementary cells no attacker (committee, or any one division) can undo."""
    hidden = list(hidden)
    where: dict[int, list[int]] = {}
    for e, (parent, children) in enumerate(tree.equations):
        for node in (parent, *children):
            where.setdefault(node, []).append(e)
    accepted: set[tuple[str | None, int]] = set()  # exposures nothing more can fix (reported by nobody)
    while True:
        # The committee knows what is shown; a division also knows its own cells (only matters when hidden).
        attackers: list[str | None] = [None, *sorted({o for o, h in zip(tree.owners, hidden, strict=True) if h and o})]
        exposure = None
        for attacker in attackers:
            known = [not h or known_to(tree, i, attacker) for i, h in enumerate(hidden)]
            lo, hi = _ranges(tree, known)
            # A cell that is its own cells' sum (an area of one division) is known to it whatever is shown.
            own_lo, own_hi = _ranges(tree, [known_to(tree, i, attacker) for i in range(len(hidden))])
            exposed = [
                i
                for i, k in enumerate(known)
                if not k and lo[i] == hi[i] and own_lo[i] != own_hi[i] and (attacker, i) not in accepted
            ]
            if exposed:
                exposure = (attacker, exposed)
                break
        if exposure is None:
            return hidden
        attacker, exposed = exposure
        # The shown cells of the equations the exposed cells sit in: hiding one of them reopens the sum.
        near = {
            n for cell in exposed for e in where.get(cell, []) for n in (tree.equations[e][0], *tree.equations[e][1])
        }
        candidates = [i for i in sorted(near) if not hidden[i] and not known_to(tree, i, attacker)]
        if not candidates:  # every shown cell beside them is the attacker's own: widen to the whole partition
            candidates = [i for i in range(len(hidden)) if not hidden[i] and not known_to(tree, i, attacker)]
        if not candidates:  # nothing left to hide from this attacker: it knows every cell it could use
            accepted.update((attacker, cell) for cell in exposed)
            continue
        preferred = [True] * len(hidden) if tree.interior is None else tree.interior
        pick = min(candidates, key=lambda i: (not preferred[i], tree.counts[i], tree.order[i]))
        hidden[pick] = True


def known_to(tree: _Tree, node: int, attacker: str | None) -> bool:
    """A node the attacker knows whatever is hidden: its own division's cell."""
    return attacker is not None and tree.owners[node] == attacker


def protect_hierarchy(
    cells: pd.DataFrame,
    min_records: int,
    *,
    partition: Sequence[str],
    node_col: str = "node",
    parent_col: str = "parent",
    level_col: str = "level",
    count_col: str = "examined",
    value_col: str = "compliant",
    owner_col: str | None = "owner",
    start: pd.Series | None = None,
    prefer_interior: bool = False,
    equation_col: str | None = None,
) -> pd.Series:
    """Which cells to hide (primary and complementary, contract 5.1), as a boolean Series on `cells`' index.

    `cells`: one row per cell of every partition (e.g. fiscal year, quarter, test), with its node name, its
    parent's node name (None at the top), its level (0 = top; the tie-break after the count), the record
    count (always shown), the value a hidden cell hides, and the division that owns it (a division user sees
    its own cells: None for roll-ups). A parent's value must be the sum of its children's: an equation whose
    counts do not add up is not used (it does not hold, so no attacker can use it either). `equation_col`:
    when a parent is the total of several partitions (Scotland by area, by crime type, by recording unit),
    the children of one parent with the same value in this column form one equation. `start`: cells
    hidden already (another value's pattern over the same cells), on top of the primary rule.
    `prefer_interior`: complementary cells are chosen first among those whose value is neither 0 nor their
    count (hiding a 0 beside hidden 0s leaves their sum pinned at 0: rare counts such as a 2x2's).
    """
    hidden = pd.Series(False, index=cells.index)
    if cells.empty:
        return hidden
    primary = small_cells(cells, min_records, count_col=count_col)
    if start is not None:
        primary = primary | start.reindex(cells.index).fillna(False).astype(bool)
    for _, group in cells.groupby(list(partition), sort=True, dropna=False):
        group = group.sort_values([level_col, node_col], kind="stable")
        names = group[node_col].astype(str).tolist()
        position = {name: i for i, name in enumerate(names)}
        counts = [int(c) for c in pd.to_numeric(group[count_col]).fillna(0)]
        values = [int(v) if pd.notna(v) else 0 for v in pd.to_numeric(group[value_col])]
        children: dict[tuple[int, str], list[int]] = {}
        sums = group[equation_col].tolist() if equation_col else [None] * len(group)
        for i, (parent, eq) in enumerate(zip(group[parent_col].tolist(), sums, strict=True)):
            if parent is not None and pd.notna(parent) and str(parent) in position:
                eq = str(eq) if eq is not None and pd.notna(eq) else ""
                children.setdefault((position[str(parent)], eq), []).append(i)
        equations = [(p, ch) for (p, _), ch in sorted(children.items()) if counts[p] == sum(counts[c] for c in ch)]
        owners = group[owner_col].tolist() if owner_col else [None] * len(group)
        tree = _Tree(
            counts=counts,
            values=values,
            equations=equations,
            owners=[str(o) if o is not None and pd.notna(o) else None for o in owners],
            order=list(zip(group[level_col].astype(int).tolist(), names, strict=True)),
            interior=[0 < v < c for v, c in zip(values, counts, strict=True)] if prefer_interior else None,
        )
        result = _protect(tree, primary.loc[group.index].tolist())
        hidden.loc[group.index] = result
    return hidden


# The compliance marts' hierarchy: a division's cell rolls up into its command area's, an area's into Scotland's.
COMPLIANCE_PARTITION = ("fiscal_year", "fiscal_quarter", "test_code")
# The crime-type schemes that partition a crime test's records (their rows sum to Scotland's cell); the HMICS
# themes overlap and are not a partition, but a theme picked out by a 2021-22 category (the mart names it in
# that category's `hmics_theme`) is that category's cell exactly.
PARTITION_SCHEMES = ("category_2021", "legacy_group")
THEME_SCHEME = "hmics_theme"


def committee_pattern(marts: Mapping[str, pd.DataFrame], min_records: int) -> dict[str, pd.Series]:
    """Which rows of each committee-facing compliance mart are hidden (primary and complementary, contract 5.1),
    each a boolean Series on its frame's index: the one pattern every output follows (`scrs export`, the
    dashboard, the paper).

    `marts`: the three compliance marts (`DIVISION_MART`, `AREA_MART`, `NATIONAL_MART`) and, when published,
    the thematic ones (`CATEGORY_MART`, `UNIT_MART`), whole (every period and test): a cell's protection
    depends on every sum it sits in, so a pattern computed on a filtered part could be undone with another
    part. The sums an outsider knows, per period and test: each area is the sum of its divisions, Scotland of
    its areas, of the categories of each partitioning scheme, and of the recording units; a theme picked out
    by one category equals it. An equation whose counts do not add up (TEST1 has no crime type) is not used.

    The same pattern serves the committee and every division user: it holds against anyone who knows one
    division's own figures as well as everything shown, so a division's own rows can be shown to it
    unsuppressed without giving away a neighbour's.
    """
    part = list(COMPLIANCE_PARTITION)
    division, area, national = marts[DIVISION_MART], marts[AREA_MART], marts[NATIONAL_MART]

    def cells_of(mart: str, frame: pd.DataFrame, **columns: object) -> pd.DataFrame:
        return frame[part].assign(
            **columns, examined=frame["examined"], compliant=frame["compliant"], _mart=mart, _row=frame.index
        )

    pieces = [
        cells_of(
            DIVISION_MART,
            division,
            node="D:" + division["division_code"].astype(str),
            parent="A:" + division["command_area"].astype(str),
            equation="area",
            level=2,
            owner=division["division_code"].astype(str),
        ),
        cells_of(AREA_MART, area, node="A:" + area["command_area"].astype(str), parent="N", equation="area", level=1),
        cells_of(NATIONAL_MART, national, node="N", parent=None, equation=None, level=0),
    ]
    categories = marts.get(CATEGORY_MART)
    if categories is not None and len(categories):
        scheme = categories["scheme"].astype(str)
        node = "C:" + scheme + ":" + categories["category_code"].astype(str)
        # A theme's parent is the 2021-22 category of the same period and test that names it, if any.
        named = categories[scheme.eq("category_2021") & categories["hmics_theme"].notna()]
        by_theme = {
            (*key[:3], key[3]): f"C:category_2021:{code}"
            for key, code in zip(
                named[[*part, "hmics_theme"]].itertuples(index=False, name=None), named["category_code"], strict=True
            )
        }
        theme_parent = [
            by_theme.get((*key[:3], key[3])) if s == THEME_SCHEME else None
            for key, s in zip(
                categories[[*part, "category_code"]].itertuples(index=False, name=None), scheme, strict=True
            )
        ]
        in_partition = scheme.isin(PARTITION_SCHEMES)
        pieces.append(
            cells_of(
                CATEGORY_MART,
                categories,
                node=node,
                parent=pd.Series(theme_parent, index=categories.index, dtype=object).mask(in_partition, "N"),
                equation=scheme.where(in_partition, "theme"),
                level=3 + scheme.eq(THEME_SCHEME).astype(int),
            )
        )
    units = marts.get(UNIT_MART)
    if units is not None and len(units):
        pieces.append(
            cells_of(
                UNIT_MART, units, node="U:" + units["recording_unit"].astype(str), parent="N", equation="unit", level=3
            )
        )
    cells = pd.concat(pieces, ignore_index=True)
    if "owner" not in cells.columns:
        cells["owner"] = None
    cells["owner"] = cells["owner"].astype(object).where(cells["owner"].notna(), None)
    hidden = protect_hierarchy(cells, min_records, partition=part, equation_col="equation")
    masks: dict[str, pd.Series] = {}
    for mart, frame in marts.items():
        rows = cells["_mart"].eq(mart)
        mask = pd.Series(hidden[rows].to_numpy(), index=cells.loc[rows, "_row"].to_numpy()).reindex(frame.index)
        masks[mart] = mask.fillna(False).astype(bool)
    return masks


def compliance_pattern(
    division: pd.DataFrame, area: pd.DataFrame, national: pd.DataFrame, min_records: int
) -> tuple[pd.Series, pd.Series, pd.Series]:
    """`committee_pattern` of the three compliance marts alone (no thematic views), as a tuple."""
    masks = committee_pattern({DIVISION_MART: division, AREA_MART: area, NATIONAL_MART: national}, min_records)
    return masks[DIVISION_MART], masks[AREA_MART], masks[NATIONAL_MART]


# --------------------------------------------------------------------------------------------------------
# Where a view shows a cell of another period (a change on a year or a quarter) or of another time (figures
# as reported), it is blanked where the committee's pattern blanks that cell in its own period, today.


def hidden_rows(frame: pd.DataFrame, hidden: pd.DataFrame, keys: Sequence[str]) -> pd.Series:
    """`hidden`'s flag (`_hidden`) for each row of `frame`, matched on `keys`, aligned to `frame`'s index
    (a row with no match is not hidden)."""
    keys = list(keys)
    flags = frame[keys].merge(hidden[[*keys, "_hidden"]], on=keys, how="left")["_hidden"]
    return pd.Series(flags.fillna(False).astype(bool).to_numpy(), index=frame.index)


PERIODS = ("current", "previous_year", "previous_quarter")


def hidden_in_period(frame: pd.DataFrame, pattern: pd.DataFrame, mart: str, period: str = "current") -> pd.Series:
    """For each row of `frame` (a cell of compliance mart `mart`, placed by its `COMPLIANCE_HIERARCHY`
    columns), whether the committee's pattern (`pattern`: the mart's keys and `_hidden`) hides the same cell
    in `period`: the row's own quarter (`current`), the same quarter a year earlier (`previous_year`) or the
    quarter before (`previous_quarter`)."""
    if period not in PERIODS:
        raise ValueError(f"period must be one of {', '.join(PERIODS)}: {period!r}")
    keys = list(COMPLIANCE_HIERARCHY[mart])
    if frame.empty:
        return pd.Series(False, index=frame.index, dtype=bool)
    located = frame[keys].copy()
    located["fiscal_quarter"] = located["fiscal_quarter"].astype(int)
    if period != "current":
        start = located["fiscal_year"].astype(str).str[:4].astype(int)
        earlier = (start - 1).astype(str) + "/" + (start % 100).map("{:02d}".format)
        if period == "previous_year":
            located["fiscal_year"] = earlier
        else:
            first = located["fiscal_quarter"].eq(1)
            located["fiscal_year"] = earlier.where(first, located["fiscal_year"].astype(str))
            located["fiscal_quarter"] = located["fiscal_quarter"].sub(1).where(~first, 4)
    pattern = pattern.astype({"fiscal_quarter": int})
    return hidden_rows(located, pattern, keys)


def change_hidden(frame: pd.DataFrame, pattern: pd.DataFrame, mart: str) -> dict[str, pd.Series]:
    """For the rows of a change mart (each a cell of compliance mart `mart` with its earlier figures): per
    period of `PERIODS`, whether the committee's pattern hides that period's cell. A change is blanked when
    its current or its earlier cell is; an earlier rate when its own cell is."""
    return {period: hidden_in_period(frame, pattern, mart, period) for period in PERIODS}


# The as-reported rows' `level` and the mart and key column of the cell each names (by `unit_code`).
REPORTED_LEVELS = {
    "national": (NATIONAL_MART, None),
    "command_area": (AREA_MART, "command_area"),
    "division": (DIVISION_MART, "division_code"),
}


def reported_hidden(frame: pd.DataFrame, patterns: Mapping[str, pd.DataFrame]) -> pd.Series:
    """For rows of figures as reported (`fiscal_year`, `fiscal_quarter`, `level`, `unit_code`, `test_code`):
    whether the committee's pattern hides the same cell today. The figure as reported is the same cell,
    often with the same value, so both sides are blanked where today's is."""
    out = pd.Series(False, index=frame.index, dtype=bool)
    for level, (mart, key_col) in REPORTED_LEVELS.items():
        rows = frame["level"].eq(level) if len(frame) else pd.Series(False, index=frame.index)
        if not rows.any():
            continue
        part = frame.loc[rows, ["fiscal_year", "fiscal_quarter", "test_code"]].astype({"fiscal_quarter": int})
        keys = ["fiscal_year", "fiscal_quarter", "test_code"]
        if key_col is not None:
            part[key_col] = frame.loc[rows, "unit_code"]
            keys.append(key_col)
        pattern = patterns[mart].astype({"fiscal_quarter": int})
        out.loc[rows] = hidden_rows(part, pattern, keys).to_numpy()
    return out


# The registrars' audit (contract 6): a division's cell (a sample's stratum: division x test) rolls up into the
# national one; there is no command-area level. One cell hides all its values at once: the registrars'
# compliant count and the agreement 2x2 counts (registrar-compliant = both_compliant + rule_only_failed, so
# the results' and the agreement's cells must share one pattern).
AUDIT_PARTITION = ("sample_id", "test_code")
AUDIT_VALUES = ("compliant", "both_compliant", "both_noncompliant", "rule_only_failed", "registrar_only_failed")


def audit_pattern(division: pd.DataFrame, national: pd.DataFrame, min_records: int) -> tuple[pd.Series, pd.Series]:
    """Which division and national audit cells are hidden (primary and complementary, on `audited`), each a
    boolean Series on its frame's index.

    `division` / `national`: one row per sample, test (and division), with `audited` and whichever of
    `AUDIT_VALUES` the caller has (the results' `compliant`, the agreement's 2x2 counts, or both merged).
    Each value is protected over the same cells in turn, each starting from the cells already hidden, until
    no value adds a cell: the pattern then holds for every value. A division user knows its own cells (owner).

    Rare counts (a 2x2 cell that is 0 in most divisions) are pinned to 0 when every hidden cell of a sum is 0,
    so complementary cells are chosen among those whose value is neither 0 nor their whole count where there
    are any (`prefer_interior`): one such cell reopens the sum.

    Not covered (left open): the national stratified estimate weighs each stratum's compliant count by
    population / audited, and its interval adds a variance term per stratum not audited in full: a second,
    weighted equation over the hidden cells, which can pin a hidden stratum not audited in full. National
    kappa and agreement % are functions of the national 2x2 counts, so they add nothing.
    """
    part = list(AUDIT_PARTITION)
    values = [v for v in AUDIT_VALUES if v in division.columns and v in national.columns]
    cells = pd.concat(
        [
            division[[*part, "audited", *values]].assign(
                node="D:" + division["division_code"].astype(str),
                parent="N",
                level=1,
                owner=division["division_code"].astype(str),
                _mart="division",
                _row=division.index,
            ),
            national[[*part, "audited", *values]].assign(
                node="N", parent=None, level=0, owner=None, _mart="national", _row=national.index
            ),
        ],
        ignore_index=True,
    )
    hidden = small_cells(cells, min_records, count_col="audited")
    changed = True
    while changed:
        changed = False
        for value in values:
            more = protect_hierarchy(
                cells,
                min_records,
                partition=part,
                count_col="audited",
                value_col=value,
                start=hidden,
                prefer_interior=True,
            )
            if (more & ~hidden).any():
                hidden, changed = hidden | more, True
    masks = []
    for mart, frame in (("division", division), ("national", national)):
        rows = cells["_mart"].eq(mart)
        mask = pd.Series(hidden[rows].to_numpy(), index=cells.loc[rows, "_row"].to_numpy()).reindex(frame.index)
        masks.append(mask.fillna(False).astype(bool))
    return masks[0], masks[1]

"""The committee's suppression pattern is computed once, at publication, and kept in the published file
(`scrs.export.store_compliance_hidden`): every reader (dashboard, `scrs export`, the paper) reads the same
pattern the marts would give, without recomputing it on its first view."""

from __future__ import annotations

import duckdb
import pandas as pd

from scrs.export import PATTERN_SCHEMA, compliance_hidden, computed_compliance_hidden, stored_compliance_hidden
from scrs.settings import Settings


def test_the_publication_carries_the_pattern_its_marts_give(published_warehouse):
    min_records = Settings.from_env().disclosure_min_records
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        [(stored_min, marts)] = con.execute(
            f"select min_records, marts from {PATTERN_SCHEMA}.pattern_settings"
        ).fetchall()
        assert stored_min == min_records
        stored = compliance_hidden(con, min_records)
        computed = computed_compliance_hidden(con, min_records)
    assert sorted(marts) == sorted(computed) and len(computed) >= 3
    for mart, frame in computed.items():
        pd.testing.assert_frame_equal(stored[mart], frame, obj=mart)
    assert any(frame["_hidden"].any() for frame in computed.values()), "the test data has suppressed cells"


def test_another_threshold_is_computed_not_read(published_warehouse):
    """A reader configured with another threshold gets that threshold's pattern, not the stored one."""
    min_records = Settings.from_env().disclosure_min_records + 25
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        got = compliance_hidden(con, min_records)
        computed = computed_compliance_hidden(con, min_records)
        stored = compliance_hidden(con, Settings.from_env().disclosure_min_records)
    for mart, frame in computed.items():
        pd.testing.assert_frame_equal(got[mart], frame, obj=mart)
    assert any(not got[m]["_hidden"].equals(stored[m]["_hidden"]) for m in computed), "the thresholds differ"


def test_one_marts_stored_pattern_is_that_marts_whole_pattern(published_warehouse):
    """A dashboard page reads only the marts' patterns it shows (`only`): each is the pattern computed over
    all the marts together, not one computed for that mart alone."""
    min_records = Settings.from_env().disclosure_min_records
    with duckdb.connect(str(published_warehouse / "warehouse.duckdb"), read_only=True) as con:
        computed = computed_compliance_hidden(con, min_records)
        for mart, frame in computed.items():
            one = stored_compliance_hidden(con, min_records, only=(mart,))
            assert list(one) == [mart]
            pd.testing.assert_frame_equal(one[mart], frame, obj=mart)
        assert stored_compliance_hidden(con, min_records + 25, only=(mart,)) is None, "another threshold: not stored"

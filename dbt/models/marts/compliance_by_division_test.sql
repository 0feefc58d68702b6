-- Compliance per financial year, financial quarter, division and test: one row for every combination
-- with at least one examined record. Rates and Wilson 95% bounds in percent (2 dp); status against
-- var('compliance_target_pct') on the unrounded bounds.

{{ compliance_rollup([
    'fiscal_year', 'fiscal_quarter', 'division_code', 'division_name', 'command_area', 'test_code',
]) }}

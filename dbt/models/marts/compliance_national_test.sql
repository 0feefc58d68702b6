-- National compliance per financial year, financial quarter and test: the division counts summed,
-- figures recomputed from the sums.

{{ compliance_rollup(['fiscal_year', 'fiscal_quarter', 'test_code']) }}

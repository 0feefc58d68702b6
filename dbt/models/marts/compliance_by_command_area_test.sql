-- Compliance per financial year, financial quarter, command area and test: the division counts summed
-- (so an area is exactly the sum of its divisions), figures recomputed from the sums.

{{ compliance_rollup(['fiscal_year', 'fiscal_quarter', 'command_area', 'test_code']) }}

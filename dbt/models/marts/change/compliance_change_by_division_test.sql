-- Division compliance per quarter and test with its change a year and a quarter earlier
-- (contract section 7; macros/newcombe.sql).

{{ compliance_change_select(ref('compliance_by_division_test'), ['division_code', 'test_code']) }}

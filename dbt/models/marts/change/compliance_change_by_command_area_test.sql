-- Command-area compliance per quarter and test with its change a year and a quarter earlier
-- (contract section 7; macros/newcombe.sql).

{{ compliance_change_select(ref('compliance_by_command_area_test'), ['command_area', 'test_code']) }}

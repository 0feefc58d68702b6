-- National compliance per quarter and test with its change on the same quarter a year earlier and on the
-- previous quarter: Newcombe's hybrid score interval in points and the words improved / worsened /
-- no_clear_change (contract section 7; macros/newcombe.sql).

{{ compliance_change_select(ref('compliance_national_test'), ['test_code']) }}

"""The registrars' annual audit (contract section 6): drawing the sample (`scrs sample`) and the reference
lists its checks and worklists read. Ingest of the two audit extracts goes through the ordinary gate
(scrs/ingest, scrs/quality); the figures are dbt marts (dbt/models/marts/registrar_audit/)."""

"""Dagster orchestration of the SCRS compliance warehouse (one module per concern)."""

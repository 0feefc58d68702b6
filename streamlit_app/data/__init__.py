"""Every query the dashboard makes: `query` (connection, cache, `DataUnavailable`, disclosure for a viewer)
and one module per subject. A function that takes a viewer enforces its scope or its disclosure rule with
it; a function that needs no viewer takes none."""

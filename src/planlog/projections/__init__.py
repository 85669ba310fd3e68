"""Read models: SQL tables kept from the event log, exactly once, and the queries on them."""

"""The domain: aggregates, their events and rules, occurrences and value checks. Pure: no I/O,
no framework but eventsourcing's Aggregate. Every other layer imports it; it imports none."""

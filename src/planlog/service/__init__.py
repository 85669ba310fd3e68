"""The service layer: commands, their handlers, the eventsourcing Application that loads and
saves aggregates, and the presenters every door shares. No door library (HTTP, CLI) here."""

"""Operating a planlog store: copy the event log between stores (backup, restore,
migrate) and check a running installation (doctor)."""

"""Reports computed from what SyncHub synced (pure computations and their store sources)."""

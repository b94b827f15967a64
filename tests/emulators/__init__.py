"""Test doubles of the products SyncHub talks to, following their published API contracts."""

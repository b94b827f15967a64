"""SyncHub sync engine: canonical model, mappings, merge, state store and the run of a flow."""

__version__ = "0.1.0"

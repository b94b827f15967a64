"""The in-memory connector: a real implementation of the protocol over dicts, for tests and demos."""

from connectors.memory.clock import ManualClock
from connectors.memory.connector import MemoryConnector
from connectors.memory.database import MemoryDatabase
from connectors.memory.faults import SimulatedCrash

__all__ = ["ManualClock", "MemoryConnector", "MemoryDatabase", "SimulatedCrash"]

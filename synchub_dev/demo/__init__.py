"""``synchub demo``: a real Tryton ERP and a real BottleCRM on this machine, seeded and synced."""

from synchub_dev.demo.runner import DemoFailed, DemoResult, run_demo
from synchub_dev.demo.servers import read_servers, stop_servers

__all__ = ["DemoFailed", "DemoResult", "read_servers", "run_demo", "stop_servers"]

"""Real peer systems run locally (Tryton ERP, BottleCRM) for the demo and the integration tests.

Each peer lives in its own virtual environment under ``.peers/`` (git-ignored), created on first
use, and serves on a free 127.0.0.1 port as a process group of its own that we stop by PID.
"""

"""Django settings for a local BottleCRM run by SyncHub (loaded by BottleCRM's own Python 3.12).

This folder is put on BottleCRM's ``PYTHONPATH``; it is never imported by SyncHub itself. It keeps
BottleCRM's settings and swaps what needs servers we do not run: PostgreSQL becomes one SQLite file
(``SYNCHUB_BOTTLECRM_DB``), Redis becomes Celery's in-memory broker.
"""

import os

from crm.settings import *  # noqa: F403 - the whole point: BottleCRM's settings, a few overridden

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ["SYNCHUB_BOTTLECRM_DB"],
        # Several gunicorn workers share one file: WAL lets reads go on while one writes, IMMEDIATE
        # takes the write lock up front (no deadlock upgrading a read), and writers wait for it.
        "OPTIONS": {
            "timeout": 30,
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
        },
    }
}
CELERY_BROKER_URL = "memory://"
CELERY_RESULT_BACKEND = "cache+memory://"

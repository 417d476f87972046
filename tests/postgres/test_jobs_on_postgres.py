"""The job engine's tests (``tests/workflows/test_jobs.py``) run again on PostgreSQL: the same functions, with this
folder's ``engine`` fixture (a fresh PostgreSQL database) instead of SQLite."""

from tests.workflows.test_jobs import *  # noqa: F403

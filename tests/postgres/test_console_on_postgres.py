"""The console's tests (``tests/console``) run again on PostgreSQL: the same functions, with this folder's
``console`` fixture (the app on a fresh PostgreSQL database) instead of SQLite."""

from tests.console.test_panels import *  # noqa: F403
from tests.console.test_security import *  # noqa: F403

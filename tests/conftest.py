"""Root test configuration: fixtures shared by every test folder.

``sandbox`` / ``empty_sandbox`` come from ``cwdesk.sandbox.testing``. Each area keeps its own fixtures in its own
``tests/<area>/conftest.py``.
"""

pytest_plugins = ["cwdesk.sandbox.testing"]

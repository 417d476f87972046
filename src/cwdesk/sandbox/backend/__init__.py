"""The Manage emulator's state and rules, with no HTTP: storage, record validation, conditions to SQL, callbacks.

``ManageBackend`` (``manage.py``) is the entry point used by ``cwdesk.sandbox.manage_api``.
Not for: request parsing, status codes on the wire or Link headers (``manage_api.py``).
"""

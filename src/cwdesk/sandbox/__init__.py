"""The sandbox: a local emulator of the ConnectWise Manage and Automate REST APIs on SQLite.

Used in-process (httpx transports, the ``sandbox`` pytest fixture) and standalone (``cwdesk sandbox serve``).
Not for: talking to a real ConnectWise server (that is ``cwdesk.manage`` / ``cwdesk.automate``).
"""

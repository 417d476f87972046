"""The sandbox: a local emulator of the ConnectWise Manage and Automate REST APIs on SQLite.

    from cwdesk.sandbox import Sandbox
    sb = Sandbox(seed="demo")
    client = ManageClient(**sb.manage_credentials, transport=sb.transport())

Used in-process (httpx transports, the ``sandbox`` pytest fixture in ``cwdesk.sandbox.testing``) and standalone
(``cwdesk sandbox serve``). Not for: talking to a real ConnectWise server (``cwdesk.manage``, ``cwdesk.automate``).
"""

from cwdesk.sandbox.http import Dropped, Hang
from cwdesk.sandbox.server import RequestLogEntry, Sandbox

__all__ = ["Dropped", "Hang", "RequestLogEntry", "Sandbox"]

"""The ConnectWise Automate SDK: ``AutomateClient`` / ``AsyncAutomateClient``, credentials, models and resources.

Not for: Manage (``cwdesk.manage``) or workflows (``cwdesk.workflows.automate_clients``).
"""

from cwdesk.automate.client import AsyncAutomateClient, AutomateClient
from cwdesk.automate.credentials import AutomateCredentials
from cwdesk.automate.models import Client, Computer, ExtraField, Group, GroupComputer, Location

__all__ = [
    "AsyncAutomateClient",
    "AutomateClient",
    "AutomateCredentials",
    "Client",
    "Computer",
    "ExtraField",
    "Group",
    "GroupComputer",
    "Location",
]

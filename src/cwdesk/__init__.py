"""cwdesk: client management for MSPs on ConnectWise Manage and Automate.

The SDK's public names are re-exported here; see the README for the tour.
"""

from __future__ import annotations

__version__ = "0.1.0"

__all__ = ["__version__"]

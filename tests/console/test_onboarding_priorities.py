"""C5: the onboarding wizard offers ticket priorities as a list read from ConnectWise, like boards and statuses."""

from __future__ import annotations

import re
from typing import Any


def _options(page: str, path: str) -> list[str]:
    found = re.search(rf'<select data-path="{re.escape(path)}">(.*?)</select>', page, re.S)
    assert found, f"{path} is not a list on the wizard"
    return [name for name in re.findall(r'<option value="([^"]*)"', found.group(1)) if name]


def test_the_wizard_lists_the_priorities_connectwise_has(sign_in: Any) -> None:
    page = sign_in("operator").page("/onboarding").text

    priorities = _options(page, "ticket.priority")

    assert "Priority 3 - Normal Response" in priorities
    assert "Priority 1 - Emergency Response" in priorities and len(priorities) == 5
    assert "Service Desk" in _options(page, "ticket.board")  # filled the same way as the boards

"""What the Automate commands share: ``FIELD=VALUE`` arguments, and the ``--output`` / ``--dry-run`` options.

Not for: checking the fields themselves (``cwdesk.workflows.automate_clients.changes`` does, against the spec).
"""

from __future__ import annotations

from collections.abc import Sequence

import typer

from cwdesk.cli.output import OutputFormat
from cwdesk.workflows.validation import InvalidInput, Problem

__all__ = ["DRY_RUN", "OUTPUT", "field_values"]

OUTPUT = typer.Option(OutputFormat.table, "--output", "-o", help="table, json or csv.")
DRY_RUN = typer.Option(False, "--dry-run", help="Check and show what would change; write nothing.")


def field_values(values: Sequence[str], *, example: str) -> dict[str, str]:
    """``["Phone=555", "City=Salem"]`` as a dict; ``InvalidInput`` naming each item that is not FIELD=VALUE."""
    pairs: dict[str, str] = {}
    problems = []
    for item in values:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            problems.append(Problem(item, f"must be FIELD=VALUE, e.g. {example!r}"))
        elif key.strip() in pairs:
            problems.append(Problem(item, f"{key.strip()} is given twice: give each field once"))
        else:
            pairs[key.strip()] = value
    if problems:
        raise InvalidInput(problems, subject="the FIELD=VALUE arguments")
    return pairs

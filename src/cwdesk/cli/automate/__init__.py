"""``cwdesk automate ...``: ConnectWise Automate from the shell, one sub-group per task.

- ``clients``: find, report, health, create, update, edfs, set-edf, onboard, delete (``clients.py``).
- ``locations``: list, create, update (``locations.py``).
- ``computers``: list, with ``--offline`` / ``--os`` (``computers.py``).
- ``groups``: list, add-client, remove-client (``groups.py``).

Each command calls one function of ``cwdesk.workflows.automate_clients`` (the console calls the same ones) with an
``AutomateClient`` chosen by the CLI's connection rule (``--profile``, ``CWA_*`` variables, the default profile, or
the sandbox), and prints through ``cli/output.py`` (``--output table|json|csv``). Exit codes: 0 done (or nothing to
do), 1 refused or failed at Automate, 2 bad input or not confirmed (nothing was sent), 3 partly done.

Not for: the workflow rules (``cwdesk.workflows.automate_clients``) or job control (``cwdesk jobs``).
"""

from __future__ import annotations

import typer

from cwdesk.cli.automate.clients import clients_app
from cwdesk.cli.automate.computers import computers_app
from cwdesk.cli.automate.groups import groups_app
from cwdesk.cli.automate.locations import locations_app

__all__ = ["HELP", "app"]

#: The group's help (``cli/app.py`` COMMANDS repeats it for the root --help without importing this module).
HELP = "ConnectWise Automate: clients, locations, computers, groups and extra fields."

app = typer.Typer(help=HELP, no_args_is_help=True)
app.add_typer(clients_app, name="clients")
app.add_typer(locations_app, name="locations")
app.add_typer(computers_app, name="computers")
app.add_typer(groups_app, name="groups")

"""``cwdesk automate groups list|add-client|remove-client``: groups and which clients' computers are in them.

An Automate group holds computers, so adding a client puts each of its computers into the group and removing it
takes them out (see ``cwdesk.workflows.automate_clients.groups``). A second add or remove changes nothing and says
so (exit 0). ``remove-client`` is destructive: it asks on a terminal and, without one, refuses with exit 2 unless
``--yes`` (``output.confirm_or_refuse``, the rule of every destructive command).

Not for: creating or deleting groups (the onboarding job makes the groups its plan names).
"""

from __future__ import annotations

import typer

from cwdesk.cli import connection
from cwdesk.cli.automate.arguments import DRY_RUN, OUTPUT
from cwdesk.cli.automate.audit import audit_write
from cwdesk.cli.output import EXIT_FAILURE, OutputFormat, confirm_or_refuse, emit, emit_object, say
from cwdesk.workflows import automate_clients as w5

__all__ = ["groups_app"]

groups_app = typer.Typer(help="List Automate groups; add a client's computers to a group or take them out.",
                         no_args_is_help=True)  # fmt: skip

_GROUP = typer.Argument(..., help="Group name (a subgroup as Parent.Child) or id.")
_CLIENT = typer.Argument(..., help="Client name or id.")
#: How many computers a remove's question lists by name (the count is always given).
LISTED_COMPUTERS = 20


@groups_app.command("list")
def list_command(
    client: str | None = typer.Argument(None, help="Client name or id: the global groups and the client's own."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Groups with their scope (global or one client's) and computer count; with CLIENT, whether it is in each."""
    with connection.reporting_errors():
        rows = w5.list_groups(connection.automate_client(), client)
    # With a client, every group listed is global or that client's own: the client column would repeat it.
    columns = [c for c in w5.GROUP_COLUMNS if c != ("client" if client else "member")]
    emit(rows, output=output, columns=columns, title=f"{len(rows)} group(s)",
         narrow=["id", "name", "scope", "member" if client else "computers"])  # fmt: skip


def _show(result: w5.GroupMembership, *, output: OutputFormat, action: str) -> None:
    """The result (audited as ``action`` when it wrote), and exit 1 when it was refused or failed."""
    if result.changed_something or result.status == "failed":
        audit_write(action, f"group {result.group_id} ({result.group}), client {result.client_id} ({result.client})",
                    result.as_dict(), result="error" if result.status == "failed" else "ok",
                    message=result.message)  # fmt: skip
    if output is OutputFormat.json:
        emit_object(result.as_dict(), output=output)
    else:
        say(result.message, err=result.status in ("no_computers", "failed"))
        if result.computers and output is OutputFormat.csv:
            emit(result.computers, output=output, columns=["id", "name"])
    if result.status in ("no_computers", "failed"):
        raise typer.Exit(EXIT_FAILURE)


@groups_app.command("add-client")
def add_client_command(
    group: str = _GROUP, client: str = _CLIENT, dry_run: bool = DRY_RUN, output: OutputFormat = OUTPUT
) -> None:
    """Put every computer of a client into a group (those already in it are left alone)."""
    with connection.reporting_errors():
        result = w5.add_client_to_group(connection.automate_client(), group, client, dry_run=dry_run)
    _show(result, output=output, action="automate group add client")


@groups_app.command("remove-client")
def remove_client_command(
    group: str = _GROUP,
    client: str = _CLIENT,
    dry_run: bool = DRY_RUN,
    yes: bool = typer.Option(False, "--yes", "-y", help="Remove without asking (needed when not on a terminal)."),
    output: OutputFormat = OUTPUT,
) -> None:
    """Take every computer of a client out of a group; asks first."""
    with connection.reporting_errors():
        cwa = connection.automate_client()
        # The same checks as the remove itself, with nothing written: what the user is asked about is what happens.
        preview = w5.remove_client_from_group(cwa, group, client, dry_run=True)
        if dry_run or preview.status != "would_remove":
            result = preview
        else:
            confirm_or_refuse(
                _remove_preview(preview), question=f"Take {preview.client!r} out of {preview.group!r}?", yes=yes
            )
            result = w5.remove_client_from_group(cwa, group, client)
    _show(result, output=output, action="automate group remove client")


def _remove_preview(preview: w5.GroupMembership) -> list[str]:
    lines = [preview.message]
    lines += [f"  - computer {c['id']} {c['name']!r}" for c in preview.computers[:LISTED_COMPUTERS]]
    if len(preview.computers) > LISTED_COMPUTERS:
        lines.append(f"  ... and {len(preview.computers) - LISTED_COMPUTERS} more computer(s)")
    return lines

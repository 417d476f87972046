"""Automate groups and a client's membership of them: list, add a client to a group, take it out.

What the API offers (automate-core.json): ``/Groups`` (``LabTech.Models.Group``) and ``/GroupComputers``
(``LabTech.Models.GroupComputer``: ``{Id, GroupId, ComputerId}``, POST to add, DELETE by its id to remove). There is
no membership of a *client* in the spec: a group holds computers (and network devices, contacts). So "a client is in
a group" here means its computers are: ``add_client_to_group`` puts each of the client's computers that is not in
the group yet into it (one ``POST /GroupComputers`` each), ``remove_client_from_group`` deletes the memberships of
the client's computers (one ``DELETE /GroupComputers/{id}`` each). A client with no computers cannot be in a group.
A second add is ``already_member`` and writes nothing; so is a second remove (``not_a_member``).

Global and client-specific groups: a ``Group`` whose ``ClientToSync`` names a client is specific to that client
(the spec's ``LabTech.Models.Group.ClientToSync``; how a real server fills it is unverified, docs/automate.md).
``list_groups(cwa, client)`` shows the global groups and that client's own; adding a client to another client's
group is refused.

Not for: creating or deleting groups (the onboarding job makes the groups its plan names).
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from cwdesk.automate.client import AutomateClient
from cwdesk.automate.models import Client, Computer, Group, GroupComputer
from cwdesk.conditions import C
from cwdesk.errors import NotFoundError
from cwdesk.workflows.automate_clients.clients import resolve_client
from cwdesk.workflows.validation import InvalidInput, Problem

__all__ = [
    "GROUP_COLUMNS",
    "GroupMembership",
    "add_client_to_group",
    "group_by_full_name",
    "list_groups",
    "remove_client_from_group",
    "resolve_group",
]

#: The keys of each row ``list_groups`` answers, in the order a table shows them (``member`` with a client).
GROUP_COLUMNS = ["id", "name", "scope", "client", "computers", "member"]


def _full(group: Group) -> str:
    return group.full_name or group.name or ""


def group_by_full_name(cwa: AutomateClient, full: str) -> Group | None:
    """The group whose full name (``Parent.Child``) is ``full``, any case; None when there is none."""
    leaf = full.rpartition(".")[2]
    for group in cwa.groups.list(where=C("Name") == leaf):
        if _full(group).lower() == full.lower():
            return group
    return None


def resolve_group(cwa: AutomateClient, group: str | int) -> Group:
    """A group by id (digits), full name (``Service Plans.Managed 24x7``) or a name only one group has."""
    wanted = str(group).strip()
    if not wanted:
        raise InvalidInput([Problem("group", "is empty: give a group's name or id")], subject="the group")
    if re.fullmatch(r"\d+", wanted):
        try:
            found: Group = cwa.groups.get(int(wanted))
            return found
        except NotFoundError:
            raise InvalidInput(
                [Problem("group", f"there is no group with id {wanted} (`cwdesk automate groups list`)")],
                subject="the group",
            ) from None
    everyone: list[Group] = cwa.groups.list()
    by_full = [g for g in everyone if _full(g).lower() == wanted.lower()]
    by_name = by_full or [g for g in everyone if (g.name or "").lower() == wanted.lower()]
    if len(by_name) == 1:
        return by_name[0]
    if by_name:
        shown = ", ".join(f"{_full(g)!r} (id {g.id})" for g in by_name)
        message = f"{wanted!r} names {len(by_name)} groups: {shown}; give the full name or the id"
    else:
        names = [_full(g) for g in everyone]
        close = difflib.get_close_matches(wanted, names, n=3, cutoff=0.5)
        hint = f": did you mean {' or '.join(repr(n) for n in close)}?" if close else ""
        message = f"no group is called {wanted!r}{hint} (`cwdesk automate groups list` lists them)"
    raise InvalidInput([Problem("group", message)], subject="the group")


def _scope(group: Group) -> tuple[str, str]:
    owner = group.client_to_sync
    if owner is not None and (owner.id is not None or owner.name):
        return "client", owner.name or f"client {owner.id}"
    return "global", ""


def _memberships(cwa: AutomateClient, group_id: int | None = None) -> list[GroupComputer]:
    where = C("GroupId") == group_id if group_id is not None else None
    found: list[GroupComputer] = cwa.group_computers.list(where=where)
    return found


def _computers_of(cwa: AutomateClient, client: Client) -> list[Computer]:
    found: list[Computer] = cwa.computers.list(
        where=C("Client.Id") == (client.id or 0), fields=["Id", "ComputerName", "Client"]
    )
    return found


def list_groups(cwa: AutomateClient, client: str | int | None = None) -> list[dict[str, Any]]:
    """Every group (by full name) with its scope and computer count; with ``client``, the global groups and the
    client's own, each saying whether the client's computers are in it (``yes``, ``no``, ``partly 2 of 5``)."""
    owner = resolve_client(cwa, client) if client is not None and str(client).strip() else None
    groups: list[Group] = cwa.groups.list()
    memberships = _memberships(cwa)
    counts: Counter[int] = Counter(m.group_id for m in memberships if m.group_id is not None)
    theirs: set[int] = set()
    if owner is not None:
        theirs = {c.id for c in _computers_of(cwa, owner) if c.id is not None}
    rows = []
    for group in sorted(groups, key=lambda g: _full(g).lower()):
        scope, scope_client = _scope(group)
        owner_id = group.client_to_sync.id if group.client_to_sync else None
        if owner is not None and scope == "client" and owner_id != owner.id:
            continue
        row: dict[str, Any] = {
            "id": group.id,
            "name": _full(group),
            "scope": scope,
            "client": scope_client,
            "computers": counts[group.id or 0],
        }
        if owner is not None:
            inside = sum(1 for m in memberships if m.group_id == group.id and m.computer_id in theirs)
            if not theirs or inside == 0:
                row["member"] = "no"
            elif inside == len(theirs):
                row["member"] = "yes"
            else:
                row["member"] = f"partly {inside} of {len(theirs)}"
        rows.append(row)
    return rows


@dataclass(frozen=True)
class GroupMembership:
    """What an add or remove did: ``added``/``removed``, ``would_add``/``would_remove`` (dry run),
    ``already_member``/``not_a_member`` (nothing to do) or ``no_computers``; ``computers`` are the ones changed
    (or to change)."""

    status: str
    group_id: int
    group: str
    client_id: int
    client: str
    computers: list[dict[str, Any]] = field(default_factory=list)
    unchanged: int = 0
    message: str = ""

    @property
    def changed_something(self) -> bool:
        return self.status in ("added", "removed")

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "group_id": self.group_id,
            "group": self.group,
            "client_id": self.client_id,
            "client": self.client,
            "computers": self.computers,
            "unchanged": self.unchanged,
            "message": self.message,
        }


def _pair(cwa: AutomateClient, group: str | int, client: str | int) -> tuple[Group, Client, list[Computer]]:
    found_group = resolve_group(cwa, group)
    found_client = resolve_client(cwa, client)
    scope, owner = _scope(found_group)
    owner_id = found_group.client_to_sync.id if found_group.client_to_sync else None
    if scope == "client" and owner_id != found_client.id:
        raise InvalidInput(
            [Problem("group", f"{_full(found_group)!r} is specific to {owner!r}, not to {found_client.name!r}")],
            subject="the group membership",
        )
    return found_group, found_client, _computers_of(cwa, found_client)


def add_client_to_group(
    cwa: AutomateClient, group: str | int, client: str | int, *, dry_run: bool = False
) -> GroupMembership:
    """Put every computer of ``client`` into ``group`` (those already in it are left alone), then check."""
    found_group, found_client, computers = _pair(cwa, group, client)
    group_id, name = int(found_group.id or 0), _full(found_group)

    def result(status: str, changed: list[Computer], unchanged: int, message: str) -> GroupMembership:
        listed = [{"id": c.id, "name": c.computer_name or ""} for c in changed]
        return GroupMembership(
            status, group_id, name, int(found_client.id or 0), found_client.name or "", listed, unchanged, message
        )

    if not computers:
        return result(
            "no_computers",
            [],
            0,
            f"{found_client.name!r} has no computers: an Automate group holds computers, so there is nothing to "
            f"put into {name!r}.",
        )
    inside = {m.computer_id for m in _memberships(cwa, group_id)}
    missing = [c for c in computers if c.id not in inside]
    if not missing:
        return result("already_member", [], len(computers), f"{found_client.name!r} is already in {name!r}.")
    if dry_run:
        return result(
            "would_add",
            missing,
            len(computers) - len(missing),
            f"Would put {len(missing)} computer(s) of {found_client.name!r} into {name!r}.",
        )
    for computer in missing:
        cwa.group_computers.add(group_id, int(computer.id or 0))
    now_inside = {m.computer_id for m in _memberships(cwa, group_id)}
    lost = [c.computer_name for c in missing if c.id not in now_inside]
    if lost:
        return result("failed", missing, 0, f"Automate did not keep {', '.join(map(str, lost))} in {name!r}.")
    return result(
        "added",
        missing,
        len(computers) - len(missing),
        f"Put {len(missing)} computer(s) of {found_client.name!r} into {name!r}.",
    )


def remove_client_from_group(
    cwa: AutomateClient, group: str | int, client: str | int, *, dry_run: bool = False
) -> GroupMembership:
    """Take every computer of ``client`` out of ``group`` (its memberships are deleted), then check."""
    found_group, found_client, computers = _pair(cwa, group, client)
    group_id, name = int(found_group.id or 0), _full(found_group)
    by_id = {c.id: c for c in computers}
    memberships = [m for m in _memberships(cwa, group_id) if m.computer_id in by_id]

    def result(status: str, message: str) -> GroupMembership:
        listed = [{"id": m.computer_id, "name": by_id[m.computer_id].computer_name or ""} for m in memberships]
        return GroupMembership(
            status, group_id, name, int(found_client.id or 0), found_client.name or "", listed, 0, message
        )

    if not memberships:
        return result("not_a_member", f"{found_client.name!r} is not in {name!r}: nothing to remove.")
    if dry_run:
        return result(
            "would_remove", f"Would take {len(memberships)} computer(s) of {found_client.name!r} out of {name!r}."
        )
    for membership in memberships:
        cwa.group_computers.remove(int(membership.id or 0))
    left = [m for m in _memberships(cwa, group_id) if m.computer_id in by_id]
    if left:
        return result("failed", f"{len(left)} computer(s) of {found_client.name!r} are still in {name!r}.")
    return result("removed", f"Took {len(memberships)} computer(s) of {found_client.name!r} out of {name!r}.")

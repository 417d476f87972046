"""Lenient models of ConnectWise Automate records: clients, locations, computers, groups, group computers, EDFs.

Field lists follow ``automate-core.json`` (``LabTech.Models.*`` and ``Automate.Api.Domain.Contracts.*``):
snake_case attributes, PascalCase aliases on the wire, every field optional, unknown fields kept (the base is the
SDK's one lenient ``CWModel`` and its page decoder). Ids are ints here even where the spec types them as strings
(``Client.Id`` is ``"12"`` on the wire), so callers compare and pass them as numbers.

Not for: requests (``automate/resources.py``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import Field

from cwdesk.models import CWModel, decode_page, decode_record

__all__ = [
    "AutomateRef",
    "Client",
    "Computer",
    "ExtraField",
    "Group",
    "GroupComputer",
    "Location",
    "decode_page",
    "decode_record",
]


class AutomateRef(CWModel):
    """A link to another record as Automate nests it: ``{"Id": "3", "Name": "Acme"}`` (other members kept)."""

    id: int | None = Field(default=None, alias="Id")
    name: str | None = Field(default=None, alias="Name")


class Client(CWModel):
    """``LabTech.Models.Client``."""

    id: int | None = Field(default=None, alias="Id")
    name: str | None = Field(default=None, alias="Name")
    company: str | None = Field(default=None, alias="Company")
    first_name: str | None = Field(default=None, alias="FirstName")
    last_name: str | None = Field(default=None, alias="LastName")
    address1: str | None = Field(default=None, alias="Address1")
    address2: str | None = Field(default=None, alias="Address2")
    city: str | None = Field(default=None, alias="City")
    state: str | None = Field(default=None, alias="State")
    zip_code: str | None = Field(default=None, alias="ZipCode")
    phone_number: str | None = Field(default=None, alias="PhoneNumber")
    fax_number: str | None = Field(default=None, alias="FaxNumber")
    comment: str | None = Field(default=None, alias="Comment")
    country: str | None = Field(default=None, alias="Country")
    external_id: str | None = Field(default=None, alias="ExternalId")
    uses_in_house_support_staff: bool | None = Field(default=None, alias="UsesInHouseSupportStaff")
    new_ticket_notification_email: str | None = Field(default=None, alias="NewTicketNotificationEmail")
    is_hidden_from_all_inclusive_group: bool | None = Field(default=None, alias="IsHiddenFromAllInclusiveGroup")
    locations: list[Location] | None = Field(default=None, alias="Locations")

    @property
    def contact_name(self) -> str:
        """The client's contact as "First Last" (empty when Automate has none)."""
        return " ".join(part for part in (self.first_name, self.last_name) if part)


class Location(CWModel):
    """``LabTech.Models.Location`` (lists answer ``Automate.Api.Domain.Contracts.Clients.Location``)."""

    id: int | None = Field(default=None, alias="Id")
    location_id: int | None = Field(default=None, alias="LocationId")
    client: AutomateRef | None = Field(default=None, alias="Client")
    name: str | None = Field(default=None, alias="Name")
    address1: str | None = Field(default=None, alias="Address1")
    address2: str | None = Field(default=None, alias="Address2")
    city: str | None = Field(default=None, alias="City")
    state: str | None = Field(default=None, alias="State")
    zip_code: str | None = Field(default=None, alias="ZipCode")
    country: str | None = Field(default=None, alias="Country")
    phone_number: str | None = Field(default=None, alias="PhoneNumber")
    fax_number: str | None = Field(default=None, alias="FaxNumber")
    comments: str | None = Field(default=None, alias="Comments")
    probe_id: int | None = Field(default=None, alias="ProbeId")
    external_id: int | None = Field(default=None, alias="ExternalId")


class Computer(CWModel):
    """``LabTech.Models.Computer`` (the fields cwdesk uses; every other one is kept as it came)."""

    id: int | None = Field(default=None, alias="Id")
    computer_name: str | None = Field(default=None, alias="ComputerName")
    friendly_name: str | None = Field(default=None, alias="FriendlyName")
    client: AutomateRef | None = Field(default=None, alias="Client")
    location: AutomateRef | None = Field(default=None, alias="Location")
    type: str | None = Field(default=None, alias="Type")
    status: str | None = Field(default=None, alias="Status")
    remote_agent_last_contact: datetime | None = Field(default=None, alias="RemoteAgentLastContact")
    last_heartbeat: datetime | None = Field(default=None, alias="LastHeartbeat")
    operating_system_name: str | None = Field(default=None, alias="OperatingSystemName")
    operating_system_version: str | None = Field(default=None, alias="OperatingSystemVersion")
    domain_name: str | None = Field(default=None, alias="DomainName")
    local_ip_address: str | None = Field(default=None, alias="LocalIPAddress")
    mac_address: str | None = Field(default=None, alias="MACAddress")
    serial_number: str | None = Field(default=None, alias="SerialNumber")
    last_user_name: str | None = Field(default=None, alias="LastUserName")
    date_added: datetime | None = Field(default=None, alias="DateAdded")
    is_virtual_machine: bool | None = Field(default=None, alias="IsVirtualMachine")
    remote_agent_version: str | None = Field(default=None, alias="RemoteAgentVersion")
    comment: str | None = Field(default=None, alias="Comment")

    @property
    def is_online(self) -> bool:
        """Whether Automate reports the agent online (``Status`` is ``"Online"``, any case)."""
        return (self.status or "").strip().lower() == "online"


class Group(CWModel):
    """``LabTech.Models.Group``."""

    id: int | None = Field(default=None, alias="Id")
    parent_id: int | None = Field(default=None, alias="ParentId")
    name: str | None = Field(default=None, alias="Name")
    full_name: str | None = Field(default=None, alias="FullName")
    depth: int | None = Field(default=None, alias="Depth")
    type_id: int | None = Field(default=None, alias="TypeId")
    type_name: str | None = Field(default=None, alias="TypeName")
    guid: str | None = Field(default=None, alias="GUID")
    comments: str | None = Field(default=None, alias="Comments")
    # A group kept in step with one client's (or location's) computers: the client-specific groups.
    client_to_sync: AutomateRef | None = Field(default=None, alias="ClientToSync")
    location_to_sync: AutomateRef | None = Field(default=None, alias="LocationToSync")


class GroupComputer(CWModel):
    """``LabTech.Models.GroupComputer``: one computer's membership of one group."""

    id: int | None = Field(default=None, alias="Id")
    group_id: int | None = Field(default=None, alias="GroupId")
    computer_id: int | None = Field(default=None, alias="ComputerId")


class ExtraField(CWModel):
    """``Automate.Api.Domain.Contracts.ExtraFields.ExtraField``: one EDF of one client or location, with its value."""

    target_id: int | None = Field(default=None, alias="TargetId")
    extra_field_definition_id: int | None = Field(default=None, alias="ExtraFieldDefinitionId")
    title: str | None = Field(default=None, alias="Title")
    display_format: dict[str, Any] | None = Field(default=None, alias="DisplayFormat")
    section: str | None = Field(default=None, alias="Section")
    tooltip: str | None = Field(default=None, alias="Tooltip")
    is_read_only: bool | None = Field(default=None, alias="IsReadOnly")
    is_encrypted: bool | None = Field(default=None, alias="IsEncrypted")
    is_default_value: bool | None = Field(default=None, alias="IsDefaultValue")
    text_field_settings: dict[str, Any] | None = Field(default=None, alias="TextFieldSettings")
    dropdown_settings: dict[str, Any] | None = Field(default=None, alias="DropdownSettings")
    checkbox_settings: dict[str, Any] | None = Field(default=None, alias="CheckboxSettings")

    @property
    def kind(self) -> str:
        """``Text``, ``Checkbox`` or ``Dropdown`` (from ``DisplayFormat``, else from which settings are present)."""
        name = (self.display_format or {}).get("Name")
        if isinstance(name, str) and name:
            return name
        if self.checkbox_settings is not None:
            return "Checkbox"
        if self.dropdown_settings is not None:
            return "Dropdown"
        return "Text"

    @property
    def value(self) -> Any:
        """The current value: the text, the checkbox state (bool) or the selected dropdown option."""
        if self.checkbox_settings is not None:
            return bool(self.checkbox_settings.get("IsChecked"))
        if self.dropdown_settings is not None:
            return self.dropdown_settings.get("SelectedValue")
        if self.text_field_settings is not None:
            return self.text_field_settings.get("Value")
        return None

    @property
    def options(self) -> list[str]:
        """A dropdown's available options (empty for other kinds)."""
        available = (self.dropdown_settings or {}).get("AvailableOptions") or {}
        return [str(v) for v in available.values()] if isinstance(available, dict) else []


Client.model_rebuild()

"""W5 Automate client workflows, by task: one client (find, create, update, delete), its health and computers,
locations, groups, extra fields (EDFs), and the onboarding job.

Each is a plain function over an ``AutomateClient`` (``cwa``); the CLI (``cwdesk automate ...``), the console and
the MCP server call the same functions, so each rule lives in one place. Every write checks its input first
(``InvalidInput`` before anything is sent), has a dry run that answers what would change, and is idempotent where
Automate allows it (a second add is "already a member", a second update changes nothing).

- ``clients``: ``find_client``, ``resolve_client``, ``create_client``, ``update_client``, ``delete_client``.
- ``health``: ``client_report``, ``client_health``, ``list_computers``.
- ``locations``: ``list_locations``, ``create_location``, ``update_location``.
- ``groups``: ``list_groups``, ``add_client_to_group``, ``remove_client_from_group``.
- ``extra_fields``: ``client_extra_fields``, ``set_client_extra_fields``.
- ``onboarding``: ``onboard_client`` (a durable job, kind ``automate_clients.onboard``), ``check_onboard_plan``.
- ``changes``: the before -> after diff an update answers (``RecordUpdate``) and its field checks.

Not for: HTTP details (the SDK, ``cwdesk.automate``) or printing (the CLI).
"""

from cwdesk.workflows.automate_clients.changes import FieldChange, RecordUpdate, check_changes
from cwdesk.workflows.automate_clients.clients import (
    DEFAULT_LOCATION,
    ClientNotFound,
    DeleteResult,
    FindResult,
    create_client,
    delete_client,
    find_client,
    resolve_client,
    update_client,
)
from cwdesk.workflows.automate_clients.extra_fields import (
    EXTRA_FIELD_COLUMNS,
    FieldUpdate,
    client_extra_fields,
    set_client_extra_fields,
)
from cwdesk.workflows.automate_clients.groups import (
    GROUP_COLUMNS,
    GroupMembership,
    add_client_to_group,
    list_groups,
    remove_client_from_group,
    resolve_group,
)
from cwdesk.workflows.automate_clients.health import (
    COMPUTER_COLUMNS,
    ClientHealth,
    client_health,
    client_report,
    list_computers,
)
from cwdesk.workflows.automate_clients.locations import (
    LOCATION_COLUMNS,
    LocationCreate,
    create_location,
    list_locations,
    resolve_location,
    update_location,
)
from cwdesk.workflows.automate_clients.onboarding import (
    ONBOARD_KIND,
    AutomateClientPlan,
    AutomateLocationPlan,
    AutomateOnboardingPlan,
    OnboardResult,
    check_onboard_plan,
    onboard_client,
    plan_onboard,
    read_onboard_plan,
)

__all__ = [
    "COMPUTER_COLUMNS",
    "DEFAULT_LOCATION",
    "EXTRA_FIELD_COLUMNS",
    "GROUP_COLUMNS",
    "LOCATION_COLUMNS",
    "ONBOARD_KIND",
    "AutomateClientPlan",
    "AutomateLocationPlan",
    "AutomateOnboardingPlan",
    "ClientHealth",
    "ClientNotFound",
    "DeleteResult",
    "FieldChange",
    "FieldUpdate",
    "FindResult",
    "GroupMembership",
    "LocationCreate",
    "OnboardResult",
    "RecordUpdate",
    "add_client_to_group",
    "check_changes",
    "check_onboard_plan",
    "client_extra_fields",
    "client_health",
    "client_report",
    "create_client",
    "create_location",
    "delete_client",
    "find_client",
    "list_computers",
    "list_groups",
    "list_locations",
    "onboard_client",
    "plan_onboard",
    "read_onboard_plan",
    "remove_client_from_group",
    "resolve_client",
    "resolve_group",
    "resolve_location",
    "set_client_extra_fields",
    "update_client",
    "update_location",
]

"""The ConnectWise-backed storage of the SCIM server: scim2-server's ``ScimStorage`` over the members workflows.

scim2-server does the protocol (validation, PATCH and PUT applied to the stored resource, errors, ListResponse);
it calls this storage to read, search, create, update and delete. Reads go to ConnectWise through the SDK;
every write is a durable job (``changes.py``), made by ``scim:<token name>`` (``actor``, set per request).

- Users are members. ``get``/``search`` hide the members an identity provider deleted (RFC 7644 §3.6: a deleted
  resource answers 404), which ConnectWise keeps, deactivated.
- Groups are security roles, one per member. Adding a user to a group *moves* the member to that role (an
  identity provider pushes group membership one group at a time, so refusing would stop its push); removing a
  user from a group moves the member back to the default role (``ScimSettings.security_role``); removing one
  from the default role's group is refused, since a ConnectWise member always has a role. A group's
  ``displayName`` cannot change (ConnectWise cannot rename a role through its API).
- A filter becomes ConnectWise ``conditions`` (``filters.py``); ``startIndex``/``count`` become ``page`` and
  ``pageSize`` (at most two pages per SCIM page) and ``totalResults`` comes from ``/count``.
Not for: HTTP, tokens or throttling (``server.py``).
"""

from __future__ import annotations

import contextvars
import functools
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
import anyio.to_thread
import sqlalchemy as sa
from scim2_models import (
    ConflictException,
    InvalidValueException,
    MutabilityException,
    NotFoundException,
    Resource,
    ResourceType,
    ResponseParameters,
    SCIMException,
    ScimFilter,
    SearchRequest,
    UniquenessException,
)
from scim2_server.storage import AsyncScimStorage, ScimStorage

from cwdesk.conditions import C, Condition, all_of, render
from cwdesk.errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ConfigurationError,
    CWDeskError,
    NotFoundError,
)
from cwdesk.manage.client import ManageClient
from cwdesk.scim import changes
from cwdesk.scim.filters import translate
from cwdesk.scim.mapping import (
    ROLE_NAME_MAX,
    MemberFields,
    changes_for,
    group_of_role,
    member_fields,
    user_of_member,
)
from cwdesk.scim.models import MAX_RESULTS, Group, User
from cwdesk.store.scim_records import ScimRecords
from cwdesk.workflows import client_records as records
from cwdesk.workflows import members as w4
from cwdesk.workflows.validation import InvalidInput, Lookup, record_dict

__all__ = ["ConnectWiseStorage", "ScimSettings", "ThreadedStorage", "current_actor", "settings_problem"]

#: Who makes the changes of the request being served: ``scim:<token name>`` (set by the server per request).
current_actor: contextvars.ContextVar[str] = contextvars.ContextVar("cwdesk_scim_actor", default="scim")

_T = TypeVar("_T")


@dataclass(frozen=True)
class ScimSettings:
    """What the bridge fills in that an identity provider does not send (docs/scim.md, "Configuration")."""

    security_role: str = "Technician"  # the role of a new member, and of one removed from a group
    license_class: str = "F"
    hard_delete: bool = False  # DELETE deletes the member (after deactivating it) instead of only deactivating

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ScimSettings:
        """``CWDESK_SCIM_ROLE``, ``CWDESK_SCIM_LICENSE_CLASS``, ``CWDESK_SCIM_HARD_DELETE`` (1/true/yes/on), else the
        defaults; a licence class ConnectWise does not have is a ``ConfigurationError`` naming the choices."""
        env = os.environ if environ is None else environ
        license_class = (env.get("CWDESK_SCIM_LICENSE_CLASS") or "F").strip().upper()
        if license_class not in w4.LICENSE_CLASSES:
            raise ConfigurationError(
                f"CWDESK_SCIM_LICENSE_CLASS={license_class!r} is not a licence class: use F (full), A (API), C or X."
            )
        return cls(
            security_role=(env.get("CWDESK_SCIM_ROLE") or "Technician").strip(),
            license_class=license_class,
            hard_delete=env.get("CWDESK_SCIM_HARD_DELETE", "").strip().lower() in ("1", "true", "yes", "on"),
        )


def settings_problem(cw: ManageClient, settings: ScimSettings) -> str | None:
    """What is wrong with ``settings`` on this ConnectWise (the default role must exist), or None: asked once at
    start, so a mistyped role is found by whoever starts the bridge, not by the first user provisioned."""
    problem = Lookup.from_resource("security role", cw.security_roles).problem(settings.security_role)
    return f"the default security role (--role, CWDESK_SCIM_ROLE): {problem}" if problem else None


class _Unavailable(SCIMException):
    status = 503
    _default_detail = "ConnectWise cannot be reached"


class _Refused(SCIMException):
    status = 409
    _default_detail = "ConnectWise refused the change"


# How the job runner writes an SDK error into a job's message: ``APIStatusError``'s one line, "<status> <Code>:
# <what ConnectWise said> [<field errors>] (<METHOD> <url>)" (cwdesk/errors.py, ``_one_line``).
_STATUS_LINE = re.compile(
    r"\b(?P<status>[1-5]\d\d)(?: [A-Za-z]+)?: (?P<said>.*?) \((?:GET|POST|PUT|PATCH|DELETE) [^)\s]*\)"
)
_UNREACHABLE = tuple(cls.__name__ for cls in (APIConnectionError, APITimeoutError))


def _refusal(error: changes.ChangeFailed) -> SCIMException:
    """The SCIM error of a job that did not succeed, by what stopped it: ConnectWise unreachable, a 5xx or still
    rate limiting is ``503`` (an identity provider retries later), a value it refused ``400 invalidValue``, any
    other refusal ``409``. What ConnectWise said is passed on; its URL is not (the job keeps it)."""
    where = f"cwdesk job {error.job_id} (`cwdesk jobs show {error.job_id}`)"
    found = _STATUS_LINE.search(error.message)
    if found is None and not any(name in error.message for name in _UNREACHABLE):
        return _Refused(detail=f"{error.message} ({where})")  # a refusal the workflow worded for the user
    status = int(found["status"]) if found else 503
    said = found["said"] if found else "no answer"
    if status == 400:
        return InvalidValueException(detail=f"ConnectWise refused a value: {said} ({where})")
    if status == 429 or status >= 500 or found is None:
        return _Unavailable(detail=f"ConnectWise could not take the change now ({status}: {said}); try again later. "
                            f"{where}")  # fmt: skip
    return _Refused(detail=f"ConnectWise refused the change ({status}: {said}) ({where})")


def scim_error_of(error: CWDeskError) -> SCIMException:
    """The SCIM error of an SDK error that reached the storage: ConnectWise's own message, never a key or URL."""
    if isinstance(error, APIStatusError):
        said = error.message or error.code or "no message"
        if error.status_code == 404:
            return NotFoundException(detail=f"ConnectWise: {said}")
        if error.status_code == 409:
            return ConflictException(detail=f"ConnectWise refused the change: {said}")
        if error.status_code == 400:
            return InvalidValueException(detail=f"ConnectWise refused the value: {said}")
        return _Unavailable(detail=f"ConnectWise answered {error.status_code}: {said}; try again later.")
    if isinstance(error, APIConnectionError):
        return _Unavailable(detail="ConnectWise cannot be reached right now; try again later.")
    return _Unavailable(detail=f"The bridge could not complete the request: {type(error).__name__}.")


class ConnectWiseStorage(ScimStorage):
    """Users and Groups on ConnectWise members and security roles (synchronous: the SDK client is)."""

    supports_cursors = False

    def __init__(self, cw: ManageClient, engine: sa.Engine, settings: ScimSettings | None = None) -> None:
        self.cw = cw
        self.engine = engine
        self.settings = settings or ScimSettings()
        self.links = ScimRecords(engine, "member")
        self.role_links = ScimRecords(engine, "role")

    # -- reading -------------------------------------------------------------------------------------------
    def _member(self, resource_id: str) -> dict[str, Any]:
        if not resource_id.isdigit() or len(resource_id) > 18:
            raise NotFoundException(detail=f"There is no user {resource_id!r}.")
        try:
            member = records.get(self.cw.members, int(resource_id))
        except NotFoundError:
            raise NotFoundException(detail=f"There is no user {resource_id!r}.") from None
        if self.links.link(int(member["id"])).deleted:
            raise NotFoundException(detail=f"User {resource_id} was deleted.")
        return member

    def _user(self, member: Mapping[str, Any]) -> User:
        return user_of_member(member, self.links.link(int(member["id"])))

    def _users(self, members: list[dict[str, Any]]) -> list[User]:
        links = self.links.links(int(m["id"]) for m in members)
        return [user_of_member(m, links.get(int(m["id"]))) for m in members]

    def _role(self, resource_id: str) -> dict[str, Any]:
        if not resource_id.isdigit() or len(resource_id) > 18:
            raise NotFoundException(detail=f"There is no group {resource_id!r}.")
        try:
            return records.get(self.cw.security_roles, int(resource_id))
        except NotFoundError:
            raise NotFoundException(detail=f"There is no group {resource_id!r}.") from None

    def _visible(self) -> Condition | None:
        hidden = sorted(self.links.deleted())
        return C("id").not_in(hidden) if hidden else None

    def _members_of_role(self, role_id: int) -> list[dict[str, Any]]:
        where = all_of(*(c for c in (C("securityRole/id") == role_id, self._visible()) if c is not None))
        return [record_dict(m) for m in self.cw.members.list(where=where, order_by="id asc", page_size=1000)]

    def _group(self, role: Mapping[str, Any]) -> Group:
        return group_of_role(role, self._members_of_role(int(role["id"])), self.role_links.link(int(role["id"])))

    def get(
        self,
        resource_type: ResourceType,
        resource_id: str,
        *,
        response_parameters: ResponseParameters[Any] | None = None,
    ) -> Resource[Any]:
        if resource_type.name == "Group":
            return self._group(self._role(resource_id))
        return self._user(self._member(resource_id))

    def _page_of_members(self, where: Condition | None, start: int, count: int) -> list[dict[str, Any]]:
        """Members ``start`` (1-based) to ``start + count - 1`` in id order, in at most two ConnectWise pages."""
        size = max(1, min(count, MAX_RESULTS))
        first_page, offset = divmod(start - 1, size)
        found: list[dict[str, Any]] = []
        for page in (first_page + 1, first_page + 2) if offset else (first_page + 1,):
            params: dict[str, Any] = {"orderBy": "id asc", "page": page, "pageSize": size}
            if where is not None:
                params["conditions"] = render(where)
            body = self.cw.request_json("GET", "/system/members", params=params)
            found.extend(record_dict(item) for item in (body if isinstance(body, list) else []))
        return found[offset : offset + count]

    def _search_users(self, search: SearchRequest[Any]) -> tuple[int, list[Resource[Any]]]:
        translation = translate(search.filter, self.links.with_external_id)
        visible = self._visible()
        where = (
            all_of(*(c for c in (translation.condition, visible) if c is not None))
            if (translation.condition is not None or visible is not None)
            else None
        )
        start = max(1, search.start_index or 1)
        count = MAX_RESULTS if search.count is None else max(0, min(search.count, MAX_RESULTS))
        if translation.exact:
            total = self.cw.members.count(where=where)
            if count == 0 or start > total:
                return total, []
            return total, list(self._users(self._page_of_members(where, start, count)))
        # A filter ConnectWise cannot say exactly: read the wider set and let scim2-models decide each member.
        scim_filter = search.filter
        assert scim_filter is not None
        bound = ScimFilter[User](str(scim_filter))
        candidates = self._users(
            [record_dict(m) for m in self.cw.members.list(where=where, order_by="id asc", page_size=1000)]
        )
        matching = [user for user in candidates if bound.match(user)]
        return len(matching), list(matching[start - 1 : start - 1 + count])

    def _search_groups(self, search: SearchRequest[Any]) -> tuple[int, list[Resource[Any]]]:
        roles = [record_dict(r) for r in self.cw.security_roles.list(order_by="id asc", page_size=1000)]
        by_role: dict[int, list[dict[str, Any]]] = {int(r["id"]): [] for r in roles}
        where = self._visible()
        for member in self.cw.members.list(where=where, order_by="id asc", page_size=1000):
            item = record_dict(member)
            role = item.get("securityRole")
            if isinstance(role, Mapping) and isinstance(role.get("id"), int) and role["id"] in by_role:
                by_role[role["id"]].append(item)
        links = self.role_links.links(by_role)
        groups = [group_of_role(role, by_role[int(role["id"])], links.get(int(role["id"]))) for role in roles]
        if search.filter is not None:
            bound = ScimFilter[Group](str(search.filter))
            groups = [group for group in groups if bound.match(group)]
        start = max(1, search.start_index or 1)
        count = MAX_RESULTS if search.count is None else max(0, min(search.count, MAX_RESULTS))
        return len(groups), list(groups[start - 1 : start - 1 + count])

    def search(
        self,
        resource_types: list[ResourceType],
        search_request: SearchRequest[Any],
        *,
        position: Any = None,
    ) -> Any:
        from scim2_server.storage import SearchPage

        names = {rt.name for rt in resource_types}
        if names == {"Group"}:
            total, found = self._search_groups(search_request)
        elif names == {"User"}:
            total, found = self._search_users(search_request)
        else:
            from scim2_models import NotImplementedException

            raise NotImplementedException(detail="Search /Users or /Groups; a search at the root is not supported.")
        return SearchPage(total=total, resources=found)

    # -- writing -------------------------------------------------------------------------------------------
    def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Resource[Any]:
        if resource_type.name == "Group":
            return self._create_group(resource)
        assert isinstance(resource, User)
        wanted = member_fields(resource)
        actor = current_actor.get()
        taken = w4.find_member(self.cw, wanted.identifier)
        if taken is not None and self.links.link(int(taken["id"])).deleted:
            # The bridge itself deleted (deactivated) this member earlier, and an identity provider provisions the
            # same userName again (a user restored in Entra ID, re-assigned in Okta): bring the member back rather
            # than refuse a name nobody else can take.
            return self._revive(taken, resource, wanted, actor)
        if taken is not None:
            raise UniquenessException(
                detail=f"userName {wanted.identifier!r} is already the identifier of ConnectWise member "
                f"{taken['id']}; choose another userName."
            )
        new = w4.NewMember(
            identifier=wanted.identifier,
            first_name=wanted.fields["firstName"],
            last_name=wanted.fields["lastName"],
            email=wanted.email,
            security_role=self.settings.security_role,
            license_class=self.settings.license_class,
            phone=wanted.phone,
            title=wanted.fields["title"] or None,
            default_email=wanted.email_slot,
            default_phone=wanted.phone_slot,
        )
        try:
            made = w4.provision_member(self.engine, self.cw, new, created_by=actor)
        except InvalidInput as error:
            changes.audit(self.engine, actor, "create user", wanted.identifier, result="refused", message=str(error))
            raise InvalidValueException(detail="; ".join(str(p) for p in error.problems)) from None
        try:
            summary = changes.checked(made.summary)
        except changes.ChangeFailed as error:
            changes.audit(
                self.engine,
                actor,
                "create user",
                wanted.identifier,
                result="error",
                message=error.message,
                job_id=error.job_id,
            )
            raise _refusal(error) from None
        member = w4.find_member(self.cw, wanted.identifier)
        if member is None:
            raise NotFoundException(detail=f"Member {wanted.identifier} was created but cannot be read back.")
        self._remember(int(member["id"]), resource, wanted)
        changes.audit(self.engine, actor, "create user", wanted.identifier, result="ok", job_id=summary.id)
        # What W4's provisioning does not set (more emails or phones, active: false) is a second, small job.
        rest = changes_for(member, wanted)
        if rest:
            member = self._apply(member, rest, actor, "create user (rest)")
        return self._user(member)

    def _revive(self, member: dict[str, Any], user: User, wanted: MemberFields, actor: str) -> User:
        self.links.save(int(member["id"]), deleted_at=None)
        self._remember(int(member["id"]), user, wanted)
        changes.audit(self.engine, actor, "create user (revive)", wanted.identifier, result="ok",
                      message=f"member {member['id']} was deleted through SCIM; provisioned again")  # fmt: skip
        return self._user(self._apply(member, changes_for(member, wanted), actor, "create user (revive)"))

    def _remember(self, member_id: int, user: User, wanted: MemberFields) -> None:
        """Keep what ConnectWise cannot: the provider's externalId and which email and phone it marked primary."""
        kept = self.links.link(member_id)
        values = {
            "external_id": user.external_id,
            "email_primary": wanted.email_primary,
            "phone_primary": wanted.phone_primary,
        }
        if (kept.external_id, kept.email_primary, kept.phone_primary) != tuple(values.values()):
            self.links.save(member_id, **values)

    def _apply(self, member: dict[str, Any], wanted: dict[str, Any], actor: str, what: str) -> dict[str, Any]:
        """Change ``member`` as ``wanted`` says (API fields that differ): ``inactiveFlag: true`` through W4's
        deprovision job, everything else (re-activation included) as one ``scim`` job (action ``update_member``)."""
        identifier = str(member.get("identifier"))
        rest = dict(wanted)
        deactivate = rest.get("inactiveFlag") is True
        if deactivate:
            rest.pop("inactiveFlag")
        try:
            if rest:
                summary = changes.update_member(self.engine, self.cw, member, rest, actor)
                if summary is not None:
                    changes.audit(self.engine, actor, what, identifier, result="ok", job_id=summary.id,
                                  message=f"changed {', '.join(rest)}")  # fmt: skip
            if deactivate and member.get("inactiveFlag") is not True:
                made = w4.deprovision_member(self.engine, self.cw, int(member["id"]), created_by=actor)
                summary = changes.checked(made.summary)
                changes.audit(self.engine, actor, f"{what}: deactivate", identifier, result="ok", job_id=summary.id)
        except changes.ChangeFailed as error:
            changes.audit(self.engine, actor, what, identifier, result="error", message=error.message,
                          job_id=error.job_id)  # fmt: skip
            raise _refusal(error) from None
        return records.get(self.cw.members, int(member["id"]))

    def update(
        self, resource_type: ResourceType, resource: Resource[Any], *, expected_version: str | None = None
    ) -> Resource[Any]:
        if resource_type.name == "Group":
            return self._update_group(resource)
        assert isinstance(resource, User) and resource.id is not None
        member = self._member(resource.id)
        wanted = member_fields(resource)
        actor = current_actor.get()
        if wanted.identifier.lower() != str(member.get("identifier") or "").lower():
            taken = w4.find_member(self.cw, wanted.identifier)
            if taken is not None and int(taken["id"]) != int(member["id"]):
                raise UniquenessException(
                    detail=f"userName {wanted.identifier!r} is already the identifier of member {taken['id']}."
                )
        self._remember(int(member["id"]), resource, wanted)
        member = self._apply(member, changes_for(member, wanted), actor, "update user")
        return self._user(member)

    def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: str | None = None) -> None:
        if resource_type.name == "Group":
            self._delete_group(resource_id)
            return
        member = self._member(resource_id)
        actor = current_actor.get()
        identifier = str(member.get("identifier"))
        made = w4.deprovision_member(
            self.engine, self.cw, int(member["id"]), delete=self.settings.hard_delete, created_by=actor
        )
        try:
            summary = changes.checked(made.summary)
        except changes.ChangeFailed as error:
            changes.audit(self.engine, actor, "delete user", identifier, result="error", message=error.message,
                          job_id=error.job_id)  # fmt: skip
            raise _refusal(error) from None
        self.links.mark_deleted(int(member["id"]))
        done = "deleted" if self.settings.hard_delete else "deactivated (kept in ConnectWise)"
        changes.audit(self.engine, actor, "delete user", identifier, result="ok", job_id=summary.id, message=done)

    # -- groups ----------------------------------------------------------------------------------------------
    def _default_role(self) -> dict[str, Any]:
        roles = Lookup.from_resource("security role", self.cw.security_roles)
        problem = roles.problem(self.settings.security_role)
        if problem:
            raise InvalidValueException(detail=f"The bridge's default security role: {problem}")
        return dict(roles.resolve(self.settings.security_role).reference())

    def _member_ids(self, group: Group) -> list[int]:
        ids: list[int] = []
        for item in group.members or []:
            value = str(item.value or "")
            if item.type not in (None, "User") or not value.isdigit():
                raise InvalidValueException(
                    detail=f"members: {value!r} is not a user of this server (groups hold users only, no groups)."
                )
            ids.append(int(value))
        return ids

    def _set_members(self, role: Mapping[str, Any], group: Group) -> None:
        wanted = self._member_ids(group)
        current = {int(m["id"]): m for m in self._members_of_role(int(role["id"]))}
        actor = current_actor.get()
        role_ref = {"id": int(role["id"])}
        for member_id in wanted:
            if member_id in current:
                continue
            member = self._member(str(member_id))
            self._apply(member, {"securityRole": role_ref}, actor, f"add user to group {role.get('name')}")
        removed = [m for member_id, m in current.items() if member_id not in wanted]
        if removed:
            default = self._default_role()
            if int(default["id"]) == int(role["id"]):
                raise MutabilityException(
                    detail=f"Group {role.get('name')} is the bridge's default security role: a ConnectWise member "
                    "always has one role, so a user leaves it only by being added to another group."
                )
            for member in removed:
                self._apply(member, {"securityRole": {"id": int(default["id"])}}, actor,
                            f"remove user from group {role.get('name')}")  # fmt: skip

    def _create_group(self, resource: Resource[Any]) -> Resource[Any]:
        assert isinstance(resource, Group)
        name = (resource.display_name or "").strip()
        if not name:
            raise InvalidValueException(detail="displayName: is required (the security role's name)")
        if len(name) > ROLE_NAME_MAX:
            raise InvalidValueException(
                detail=f"displayName: {name!r} is {len(name)} characters long; a ConnectWise security role name "
                f"holds at most {ROLE_NAME_MAX}."
            )
        existing = records.first(self.cw.security_roles, C("name") == name)
        if existing is not None:
            raise UniquenessException(
                detail=f"There is already a security role named {name!r} (group {existing['id']})."
            )
        self._member_ids(resource)
        actor = current_actor.get()
        try:
            role_id = changes.create_role(self.engine, self.cw, name, actor)
        except changes.ChangeFailed as error:
            changes.audit(self.engine, actor, "create group", name, result="error", message=error.message,
                          job_id=error.job_id)  # fmt: skip
            raise _refusal(error) from None
        changes.audit(self.engine, actor, "create group", name, result="ok", message=f"security role {role_id}")
        role = records.get(self.cw.security_roles, role_id)
        if resource.external_id:
            self.role_links.save(int(role["id"]), external_id=resource.external_id)
        self._set_members(role, resource)
        return self._group(role)

    def _update_group(self, resource: Resource[Any]) -> Resource[Any]:
        assert isinstance(resource, Group) and resource.id is not None
        role = self._role(resource.id)
        if (resource.display_name or "") != (role.get("name") or ""):
            raise MutabilityException(
                detail="displayName: ConnectWise cannot rename a security role through its API; create a new group."
            )
        if resource.external_id != self.role_links.link(int(role["id"])).external_id:
            self.role_links.save(int(role["id"]), external_id=resource.external_id)
        self._set_members(role, resource)
        return self._group(role)

    def _delete_group(self, resource_id: str) -> None:
        role = self._role(resource_id)
        if self._members_of_role(int(role["id"])):
            raise ConflictException(
                detail=f"Security role {role.get('name')} still has members; move them to another group first."
            )
        actor = current_actor.get()
        try:
            summary = changes.delete_role(self.engine, self.cw, role, actor)
        except changes.ChangeFailed as error:
            changes.audit(self.engine, actor, "delete group", str(role.get("name")), result="error",
                          message=error.message, job_id=error.job_id)  # fmt: skip
            raise _refusal(error) from None
        changes.audit(self.engine, actor, "delete group", str(role.get("name")), result="ok", job_id=summary.id)


#: SCIM operations that reach ConnectWise at the same time; more wait their turn. Kept below the burst ConnectWise
#: allows, so that after a 429 and its Retry-After every waiting operation's next call finds room: an identity
#: provider's burst is paced, not answered with errors (tests/scim/test_safety.py, the 100-call burst).
CONCURRENT_OPERATIONS = 4


class ThreadedStorage(AsyncScimStorage):
    """scim2-server's asynchronous storage over ``ConnectWiseStorage``: each call runs in a worker thread (the SDK
    client is synchronous), with the request's context (its ``current_actor``), at most ``concurrency`` at once."""

    supports_cursors = False

    def __init__(self, storage: ConnectWiseStorage, *, concurrency: int = CONCURRENT_OPERATIONS) -> None:
        self.storage = storage
        self.limiter = anyio.CapacityLimiter(concurrency)

    async def _call(self, function: Callable[..., _T], *args: Any, **kwargs: Any) -> _T:
        context = contextvars.copy_context()
        try:
            call = functools.partial(context.run, function, *args, **kwargs)
            return await anyio.to_thread.run_sync(call, limiter=self.limiter)
        except CWDeskError as error:
            raise scim_error_of(error) from None

    async def get(self, resource_type: ResourceType, resource_id: str, *, response_parameters: Any = None) -> Any:
        return await self._call(self.storage.get, resource_type, resource_id)

    async def search(self, resource_types: list[ResourceType], search_request: Any, *, position: Any = None) -> Any:
        return await self._call(self.storage.search, resource_types, search_request)

    async def create(self, resource_type: ResourceType, resource: Resource[Any]) -> Any:
        return await self._call(self.storage.create, resource_type, resource)

    async def update(
        self, resource_type: ResourceType, resource: Resource[Any], *, expected_version: Any = None
    ) -> Any:
        return await self._call(self.storage.update, resource_type, resource)

    async def delete(self, resource_type: ResourceType, resource_id: str, *, expected_version: Any = None) -> None:
        await self._call(self.storage.delete, resource_type, resource_id)

    def operation(self) -> Any:
        from contextlib import nullcontext

        return nullcontext()

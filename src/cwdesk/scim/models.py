"""What the SCIM bridge publishes: the User and Group models, the resource types and the service's capabilities.

The User model is RFC 7643's core User cut down to what a ConnectWise member holds (``/Schemas`` then tells an
identity provider exactly what is kept, instead of announcing ``addresses`` or ``x509Certificates`` that would be
dropped): ``userName``, ``name.givenName``/``familyName``, ``displayName`` (read-only: first and last name),
``title``, ``active``, ``emails`` and ``phoneNumbers`` with the types ConnectWise has a slot for, ``groups``
(read-only: the member's security role) and ``externalId``. The Group model is the RFC's, one group per security
role. The mapping itself is ``mapping.py``.
Not for: reading or writing ConnectWise (``storage.py``) or HTTP (``server.py``).
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

from pydantic import EmailStr, Field
from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    CaseExact,
    ChangePassword,
    ComplexAttribute,
    ETag,
    ExtensibleStringEnum,
    Filter,
    GroupMembership,
    Mutability,
    Patch,
    Reference,
    Required,
    Resource,
    ResourceType,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)
from scim2_models import External as ExternalReference

__all__ = ["MAX_RESULTS", "Email", "Group", "GroupMember", "Name", "PhoneNumber", "User", "provider"]

#: The largest page ``/Users`` answers (``count`` above it is lowered): ConnectWise's own largest page.
MAX_RESULTS = 1000


class Name(ComplexAttribute):
    """A member's first and last name (ConnectWise keeps no middle name nor honorifics; the whole name is the
    User's ``displayName``)."""

    family_name: Annotated[str | None, Required.true] = None
    given_name: Annotated[str | None, Required.true] = None


class Email(ComplexAttribute):
    """One of the three email slots of a member: ``work`` = officeEmail, ``home`` = homeEmail, ``other`` =
    mobileEmail; ``primary`` is the slot named by ``defaultEmail``."""

    class Type(ExtensibleStringEnum):
        work = "work"
        home = "home"
        other = "other"

    value: Annotated[EmailStr | None, Required.true] = None
    type: Type | None = None
    primary: bool | None = None


class PhoneNumber(ComplexAttribute):
    """One of the three phone slots: ``work`` = officePhone, ``mobile`` = mobilePhone, ``home`` = homePhone;
    ``primary`` is the slot named by ``defaultPhone``."""

    class Type(ExtensibleStringEnum):
        work = "work"
        mobile = "mobile"
        home = "home"

    value: Annotated[str | None, Required.true] = None
    type: Type | None = None
    primary: bool | None = None


class User(Resource[Any]):
    """RFC 7643 §4.1's User, limited to what a ConnectWise member keeps."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:User")

    user_name: Annotated[str | None, Uniqueness.server, Required.true] = None
    # Required: ConnectWise needs a member's first and last name and an email address.
    name: Annotated[Name | None, Required.true] = None
    Name: ClassVar[type[ComplexAttribute]] = Name
    display_name: Annotated[str | None, Mutability.read_only] = None
    title: str | None = None
    # Required: a member is always active or not (inactiveFlag); there is no "unknown" to remove it to.
    active: Annotated[bool | None, Required.true] = None
    emails: Annotated[list[Email] | None, Required.true] = None
    Emails: ClassVar[type[ComplexAttribute]] = Email
    phone_numbers: list[PhoneNumber] | None = None
    PhoneNumbers: ClassVar[type[ComplexAttribute]] = PhoneNumber
    groups: Annotated[list[GroupMembership] | None, Mutability.read_only] = None
    Groups: ClassVar[type[ComplexAttribute]] = GroupMembership


class GroupMember(ComplexAttribute):
    """A user in a group (groups hold users only: ConnectWise roles do not nest)."""

    value: Annotated[str | None, Mutability.immutable, CaseExact.true] = None
    ref: Annotated[Reference["User"] | None, Mutability.immutable] = Field(  # noqa: UP037 (the resource type)
        None, serialization_alias="$ref", validation_alias="$ref"
    )
    type: Annotated[str | None, Mutability.immutable] = Field(None, examples=["User"])


class Group(Resource[Any]):
    """RFC 7643 §4.2's Group, one per ConnectWise security role; its ``displayName`` (the role's name) is set when
    the group is made and cannot change: ConnectWise has no update of a security role in its API."""

    __schema__ = URN("urn:ietf:params:scim:schemas:core:2.0:Group")

    display_name: Annotated[str | None, Mutability.immutable, Required.true] = None
    members: list[GroupMember] | None = None
    Members: ClassVar[type[ComplexAttribute]] = GroupMember


BEARER = AuthenticationScheme(
    type=AuthenticationScheme.Type.oauthbearertoken,
    name="Bearer token",
    description="A token made by `cwdesk scim token create --name NAME`, sent as Authorization: Bearer <token>.",
    spec_uri=Reference[ExternalReference]("https://datatracker.ietf.org/doc/html/rfc6750"),
    primary=True,
)


def service_config() -> ServiceProviderConfig:
    """What the bridge supports: PATCH and filters; no bulk, sort, ETag or password change (ConnectWise passwords
    are not set through its API by cwdesk)."""
    return ServiceProviderConfig(
        patch=Patch(supported=True),
        bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
        filter=Filter(supported=True, max_results=MAX_RESULTS),
        change_password=ChangePassword(supported=False),
        sort=Sort(supported=False),
        etag=ETag(supported=False),
        authentication_schemes=[BEARER],
    )


#: What the bridge tolerates from identity providers (scim2-models' policy; the strict reading otherwise):
#: - attributes it does not keep are dropped, not refused: Okta's create carries ``locale`` and ``password``, Entra
#:   ID's ``addresses``, ``preferredLanguage`` and the enterprise extension (their documented requests, docs/scim.md);
#: - a ``remove`` carrying a ``value`` removes that value: Entra ID's default group-member removal,
#:   ``{"op":"Remove","path":"members","value":[{"value":"<id>"}]}`` (Microsoft's "Known issues ... SCIM 2.0
#:   protocol compliance", MicrosoftDocs/azure-docs application-provisioning-config-problem-scim-compatibility.md);
#: - a ``replace`` of ``emails[type eq "work"].value`` on a user with no work email adds it, as Entra expects.
#: Entra's capitalised ops (``Replace``) and string booleans (``"False"``) are read by scim2-models as they are.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)


def provider() -> ScimProvider:
    """The service: Users and Groups, with the configuration and the policy above."""
    return ScimProvider(
        models=[User, Group],
        resource_types=[ResourceType.from_resource(User), ResourceType.from_resource(Group)],
        config=service_config(),
        policy=POLICY,
    )

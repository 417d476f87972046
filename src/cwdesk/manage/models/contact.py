"""Lenient models of ConnectWise Manage contacts, their communication items, contact types, relationships and
departments.

Field lists follow shared/spec/manage-core.json (schema names in each docstring): snake_case attributes, camelCase
aliases on the wire, all optional, unknown fields kept. Not for: requests (``manage/resources``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from cwdesk.manage.models.base import CustomFieldValue, CWModel, InfoLinks, Nested, ReferenceField, ReferenceList

__all__ = [
    "Contact",
    "ContactCommunicationItem",
    "ContactRelationship",
    "ContactType",
]


class ContactCommunicationItem(CWModel):
    """The Manage `ContactCommunicationItem` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    type: ReferenceField = None
    value: str | None = None
    extension: str | None = None
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    domain: str | None = None
    communication_type: str | None = Field(default=None, alias="communicationType")


class Contact(CWModel):
    """The Manage `Contact` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    first_name: str | None = Field(default=None, alias="firstName")
    last_name: str | None = Field(default=None, alias="lastName")
    company: ReferenceField = None
    site: ReferenceField = None
    address_line1: str | None = Field(default=None, alias="addressLine1")
    address_line2: str | None = Field(default=None, alias="addressLine2")
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: ReferenceField = None
    relationship: ReferenceField = None
    relationship_override: str | None = Field(default=None, alias="relationshipOverride")
    department: ReferenceField = None
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    default_merge_contact_id: int | None = Field(default=None, alias="defaultMergeContactId")
    security_identifier: str | None = Field(default=None, alias="securityIdentifier")
    manager_contact: ReferenceField = Field(default=None, alias="managerContact")
    assistant_contact: ReferenceField = Field(default=None, alias="assistantContact")
    title: str | None = None
    school: str | None = None
    nick_name: str | None = Field(default=None, alias="nickName")
    married_flag: bool | None = Field(default=None, alias="marriedFlag")
    children_flag: bool | None = Field(default=None, alias="childrenFlag")
    children: str | None = None
    significant_other: str | None = Field(default=None, alias="significantOther")
    portal_password: str | None = Field(default=None, alias="portalPassword")
    portal_security_level: int | None = Field(default=None, alias="portalSecurityLevel")
    disable_portal_login_flag: bool | None = Field(default=None, alias="disablePortalLoginFlag")
    unsubscribe_flag: bool | None = Field(default=None, alias="unsubscribeFlag")
    gender: str | None = None
    birth_day: str | None = Field(default=None, alias="birthDay")
    anniversary: str | None = None
    presence: str | None = None
    mobile_guid: str | None = Field(default=None, alias="mobileGuid")
    facebook_url: str | None = Field(default=None, alias="facebookUrl")
    twitter_url: str | None = Field(default=None, alias="twitterUrl")
    linked_in_url: str | None = Field(default=None, alias="linkedInUrl")
    default_phone_type: str | None = Field(default=None, alias="defaultPhoneType")
    default_phone_nbr: str | None = Field(default=None, alias="defaultPhoneNbr")
    default_phone_extension: str | None = Field(default=None, alias="defaultPhoneExtension")
    default_billing_flag: bool | None = Field(default=None, alias="defaultBillingFlag")
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    user_defined_field1: str | None = Field(default=None, alias="userDefinedField1")
    user_defined_field2: str | None = Field(default=None, alias="userDefinedField2")
    user_defined_field3: str | None = Field(default=None, alias="userDefinedField3")
    user_defined_field4: str | None = Field(default=None, alias="userDefinedField4")
    user_defined_field5: str | None = Field(default=None, alias="userDefinedField5")
    user_defined_field6: str | None = Field(default=None, alias="userDefinedField6")
    user_defined_field7: str | None = Field(default=None, alias="userDefinedField7")
    user_defined_field8: str | None = Field(default=None, alias="userDefinedField8")
    user_defined_field9: str | None = Field(default=None, alias="userDefinedField9")
    user_defined_field10: str | None = Field(default=None, alias="userDefinedField10")
    company_location: ReferenceField = Field(default=None, alias="companyLocation")
    communication_items: Annotated[list[ContactCommunicationItem] | None, Nested()] = Field(
        default=None, alias="communicationItems"
    )
    types: ReferenceList = None
    integrator_tags: list[str] | None = Field(default=None, alias="integratorTags")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")
    photo: ReferenceField = None
    ignore_duplicates: bool | None = Field(default=None, alias="ignoreDuplicates")
    info: InfoLinks = Field(default=None, alias="_info")
    type_ids: list[int] | None = Field(default=None, alias="typeIds")


class ContactType(CWModel):
    """The Manage `ContactType` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    description: str | None = None  # required on create
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    service_alert_flag: bool | None = Field(default=None, alias="serviceAlertFlag")
    service_alert_message: str | None = Field(default=None, alias="serviceAlertMessage")
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")


class ContactRelationship(CWModel):
    """The Manage `ContactRelationship` record (reconstructed-2025.1); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    info: InfoLinks = Field(default=None, alias="_info")


class ContactDepartment(CWModel):
    """The Manage `ContactDepartment` record (official-get-subset-2026.4): a contact's department, what a
    contact's ``department`` (ContactDepartmentReference) names; every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create; at most 30 characters
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")

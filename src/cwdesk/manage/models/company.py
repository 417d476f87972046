"""Lenient models of ConnectWise Manage companies, their sites, statuses and types, and custom field values.

Field lists follow shared/spec/manage-core.json (schema names in each docstring): snake_case attributes, camelCase
aliases on the wire, all optional, unknown fields kept. Not for: requests (``manage/resources``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cwdesk.manage.models.base import CustomFieldValue, CWModel, InfoLinks, Nested, ReferenceField, ReferenceList

__all__ = [
    "Company",
    "CompanySite",
    "CompanyStatus",
    "CompanyType",
]


class Company(CWModel):
    """The Manage `Company` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    identifier: str | None = None  # required on create
    name: str | None = None  # required on create
    status: ReferenceField = None
    address_line1: str | None = Field(default=None, alias="addressLine1")
    address_line2: str | None = Field(default=None, alias="addressLine2")
    city: str | None = None
    state: str | None = None
    zip: str | None = None
    country: ReferenceField = None
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    fax_number: str | None = Field(default=None, alias="faxNumber")
    website: str | None = None
    territory: ReferenceField = None
    market: ReferenceField = None
    account_number: str | None = Field(default=None, alias="accountNumber")
    default_contact: ReferenceField = Field(default=None, alias="defaultContact")
    date_acquired: datetime | None = Field(default=None, alias="dateAcquired")
    sic_code: ReferenceField = Field(default=None, alias="sicCode")
    parent_company: ReferenceField = Field(default=None, alias="parentCompany")
    annual_revenue: float | None = Field(default=None, alias="annualRevenue")
    credit_limit: float | None = Field(default=None, alias="creditLimit")
    additional_debt: float | None = Field(default=None, alias="additionalDebt")
    number_of_employees: int | None = Field(default=None, alias="numberOfEmployees")
    year_established: int | None = Field(default=None, alias="yearEstablished")
    revenue_year: int | None = Field(default=None, alias="revenueYear")
    ownership_type: ReferenceField = Field(default=None, alias="ownershipType")
    time_zone_setup: ReferenceField = Field(default=None, alias="timeZoneSetup")
    lead_source: str | None = Field(default=None, alias="leadSource")
    lead_flag: bool | None = Field(default=None, alias="leadFlag")
    unsubscribe_flag: bool | None = Field(default=None, alias="unsubscribeFlag")
    calendar: ReferenceField = None
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
    vendor_identifier: str | None = Field(default=None, alias="vendorIdentifier")
    tax_identifier: str | None = Field(default=None, alias="taxIdentifier")
    tax_code: ReferenceField = Field(default=None, alias="taxCode")
    billing_terms: ReferenceField = Field(default=None, alias="billingTerms")
    invoice_template: ReferenceField = Field(default=None, alias="invoiceTemplate")
    pricing_schedule: ReferenceField = Field(default=None, alias="pricingSchedule")
    company_entity_type: ReferenceField = Field(default=None, alias="companyEntityType")
    bill_to_company: ReferenceField = Field(default=None, alias="billToCompany")
    billing_site: ReferenceField = Field(default=None, alias="billingSite")
    billing_contact: ReferenceField = Field(default=None, alias="billingContact")
    invoice_delivery_method: ReferenceField = Field(default=None, alias="invoiceDeliveryMethod")
    email_template: ReferenceField = Field(default=None, alias="emailTemplate")
    invoice_to_email_address: str | None = Field(default=None, alias="invoiceToEmailAddress")
    invoice_cc_email_address: str | None = Field(default=None, alias="invoiceCCEmailAddress")
    deleted_flag: bool | None = Field(default=None, alias="deletedFlag")
    date_deleted: datetime | None = Field(default=None, alias="dateDeleted")
    deleted_by: str | None = Field(default=None, alias="deletedBy")
    mobile_guid: str | None = Field(default=None, alias="mobileGuid")
    facebook_url: str | None = Field(default=None, alias="facebookUrl")
    twitter_url: str | None = Field(default=None, alias="twitterUrl")
    linked_in_url: str | None = Field(default=None, alias="linkedInUrl")
    currency: ReferenceField = None
    territory_manager: ReferenceField = Field(default=None, alias="territoryManager")
    reseller_identifier: str | None = Field(default=None, alias="resellerIdentifier")
    is_vendor_flag: bool | None = Field(default=None, alias="isVendorFlag")
    types: ReferenceList = None
    site: ReferenceField = None
    integrator_tags: list[str] | None = Field(default=None, alias="integratorTags")
    info: InfoLinks = Field(default=None, alias="_info")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")


class CompanySite(CWModel):
    """The Manage `CompanySite` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    address_line1: str | None = Field(default=None, alias="addressLine1")
    address_line2: str | None = Field(default=None, alias="addressLine2")
    city: str | None = None
    state_reference: ReferenceField = Field(default=None, alias="stateReference")
    zip: str | None = None
    country: ReferenceField = None
    address_format: str | None = Field(default=None, alias="addressFormat")
    phone_number: str | None = Field(default=None, alias="phoneNumber")
    phone_number_ext: str | None = Field(default=None, alias="phoneNumberExt")
    fax_number: str | None = Field(default=None, alias="faxNumber")
    tax_code: ReferenceField = Field(default=None, alias="taxCode")
    entity_type: ReferenceField = Field(default=None, alias="entityType")
    expense_reimbursement: float | None = Field(default=None, alias="expenseReimbursement")
    primary_address_flag: bool | None = Field(default=None, alias="primaryAddressFlag")
    default_shipping_flag: bool | None = Field(default=None, alias="defaultShippingFlag")
    default_billing_flag: bool | None = Field(default=None, alias="defaultBillingFlag")
    default_mailing_flag: bool | None = Field(default=None, alias="defaultMailingFlag")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    bill_separate_flag: bool | None = Field(default=None, alias="billSeparateFlag")
    mobile_guid: str | None = Field(default=None, alias="mobileGuid")
    calendar: ReferenceField = None
    time_zone: ReferenceField = Field(default=None, alias="timeZone")
    company: ReferenceField = None
    info: InfoLinks = Field(default=None, alias="_info")
    territory: ReferenceField = None
    invoice_template: ReferenceField = Field(default=None, alias="invoiceTemplate")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")


class CompanyStatus(CWModel):
    """The Manage `CompanyStatus` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    notify_flag: bool | None = Field(default=None, alias="notifyFlag")
    disallow_saving_flag: bool | None = Field(default=None, alias="disallowSavingFlag")
    notification_message: str | None = Field(default=None, alias="notificationMessage")
    custom_note_flag: bool | None = Field(default=None, alias="customNoteFlag")
    cancel_open_tracks_flag: bool | None = Field(default=None, alias="cancelOpenTracksFlag")
    track: ReferenceField = None
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")


class CompanyType(CWModel):
    """The Manage `CompanyType` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    vendor_flag: bool | None = Field(default=None, alias="vendorFlag")
    service_alert_flag: bool | None = Field(default=None, alias="serviceAlertFlag")
    service_alert_message: str | None = Field(default=None, alias="serviceAlertMessage")
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")

"""Lenient models of ConnectWise Manage agreements and agreement types.

Field lists follow shared/spec/manage-core.json (schema names in each docstring): snake_case attributes, camelCase
aliases on the wire, all optional, unknown fields kept. Not for: requests (``manage/resources``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cwdesk.manage.models.base import CustomFieldValue, CWModel, InfoLinks, Nested, ReferenceField

__all__ = [
    "Agreement",
    "AgreementType",
]


class Agreement(CWModel):
    """The Manage `Agreement` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    type: ReferenceField = None  # required on create
    company: ReferenceField = None  # required on create
    contact: ReferenceField = None  # required on create
    site: ReferenceField = None
    sub_contract_company: ReferenceField = Field(default=None, alias="subContractCompany")
    sub_contract_contact: ReferenceField = Field(default=None, alias="subContractContact")
    parent_agreement: ReferenceField = Field(default=None, alias="parentAgreement")
    customer_po: str | None = Field(default=None, alias="customerPO")
    location: ReferenceField = None
    department: ReferenceField = None
    restrict_location_flag: bool | None = Field(default=None, alias="restrictLocationFlag")
    restrict_department_flag: bool | None = Field(default=None, alias="restrictDepartmentFlag")
    start_date: datetime | None = Field(default=None, alias="startDate")
    end_date: datetime | None = Field(default=None, alias="endDate")
    no_ending_date_flag: bool | None = Field(default=None, alias="noEndingDateFlag")
    opportunity: ReferenceField = None
    cancelled_flag: bool | None = Field(default=None, alias="cancelledFlag")
    date_cancelled: datetime | None = Field(default=None, alias="dateCancelled")
    reason_cancelled: str | None = Field(default=None, alias="reasonCancelled")
    sla: ReferenceField = None
    work_order: str | None = Field(default=None, alias="workOrder")
    internal_notes: str | None = Field(default=None, alias="internalNotes")
    application_units: str | None = Field(default=None, alias="applicationUnits")
    application_limit: float | None = Field(default=None, alias="applicationLimit")
    application_cycle: str | None = Field(default=None, alias="applicationCycle")
    application_unlimited_flag: bool | None = Field(default=None, alias="applicationUnlimitedFlag")
    one_time_flag: bool | None = Field(default=None, alias="oneTimeFlag")
    cover_agreement_time: bool | None = Field(default=None, alias="coverAgreementTime")
    cover_agreement_product: bool | None = Field(default=None, alias="coverAgreementProduct")
    cover_agreement_expense: bool | None = Field(default=None, alias="coverAgreementExpense")
    cover_sales_tax: bool | None = Field(default=None, alias="coverSalesTax")
    carry_over_unused: bool | None = Field(default=None, alias="carryOverUnused")
    allow_overruns: bool | None = Field(default=None, alias="allowOverruns")
    expired_days: int | None = Field(default=None, alias="expiredDays")
    limit: int | None = None
    expire_when_zero: bool | None = Field(default=None, alias="expireWhenZero")
    charge_to_firm: bool | None = Field(default=None, alias="chargeToFirm")
    employee_comp_rate: str | None = Field(default=None, alias="employeeCompRate")
    employee_comp_not_exceed: str | None = Field(default=None, alias="employeeCompNotExceed")
    comp_hourly_rate: float | None = Field(default=None, alias="compHourlyRate")
    comp_limit_amount: float | None = Field(default=None, alias="compLimitAmount")
    billing_cycle: ReferenceField = Field(default=None, alias="billingCycle")
    bill_one_time_flag: bool | None = Field(default=None, alias="billOneTimeFlag")
    billing_terms: ReferenceField = Field(default=None, alias="billingTerms")
    invoicing_cycle: str | None = Field(default=None, alias="invoicingCycle")
    bill_to_company: ReferenceField = Field(default=None, alias="billToCompany")
    bill_to_contact: ReferenceField = Field(default=None, alias="billToContact")
    bill_to_site: ReferenceField = Field(default=None, alias="billToSite")
    bill_amount: float | None = Field(default=None, alias="billAmount")
    taxable: bool | None = None
    prorate_first_bill: float | None = Field(default=None, alias="prorateFirstBill")
    bill_start_date: datetime | None = Field(default=None, alias="billStartDate")
    tax_code: ReferenceField = Field(default=None, alias="taxCode")
    restrict_down_payment: bool | None = Field(default=None, alias="restrictDownPayment")
    prorate_flag: bool | None = Field(default=None, alias="prorateFlag")
    invoice_prorated_additions_flag: bool | None = Field(default=None, alias="invoiceProratedAdditionsFlag")
    invoice_description: str | None = Field(default=None, alias="invoiceDescription")
    top_comment: bool | None = Field(default=None, alias="topComment")
    bottom_comment: bool | None = Field(default=None, alias="bottomComment")
    work_role: ReferenceField = Field(default=None, alias="workRole")
    work_type: ReferenceField = Field(default=None, alias="workType")
    project_type: ReferenceField = Field(default=None, alias="projectType")
    invoice_template: ReferenceField = Field(default=None, alias="invoiceTemplate")
    bill_time: str | None = Field(default=None, alias="billTime")
    bill_expenses: str | None = Field(default=None, alias="billExpenses")
    bill_products: str | None = Field(default=None, alias="billProducts")
    billable_time_invoice: bool | None = Field(default=None, alias="billableTimeInvoice")
    billable_expense_invoice: bool | None = Field(default=None, alias="billableExpenseInvoice")
    billable_product_invoice: bool | None = Field(default=None, alias="billableProductInvoice")
    currency: ReferenceField = None
    period_type: str | None = Field(default=None, alias="periodType")
    auto_invoice_flag: bool | None = Field(default=None, alias="autoInvoiceFlag")
    bill_zero_amount_flag: bool | None = Field(default=None, alias="billZeroAmountFlag")
    next_invoice_date: str | None = Field(default=None, alias="nextInvoiceDate")
    company_location: ReferenceField = Field(default=None, alias="companyLocation")
    ship_to_company: ReferenceField = Field(default=None, alias="shipToCompany")
    ship_to_contact: ReferenceField = Field(default=None, alias="shipToContact")
    ship_to_site: ReferenceField = Field(default=None, alias="shipToSite")
    agreement_status: str | None = Field(default=None, alias="agreementStatus")
    info: InfoLinks = Field(default=None, alias="_info")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")


class AgreementType(CWModel):
    """The Manage `AgreementType` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    prefix_suffix_option: str | None = Field(default=None, alias="prefixSuffixOption")
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    pre_payment_flag: bool | None = Field(default=None, alias="prePaymentFlag")
    invoice_pre_suffix: str | None = Field(default=None, alias="invoicePreSuffix")
    location: ReferenceField = None
    department: ReferenceField = None
    restrict_location_flag: bool | None = Field(default=None, alias="restrictLocationFlag")
    restrict_department_flag: bool | None = Field(default=None, alias="restrictDepartmentFlag")
    sla: ReferenceField = None
    application_units: str | None = Field(default=None, alias="applicationUnits")
    application_limit: float | None = Field(default=None, alias="applicationLimit")
    application_cycle: str | None = Field(default=None, alias="applicationCycle")
    application_unlimited_flag: bool | None = Field(default=None, alias="applicationUnlimitedFlag")
    one_time_flag: bool | None = Field(default=None, alias="oneTimeFlag")
    cover_agreement_time_flag: bool | None = Field(default=None, alias="coverAgreementTimeFlag")
    cover_agreement_product_flag: bool | None = Field(default=None, alias="coverAgreementProductFlag")
    cover_agreement_expense_flag: bool | None = Field(default=None, alias="coverAgreementExpenseFlag")
    cover_sales_tax_flag: bool | None = Field(default=None, alias="coverSalesTaxFlag")
    carry_over_unused_flag: bool | None = Field(default=None, alias="carryOverUnusedFlag")
    allow_overruns_flag: bool | None = Field(default=None, alias="allowOverrunsFlag")
    expired_days: int | None = Field(default=None, alias="expiredDays")
    limit: int | None = None
    expire_when_zero: bool | None = Field(default=None, alias="expireWhenZero")
    charge_to_firm_flag: bool | None = Field(default=None, alias="chargeToFirmFlag")
    employee_comp_rate: str | None = Field(default=None, alias="employeeCompRate")  # required on create
    employee_comp_not_exceed: str | None = Field(default=None, alias="employeeCompNotExceed")  # required on create
    comp_hourly_rate: float | None = Field(default=None, alias="compHourlyRate")
    comp_limit_amount: float | None = Field(default=None, alias="compLimitAmount")
    billing_cycle: ReferenceField = Field(default=None, alias="billingCycle")
    bill_one_time_flag: bool | None = Field(default=None, alias="billOneTimeFlag")
    billing_terms: ReferenceField = Field(default=None, alias="billingTerms")
    invoicing_cycle: str | None = Field(default=None, alias="invoicingCycle")  # required on create
    bill_amount: float | None = Field(default=None, alias="billAmount")
    taxable_flag: bool | None = Field(default=None, alias="taxableFlag")
    restrict_down_payment_flag: bool | None = Field(default=None, alias="restrictDownPaymentFlag")
    invoice_description: str | None = Field(default=None, alias="invoiceDescription")
    top_comment_flag: bool | None = Field(default=None, alias="topCommentFlag")
    bottom_comment_flag: bool | None = Field(default=None, alias="bottomCommentFlag")
    work_role: ReferenceField = Field(default=None, alias="workRole")
    work_type: ReferenceField = Field(default=None, alias="workType")
    project_type: ReferenceField = Field(default=None, alias="projectType")
    invoice_template: ReferenceField = Field(default=None, alias="invoiceTemplate")
    bill_time: str | None = Field(default=None, alias="billTime")  # required on create
    bill_expenses: str | None = Field(default=None, alias="billExpenses")  # required on create
    bill_products: str | None = Field(default=None, alias="billProducts")  # required on create
    billable_time_invoice_flag: bool | None = Field(default=None, alias="billableTimeInvoiceFlag")
    billable_expense_invoice_flag: bool | None = Field(default=None, alias="billableExpenseInvoiceFlag")
    billable_product_invoice_flag: bool | None = Field(default=None, alias="billableProductInvoiceFlag")
    copy_work_roles_flag: bool | None = Field(default=None, alias="copyWorkRolesFlag")
    copy_work_types_flag: bool | None = Field(default=None, alias="copyWorkTypesFlag")
    exclusion_work_role_ids: list[int] | None = Field(default=None, alias="exclusionWorkRoleIds")
    add_all_work_role_exclusions: bool | None = Field(default=None, alias="addAllWorkRoleExclusions")
    remove_all_work_role_exclusions: bool | None = Field(default=None, alias="removeAllWorkRoleExclusions")
    exclusion_work_type_ids: list[int] | None = Field(default=None, alias="exclusionWorkTypeIds")
    add_all_work_type_exclusions: bool | None = Field(default=None, alias="addAllWorkTypeExclusions")
    remove_all_work_type_exclusions: bool | None = Field(default=None, alias="removeAllWorkTypeExclusions")
    integration_x_ref: str | None = Field(default=None, alias="integrationXRef")
    prorate_flag: bool | None = Field(default=None, alias="prorateFlag")
    email_template: ReferenceField = Field(default=None, alias="emailTemplate")
    auto_invoice_flag: bool | None = Field(default=None, alias="autoInvoiceFlag")
    bill_zero_amount_flag: bool | None = Field(default=None, alias="billZeroAmountFlag")
    invoice_prorated_additions_flag: bool | None = Field(default=None, alias="invoiceProratedAdditionsFlag")
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")

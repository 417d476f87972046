"""Lenient models of ConnectWise Manage members, security roles, departments, locations,
callbacks, time zone setups and /system/info.

Field lists follow shared/spec/manage-core.json (schema names in each docstring): snake_case attributes, camelCase
aliases on the wire, all optional, unknown fields kept. Not for: requests (``manage/resources``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cwdesk.manage.models.base import CustomFieldValue, CWModel, InfoLinks, Nested, ReferenceField

__all__ = [
    "CallbackEntry",
    "Department",
    "LicenseBit",
    "Location",
    "Member",
    "MemberOffice365",
    "SecurityRole",
    "SystemInfo",
    "TimeZoneSetup",
]


class LicenseBit(CWModel):
    """The Manage `LicenseBit` record (reconstructed-2025.1); every field optional when read."""

    name: str | None = None
    active_flag: bool | None = Field(default=None, alias="activeFlag")


class SystemInfo(CWModel):
    """The Manage `Info` record (reconstructed-2025.1); every field optional when read."""

    version: str | None = None
    is_cloud: bool | None = Field(default=None, alias="isCloud")
    server_time_zone: str | None = Field(default=None, alias="serverTimeZone")
    license_bits: Annotated[list[LicenseBit] | None, Nested()] = Field(default=None, alias="licenseBits")
    cloud_region: str | None = Field(default=None, alias="cloudRegion")
    max_work_flow_records_allowed: int | None = Field(default=None, alias="maxWorkFlowRecordsAllowed")


class MemberOffice365(CWModel):
    """The Manage `MemberOffice365` record (official-get-subset-2026.4); every field optional when read."""

    id: str | None = None
    name: str | None = None


class Member(CWModel):
    """The Manage `Member` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    identifier: str | None = None  # required on create
    password: str | None = None
    disable_online_flag: bool | None = Field(default=None, alias="disableOnlineFlag")
    license_class: str | None = Field(default=None, alias="licenseClass")  # required on create
    notes: str | None = None
    employee_identifer: str | None = Field(default=None, alias="employeeIdentifer")
    vendor_number: str | None = Field(default=None, alias="vendorNumber")
    enable_mobile_gps_flag: bool | None = Field(default=None, alias="enableMobileGpsFlag")
    inactive_date: datetime | None = Field(default=None, alias="inactiveDate")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    last_login: str | None = Field(default=None, alias="lastLogin")
    client_id: str | None = Field(default=None, alias="clientId")
    token: str | None = None
    first_name: str | None = Field(default=None, alias="firstName")  # required on create
    middle_initial: str | None = Field(default=None, alias="middleInitial")
    last_name: str | None = Field(default=None, alias="lastName")  # required on create
    hire_date: datetime | None = Field(default=None, alias="hireDate")  # required on create
    country: ReferenceField = None
    photo: ReferenceField = None
    office_email: str | None = Field(default=None, alias="officeEmail")
    mobile_email: str | None = Field(default=None, alias="mobileEmail")
    home_email: str | None = Field(default=None, alias="homeEmail")
    default_email: str | None = Field(default=None, alias="defaultEmail")  # required on create
    primary_email: str | None = Field(default=None, alias="primaryEmail")
    office_phone: str | None = Field(default=None, alias="officePhone")
    office_extension: str | None = Field(default=None, alias="officeExtension")
    mobile_phone: str | None = Field(default=None, alias="mobilePhone")
    mobile_extension: str | None = Field(default=None, alias="mobileExtension")
    home_phone: str | None = Field(default=None, alias="homePhone")
    home_extension: str | None = Field(default=None, alias="homeExtension")
    default_phone: str | None = Field(default=None, alias="defaultPhone")  # required on create
    security_role: ReferenceField = Field(default=None, alias="securityRole")  # required on create
    office365: MemberOffice365 | None = None
    mapi_name: str | None = Field(default=None, alias="mapiName")
    calendar_sync_integration_flag: bool | None = Field(default=None, alias="calendarSyncIntegrationFlag")
    authentication_service_type: str | None = Field(default=None, alias="authenticationServiceType")
    timebased_one_time_password_activated: bool | None = Field(default=None, alias="timebasedOneTimePasswordActivated")
    enable_ldap_authentication_flag: bool | None = Field(default=None, alias="enableLdapAuthenticationFlag")
    ldap_configuration: ReferenceField = Field(default=None, alias="ldapConfiguration")
    ldap_user_name: str | None = Field(default=None, alias="ldapUserName")
    directional_sync: ReferenceField = Field(default=None, alias="directionalSync")
    sso_settings: ReferenceField = Field(default=None, alias="ssoSettings")
    signature: str | None = None
    phone_integration_type: str | None = Field(default=None, alias="phoneIntegrationType")
    use_browser_language_flag: bool | None = Field(default=None, alias="useBrowserLanguageFlag")
    title: str | None = None
    report_card: ReferenceField = Field(default=None, alias="reportCard")
    enable_mobile_flag: bool | None = Field(default=None, alias="enableMobileFlag")
    type: ReferenceField = None
    time_zone: ReferenceField = Field(default=None, alias="timeZone")
    partner_portal_flag: bool | None = Field(default=None, alias="partnerPortalFlag")
    sts_user_admin_url: str | None = Field(default=None, alias="stsUserAdminUrl")
    toast_notification_flag: bool | None = Field(default=None, alias="toastNotificationFlag")
    member_personas: list[int] | None = Field(default=None, alias="memberPersonas")
    admin_flag: bool | None = Field(default=None, alias="adminFlag")
    structure_level: ReferenceField = Field(default=None, alias="structureLevel")
    security_location: ReferenceField = Field(default=None, alias="securityLocation")
    default_location: ReferenceField = Field(default=None, alias="defaultLocation")
    default_department: ReferenceField = Field(default=None, alias="defaultDepartment")
    reports_to: ReferenceField = Field(default=None, alias="reportsTo")
    restrict_location_flag: bool | None = Field(default=None, alias="restrictLocationFlag")
    restrict_department_flag: bool | None = Field(default=None, alias="restrictDepartmentFlag")
    work_role: ReferenceField = Field(default=None, alias="workRole")
    work_type: ReferenceField = Field(default=None, alias="workType")
    time_approver: ReferenceField = Field(default=None, alias="timeApprover")
    expense_approver: ReferenceField = Field(default=None, alias="expenseApprover")
    billable_forecast: float | None = Field(default=None, alias="billableForecast")
    daily_capacity: float | None = Field(default=None, alias="dailyCapacity")
    hourly_cost: float | None = Field(default=None, alias="hourlyCost")
    hourly_rate: float | None = Field(default=None, alias="hourlyRate")
    include_in_utilization_reporting_flag: bool | None = Field(default=None, alias="includeInUtilizationReportingFlag")
    require_expense_entry_flag: bool | None = Field(default=None, alias="requireExpenseEntryFlag")
    require_time_sheet_entry_flag: bool | None = Field(default=None, alias="requireTimeSheetEntryFlag")
    require_start_and_end_time_on_time_entry_flag: bool | None = Field(
        default=None, alias="requireStartAndEndTimeOnTimeEntryFlag"
    )
    allow_in_cell_entry_on_time_sheet: bool | None = Field(default=None, alias="allowInCellEntryOnTimeSheet")
    enter_time_against_company_flag: bool | None = Field(default=None, alias="enterTimeAgainstCompanyFlag")
    allow_expenses_entered_against_companies_flag: bool | None = Field(
        default=None, alias="allowExpensesEnteredAgainstCompaniesFlag"
    )
    time_reminder_email_flag: bool | None = Field(default=None, alias="timeReminderEmailFlag")
    days_tolerance: int | None = Field(default=None, alias="daysTolerance")
    minimum_hours: float | None = Field(default=None, alias="minimumHours")
    time_sheet_start_date: str | None = Field(default=None, alias="timeSheetStartDate")
    service_default_location: ReferenceField = Field(default=None, alias="serviceDefaultLocation")
    service_default_department: ReferenceField = Field(default=None, alias="serviceDefaultDepartment")
    service_default_board: ReferenceField = Field(default=None, alias="serviceDefaultBoard")
    restrict_service_default_location_flag: bool | None = Field(
        default=None, alias="restrictServiceDefaultLocationFlag"
    )
    restrict_service_default_department_flag: bool | None = Field(
        default=None, alias="restrictServiceDefaultDepartmentFlag"
    )
    excluded_service_board_ids: list[int] | None = Field(default=None, alias="excludedServiceBoardIds")
    teams: list[int] | None = None
    service_board_team_ids: list[int] | None = Field(default=None, alias="serviceBoardTeamIds")
    project_default_location: ReferenceField = Field(default=None, alias="projectDefaultLocation")
    project_default_department: ReferenceField = Field(default=None, alias="projectDefaultDepartment")
    project_default_board: ReferenceField = Field(default=None, alias="projectDefaultBoard")
    restrict_project_default_location_flag: bool | None = Field(
        default=None, alias="restrictProjectDefaultLocationFlag"
    )
    restrict_project_default_department_flag: bool | None = Field(
        default=None, alias="restrictProjectDefaultDepartmentFlag"
    )
    excluded_project_board_ids: list[int] | None = Field(default=None, alias="excludedProjectBoardIds")
    schedule_default_location: ReferenceField = Field(default=None, alias="scheduleDefaultLocation")
    schedule_default_department: ReferenceField = Field(default=None, alias="scheduleDefaultDepartment")
    schedule_capacity: float | None = Field(default=None, alias="scheduleCapacity")
    service_location: ReferenceField = Field(default=None, alias="serviceLocation")
    restrict_schedule_flag: bool | None = Field(default=None, alias="restrictScheduleFlag")
    hide_member_in_dispatch_portal_flag: bool | None = Field(default=None, alias="hideMemberInDispatchPortalFlag")
    calendar: ReferenceField = None
    sales_default_location: ReferenceField = Field(default=None, alias="salesDefaultLocation")
    restrict_default_sales_territory_flag: bool | None = Field(default=None, alias="restrictDefaultSalesTerritoryFlag")
    warehouse: ReferenceField = None
    warehouse_bin: ReferenceField = Field(default=None, alias="warehouseBin")
    restrict_default_warehouse_flag: bool | None = Field(default=None, alias="restrictDefaultWarehouseFlag")
    restrict_default_warehouse_bin_flag: bool | None = Field(default=None, alias="restrictDefaultWarehouseBinFlag")
    company_activity_tab_format: str | None = Field(default=None, alias="companyActivityTabFormat")
    invoice_time_tab_format: str | None = Field(default=None, alias="invoiceTimeTabFormat")
    invoice_screen_default_tab_format: str | None = Field(default=None, alias="invoiceScreenDefaultTabFormat")
    invoicing_display_options: str | None = Field(default=None, alias="invoicingDisplayOptions")
    agreement_invoicing_display_options: str | None = Field(default=None, alias="agreementInvoicingDisplayOptions")
    auto_start_stopwatch: bool | None = Field(default=None, alias="autoStartStopwatch")
    auto_popup_quick_notes_with_stopwatch: bool | None = Field(default=None, alias="autoPopupQuickNotesWithStopwatch")
    global_search_default_ticket_filter: str | None = Field(default=None, alias="globalSearchDefaultTicketFilter")
    global_search_default_sort: str | None = Field(default=None, alias="globalSearchDefaultSort")
    phone_source: str | None = Field(default=None, alias="phoneSource")
    info: InfoLinks = Field(default=None, alias="_info")
    copy_pod_layouts: bool | None = Field(default=None, alias="copyPodLayouts")
    copy_shared_default_views: bool | None = Field(default=None, alias="copySharedDefaultViews")
    copy_column_layouts_and_filters: bool | None = Field(default=None, alias="copyColumnLayoutsAndFilters")
    from_member_rec_id: int | None = Field(default=None, alias="fromMemberRecId")
    from_member_template_rec_id: int | None = Field(default=None, alias="fromMemberTemplateRecId")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")


class SecurityRole(CWModel):
    """The Manage `SecurityRole` record (reconstructed-2025.1); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    role_type: str | None = Field(default=None, alias="roleType")
    admin_flag: bool | None = Field(default=None, alias="adminFlag")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    info: InfoLinks = Field(default=None, alias="_info")


class Department(CWModel):
    """The Manage `Department` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    identifier: str | None = None  # required on create
    name: str | None = None  # required on create
    info: InfoLinks = Field(default=None, alias="_info")


class Location(CWModel):
    """The Manage `Location` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    owner_level_id: int | None = Field(default=None, alias="ownerLevelId")
    structure_level: ReferenceField = Field(default=None, alias="structureLevel")  # required on create
    name: str | None = None  # required on create
    manager: ReferenceField = None
    reports_to: ReferenceField = Field(default=None, alias="reportsTo")
    sales_rep: str | None = Field(default=None, alias="salesRep")
    time_zone_setup: ReferenceField = Field(default=None, alias="timeZoneSetup")
    calendar: ReferenceField = None
    override_address_line1: str | None = Field(default=None, alias="overrideAddressLine1")
    override_address_line2: str | None = Field(default=None, alias="overrideAddressLine2")
    override_city: str | None = Field(default=None, alias="overrideCity")
    override_state: str | None = Field(default=None, alias="overrideState")
    override_zip: str | None = Field(default=None, alias="overrideZip")
    override_country: ReferenceField = Field(default=None, alias="overrideCountry")
    override_phone_number: str | None = Field(default=None, alias="overridePhoneNumber")
    override_fax_number: str | None = Field(default=None, alias="overrideFaxNumber")
    owa_url: str | None = Field(default=None, alias="owaUrl")
    payroll_xref: str | None = Field(default=None, alias="payrollXref")
    location_flag: bool | None = Field(default=None, alias="locationFlag")
    client_flag: bool | None = Field(default=None, alias="clientFlag")
    work_role_ids: list[int] | None = Field(default=None, alias="workRoleIds")
    department_ids: list[int] | None = Field(default=None, alias="departmentIds")
    info: InfoLinks = Field(default=None, alias="_info")


class CallbackEntry(CWModel):
    """The Manage `CallbackEntry` record (reconstructed-2025.1); every field optional when read."""

    id: int | None = None
    description: str | None = None
    url: str | None = None  # required on create
    object_id: int | None = Field(default=None, alias="objectId")  # required on create
    type: str | None = None  # required on create
    level: str | None = None  # required on create
    member_id: int | None = Field(default=None, alias="memberId")
    payload_version: str | None = Field(default=None, alias="payloadVersion")
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    is_soap_callback_flag: bool | None = Field(default=None, alias="isSoapCallbackFlag")
    is_self_suppressed_flag: bool | None = Field(default=None, alias="isSelfSuppressedFlag")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseID")
    info: InfoLinks = Field(default=None, alias="_info")


class TimeZoneSetup(CWModel):
    """The Manage `TimeZoneSetup` record (spec); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    time_zone: ReferenceField = Field(default=None, alias="timeZone")  # required on create
    offset: float | None = None
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    daylight_savings_flag: bool | None = Field(default=None, alias="daylightSavingsFlag")
    info: InfoLinks = Field(default=None, alias="_info")

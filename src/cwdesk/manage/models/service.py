"""Lenient models of ConnectWise Manage service tickets, boards and priorities.

Field lists follow shared/spec/manage-core.json (schema names in each docstring): snake_case attributes, camelCase
aliases on the wire, all optional, unknown fields kept. Not for: requests (``manage/resources``).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field

from cwdesk.manage.models.base import CustomFieldValue, CWModel, InfoLinks, Nested, ReferenceField

__all__ = [
    "Board",
    "Priority",
    "Ticket",
]


class Ticket(CWModel):
    """The Manage `Ticket` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    summary: str | None = None  # required on create
    record_type: str | None = Field(default=None, alias="recordType")
    board: ReferenceField = None
    status: ReferenceField = None
    work_role: ReferenceField = Field(default=None, alias="workRole")
    work_type: ReferenceField = Field(default=None, alias="workType")
    company: ReferenceField = None  # required on create
    site: ReferenceField = None
    site_name: str | None = Field(default=None, alias="siteName")
    address_line1: str | None = Field(default=None, alias="addressLine1")
    address_line2: str | None = Field(default=None, alias="addressLine2")
    city: str | None = None
    state_identifier: str | None = Field(default=None, alias="stateIdentifier")
    zip: str | None = None
    country: ReferenceField = None
    contact: ReferenceField = None
    contact_name: str | None = Field(default=None, alias="contactName")
    contact_phone_number: str | None = Field(default=None, alias="contactPhoneNumber")
    contact_phone_extension: str | None = Field(default=None, alias="contactPhoneExtension")
    contact_email_address: str | None = Field(default=None, alias="contactEmailAddress")
    type: ReferenceField = None
    sub_type: ReferenceField = Field(default=None, alias="subType")
    item: ReferenceField = None
    team: ReferenceField = None
    owner: ReferenceField = None
    priority: ReferenceField = None
    service_location: ReferenceField = Field(default=None, alias="serviceLocation")
    source: ReferenceField = None
    required_date: datetime | None = Field(default=None, alias="requiredDate")
    budget_hours: float | None = Field(default=None, alias="budgetHours")
    opportunity: ReferenceField = None
    agreement: ReferenceField = None
    agreement_type: str | None = Field(default=None, alias="agreementType")
    severity: str | None = None
    impact: str | None = None
    external_x_ref: str | None = Field(default=None, alias="externalXRef")
    po_number: str | None = Field(default=None, alias="poNumber")
    knowledge_base_category_id: int | None = Field(default=None, alias="knowledgeBaseCategoryId")
    knowledge_base_sub_category_id: int | None = Field(default=None, alias="knowledgeBaseSubCategoryId")
    allow_all_clients_portal_view: bool | None = Field(default=None, alias="allowAllClientsPortalView")
    customer_updated_flag: bool | None = Field(default=None, alias="customerUpdatedFlag")
    automatic_email_contact_flag: bool | None = Field(default=None, alias="automaticEmailContactFlag")
    automatic_email_resource_flag: bool | None = Field(default=None, alias="automaticEmailResourceFlag")
    automatic_email_cc_flag: bool | None = Field(default=None, alias="automaticEmailCcFlag")
    automatic_email_cc: str | None = Field(default=None, alias="automaticEmailCc")
    initial_description: str | None = Field(default=None, alias="initialDescription")
    initial_internal_analysis: str | None = Field(default=None, alias="initialInternalAnalysis")
    initial_resolution: str | None = Field(default=None, alias="initialResolution")
    initial_description_from: str | None = Field(default=None, alias="initialDescriptionFrom")
    contact_email_lookup: str | None = Field(default=None, alias="contactEmailLookup")
    process_notifications: bool | None = Field(default=None, alias="processNotifications")
    skip_callback: bool | None = Field(default=None, alias="skipCallback")
    closed_date: str | None = Field(default=None, alias="closedDate")
    closed_by: str | None = Field(default=None, alias="closedBy")
    closed_flag: bool | None = Field(default=None, alias="closedFlag")
    actual_hours: float | None = Field(default=None, alias="actualHours")
    approved: bool | None = None
    estimated_expense_cost: float | None = Field(default=None, alias="estimatedExpenseCost")
    estimated_expense_revenue: float | None = Field(default=None, alias="estimatedExpenseRevenue")
    estimated_product_cost: float | None = Field(default=None, alias="estimatedProductCost")
    estimated_product_revenue: float | None = Field(default=None, alias="estimatedProductRevenue")
    estimated_time_cost: float | None = Field(default=None, alias="estimatedTimeCost")
    estimated_time_revenue: float | None = Field(default=None, alias="estimatedTimeRevenue")
    billing_method: str | None = Field(default=None, alias="billingMethod")
    billing_amount: float | None = Field(default=None, alias="billingAmount")
    hourly_rate: float | None = Field(default=None, alias="hourlyRate")
    sub_billing_method: str | None = Field(default=None, alias="subBillingMethod")
    sub_billing_amount: float | None = Field(default=None, alias="subBillingAmount")
    sub_date_accepted: str | None = Field(default=None, alias="subDateAccepted")
    date_resolved: str | None = Field(default=None, alias="dateResolved")
    date_resplan: str | None = Field(default=None, alias="dateResplan")
    date_responded: str | None = Field(default=None, alias="dateResponded")
    resolve_minutes: int | None = Field(default=None, alias="resolveMinutes")
    res_plan_minutes: int | None = Field(default=None, alias="resPlanMinutes")
    respond_minutes: int | None = Field(default=None, alias="respondMinutes")
    respond_by_goal_utc: datetime | None = Field(default=None, alias="respondByGoalUTC")
    resplan_goal_utc: datetime | None = Field(default=None, alias="resplanGoalUTC")
    resolution_goal_utc: datetime | None = Field(default=None, alias="resolutionGoalUTC")
    escalation_last_update_minutes: int | None = Field(default=None, alias="escalationLastUpdateMinutes")
    is_in_sla: bool | None = Field(default=None, alias="isInSla")
    knowledge_base_link_id: int | None = Field(default=None, alias="knowledgeBaseLinkId")
    resources: str | None = None
    parent_ticket_id: int | None = Field(default=None, alias="parentTicketId")
    has_child_ticket: bool | None = Field(default=None, alias="hasChildTicket")
    has_merged_child_ticket_flag: bool | None = Field(default=None, alias="hasMergedChildTicketFlag")
    knowledge_base_link_type: str | None = Field(default=None, alias="knowledgeBaseLinkType")
    bill_time: str | None = Field(default=None, alias="billTime")
    bill_expenses: str | None = Field(default=None, alias="billExpenses")
    bill_products: str | None = Field(default=None, alias="billProducts")
    predecessor_type: str | None = Field(default=None, alias="predecessorType")
    predecessor_id: int | None = Field(default=None, alias="predecessorId")
    predecessor_closed_flag: bool | None = Field(default=None, alias="predecessorClosedFlag")
    lag_days: int | None = Field(default=None, alias="lagDays")
    lag_nonworking_days_flag: bool | None = Field(default=None, alias="lagNonworkingDaysFlag")
    estimated_start_date: datetime | None = Field(default=None, alias="estimatedStartDate")
    duration: int | None = None
    location: ReferenceField = None
    department: ReferenceField = None
    mobile_guid: str | None = Field(default=None, alias="mobileGuid")
    sla: ReferenceField = None
    sla_status: str | None = Field(default=None, alias="slaStatus")
    request_for_change_flag: bool | None = Field(default=None, alias="requestForChangeFlag")
    currency: ReferenceField = None
    merged_parent_ticket: ReferenceField = Field(default=None, alias="mergedParentTicket")
    integrator_tags: list[str] | None = Field(default=None, alias="integratorTags")
    info: InfoLinks = Field(default=None, alias="_info")
    escalation_start_date_utc: str | None = Field(default=None, alias="escalationStartDateUTC")
    escalation_level: int | None = Field(default=None, alias="escalationLevel")
    minutes_before_waiting: int | None = Field(default=None, alias="minutesBeforeWaiting")
    responded_skipped_minutes: int | None = Field(default=None, alias="respondedSkippedMinutes")
    resplan_skipped_minutes: int | None = Field(default=None, alias="resplanSkippedMinutes")
    responded_hours: float | None = Field(default=None, alias="respondedHours")
    responded_by: str | None = Field(default=None, alias="respondedBy")
    resplan_hours: float | None = Field(default=None, alias="resplanHours")
    resplan_by: str | None = Field(default=None, alias="resplanBy")
    resolution_hours: float | None = Field(default=None, alias="resolutionHours")
    resolved_by: str | None = Field(default=None, alias="resolvedBy")
    minutes_waiting: int | None = Field(default=None, alias="minutesWaiting")
    custom_fields: Annotated[list[CustomFieldValue] | None, Nested()] = Field(default=None, alias="customFields")


class Board(CWModel):
    """The Manage `Board` record (official-get-subset-2026.4); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    location: ReferenceField = None  # required on create
    department: ReferenceField = None  # required on create
    inactive_flag: bool | None = Field(default=None, alias="inactiveFlag")
    sign_off_template: ReferenceField = Field(default=None, alias="signOffTemplate")
    send_to_contact_flag: bool | None = Field(default=None, alias="sendToContactFlag")
    contact_template: ReferenceField = Field(default=None, alias="contactTemplate")
    send_to_resource_flag: bool | None = Field(default=None, alias="sendToResourceFlag")
    resource_template: ReferenceField = Field(default=None, alias="resourceTemplate")
    project_flag: bool | None = Field(default=None, alias="projectFlag")
    show_dependencies_flag: bool | None = Field(default=None, alias="showDependenciesFlag")
    show_estimates_flag: bool | None = Field(default=None, alias="showEstimatesFlag")
    board_icon: ReferenceField = Field(default=None, alias="boardIcon")
    bill_tickets_after_closed_flag: bool | None = Field(default=None, alias="billTicketsAfterClosedFlag")
    bill_ticket_separately_flag: bool | None = Field(default=None, alias="billTicketSeparatelyFlag")
    bill_unapproved_time_expense_flag: bool | None = Field(default=None, alias="billUnapprovedTimeExpenseFlag")
    override_billing_setup_flag: bool | None = Field(default=None, alias="overrideBillingSetupFlag")
    dispatch_member: ReferenceField = Field(default=None, alias="dispatchMember")
    service_manager_member: ReferenceField = Field(default=None, alias="serviceManagerMember")
    duty_manager_member: ReferenceField = Field(default=None, alias="dutyManagerMember")
    oncall_member: ReferenceField = Field(default=None, alias="oncallMember")
    work_role: ReferenceField = Field(default=None, alias="workRole")
    work_type: ReferenceField = Field(default=None, alias="workType")
    bill_time: str | None = Field(default=None, alias="billTime")
    bill_expense: str | None = Field(default=None, alias="billExpense")
    bill_product: str | None = Field(default=None, alias="billProduct")
    auto_close_status: ReferenceField = Field(default=None, alias="autoCloseStatus")
    auto_assign_new_tickets_flag: bool | None = Field(default=None, alias="autoAssignNewTicketsFlag")
    auto_assign_new_ec_tickets_flag: bool | None = Field(default=None, alias="autoAssignNewECTicketsFlag")
    auto_assign_new_portal_tickets_flag: bool | None = Field(default=None, alias="autoAssignNewPortalTicketsFlag")
    discussions_locked_flag: bool | None = Field(default=None, alias="discussionsLockedFlag")
    time_entry_locked_flag: bool | None = Field(default=None, alias="timeEntryLockedFlag")
    notify_email_from: str | None = Field(default=None, alias="notifyEmailFrom")
    notify_email_from_name: str | None = Field(default=None, alias="notifyEmailFromName")
    closed_loop_discussions_flag: bool | None = Field(default=None, alias="closedLoopDiscussionsFlag")
    closed_loop_resolution_flag: bool | None = Field(default=None, alias="closedLoopResolutionFlag")
    closed_loop_internal_analysis_flag: bool | None = Field(default=None, alias="closedLoopInternalAnalysisFlag")
    time_entry_discussion_flag: bool | None = Field(default=None, alias="timeEntryDiscussionFlag")
    time_entry_resolution_flag: bool | None = Field(default=None, alias="timeEntryResolutionFlag")
    time_entry_internal_analysis_flag: bool | None = Field(default=None, alias="timeEntryInternalAnalysisFlag")
    problem_sort: str | None = Field(default=None, alias="problemSort")
    resolution_sort: str | None = Field(default=None, alias="resolutionSort")
    internal_analysis_sort: str | None = Field(default=None, alias="internalAnalysisSort")
    email_connector_allow_reopen_closed_flag: bool | None = Field(
        default=None, alias="emailConnectorAllowReopenClosedFlag"
    )
    email_connector_reopen_status: ReferenceField = Field(default=None, alias="emailConnectorReopenStatus")
    email_connector_reopen_resources_flag: bool | None = Field(default=None, alias="emailConnectorReopenResourcesFlag")
    email_connector_new_ticket_no_match_flag: bool | None = Field(
        default=None, alias="emailConnectorNewTicketNoMatchFlag"
    )
    email_connector_never_reopen_by_days_flag: bool | None = Field(
        default=None, alias="emailConnectorNeverReopenByDaysFlag"
    )
    email_connector_reopen_days_limit: int | None = Field(default=None, alias="emailConnectorReopenDaysLimit")
    email_connector_never_reopen_by_days_closed_flag: bool | None = Field(
        default=None, alias="emailConnectorNeverReopenByDaysClosedFlag"
    )
    email_connector_reopen_days_closed_limit: int | None = Field(
        default=None, alias="emailConnectorReopenDaysClosedLimit"
    )
    use_member_display_name_flag: bool | None = Field(default=None, alias="useMemberDisplayNameFlag")
    send_to_cc_flag: bool | None = Field(default=None, alias="sendToCCFlag")
    auto_assign_ticket_owner_flag: bool | None = Field(default=None, alias="autoAssignTicketOwnerFlag")
    auto_assign_limit_flag: bool | None = Field(default=None, alias="autoAssignLimitFlag")
    auto_assign_limit_amount: int | None = Field(default=None, alias="autoAssignLimitAmount")
    closed_loop_all_flag: bool | None = Field(default=None, alias="closedLoopAllFlag")
    percentage_calculation: str | None = Field(default=None, alias="percentageCalculation")
    all_sort: str | None = Field(default=None, alias="allSort")
    mark_first_note_issue_flag: bool | None = Field(default=None, alias="markFirstNoteIssueFlag")
    restrict_board_by_default_flag: bool | None = Field(default=None, alias="restrictBoardByDefaultFlag")
    send_to_bundled_flag: bool | None = Field(default=None, alias="sendToBundledFlag")
    info: InfoLinks = Field(default=None, alias="_info")
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")


class Priority(CWModel):
    """The Manage `Priority` record (manage-openapi-reconstructed.json); every field optional when read."""

    id: int | None = None
    name: str | None = None  # required on create
    color: str | None = None  # required on create
    sort_order: int | None = Field(default=None, alias="sortOrder")
    default_flag: bool | None = Field(default=None, alias="defaultFlag")
    image_link: str | None = Field(default=None, alias="imageLink")
    urgency_sort_order: str | None = Field(default=None, alias="urgencySortOrder")
    level: str | None = None
    info: InfoLinks = Field(default=None, alias="_info")

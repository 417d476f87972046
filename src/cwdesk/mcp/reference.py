"""What the MCP resources and prompts say: the filter grammar, the core records' field names, two task prompts.

The grammar text describes the structured filters the tools take (and the condition each becomes), from the one
grammar in ``cwdesk.conditions`` and the facts in docs/connectwise.md ("Conditions"); the field lists come from the
SDK's record models, so they cannot drift from what the filters accept (``desk.field_names``).
Not for: building conditions (``cwdesk.conditions``) or checking filters (``desk.condition_of``).
"""

from __future__ import annotations

import json

from cwdesk.conditions import OPERATORS
from cwdesk.mcp.desk import RECORD_MODELS, field_names

CONDITIONS_GRAMMAR = f"""# Filters for search_records, count_records and plan_bulk_contact_update (company_filters)

A filter is one test on one field: {{"field": "status/name", "operator": "=", "value": "Active"}}.
Several filters are joined with "and". cwdesk builds the ConnectWise condition itself: the value is always
sent as a quoted, escaped value, never pasted as condition text, so a value such as `x" or 1=1` matches only
that literal text.

- field: an API field name of the record (resource cwdesk://fields/companies or cwdesk://fields/contacts),
  with "/" stepping into a reference: status/name, company/id, type/name, _info/lastUpdated.
- operator: one of {", ".join(OPERATORS)}.
  - like takes % as the wildcard: {{"field": "name", "operator": "like", "value": "Acme%"}}.
  - contains / not contains take text.
  - in / not in take a list: {{"field": "id", "operator": "in", "value": [12, 13]}}.
  - null (JSON null) only with = and !=.
- value: text, a number, true/false, null, or (in / not in) a list of them. Date-times are written as text
  in ISO 8601 (2024-01-01T00:00:00Z) and compared as text unless the field is a date.

ConnectWise answers 400 "<name> is not a recognized name." for a field it does not know; cwdesk refuses an
unknown first segment before asking, with suggestions. No source states whether "and" binds tighter than
"or"; the tools only join with "and".
"""


def fields_text(record: str) -> str:
    """The API field names of ``record`` (a JSON list with the model's documentation line)."""
    model = RECORD_MODELS[record]
    return json.dumps(
        {"record": record, "about": (model.__doc__ or "").strip().splitlines()[0], "fields": field_names(record)},
        indent=1,
    )


ONBOARD_FROM_EMAIL = """Onboard a new client from this email, with cwdesk.

1. Read the email below and pull out: the company name, a short identifier (letters and digits), phone,
   website, address (line1, city, state, zip, country), and each person (first_name, last_name, title, email,
   phone). The first contact becomes the primary contact.
2. Call find_client with the company name: if it already exists, stop and tell me.
3. Call plan_onboarding with {{"company": {{...}}, "contacts": [...]}} (add "agreement" or "ticket" only if
   the email asks for them). If it returns problems, ask me about each one; do not guess.
4. Show me the plan's calls. Only after I say yes, call execute_plan(plan_id, confirm=true) and then follow
   the job with job_status until it ends.

The email:
{email}
"""

CLEAN_UP_CONTACTS = """Find contacts that need cleaning up at {company}, with cwdesk. Change nothing unless I approve.

1. find_client to get the company id, then client_overview for its contacts.
2. Look for: no primary contact or several, contacts without an email, duplicates (same name or email),
   inactive contacts still marked primary.
3. Report what you found as a short table. For each fix, make a plan (plan_set_primary_contact, or
   plan_bulk_contact_update with company_ids=[id] and e.g. changes=["inactiveFlag=true"]) and show it.
4. Run a plan with execute_plan(plan_id, confirm=true) only after I approve that plan.
"""

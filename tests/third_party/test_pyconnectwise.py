"""pyconnectwise 0.6.1.2 (PyPI, HealthIT-Consulting/pyconnectwise), unchanged, against ``cwdesk sandbox serve --tls``.

How the client is used, read from its source (pyconnectwise/clients/manage_client.py, connectwise_client.py,
responses/paginated_response.py, utils/helpers.py):
- ``ConnectWiseManageAPIClient(company_name, manage_url, client_id, public_key, private_key)`` takes the server as a
  host (``manage_url``) and calls ``https://{manage_url}/login/companyinfo/{company}`` for the codebase, then
  ``https://{manage_url}/{codebase}/apis/3.0``; every call is a plain ``requests.request`` (so
  ``REQUESTS_CA_BUNDLE`` is how it trusts a CA).
- ``.paginated(page, page_size, params).all()`` follows the ``Link`` header's ``rel="next"`` (matched as
  ``page=(\\d+)>; rel="..."``) and stops when it has none; without any ``Link`` header it asks page after page until
  an empty one.
- Answers are validated with its pydantic models (``Company``...), so a missing required field fails the call.
"""

from __future__ import annotations

import pytest
from pyconnectwise import ConnectWiseManageAPIClient

from cwdesk.sandbox.server import CLIENT_ID
from tests.loopback import Served
from tests.third_party.conftest import ACTIVE_COMPANIES, host_of, pages_requested


@pytest.fixture
def client(tls_sandbox: Served, monkeypatch: pytest.MonkeyPatch) -> ConnectWiseManageAPIClient:
    assert tls_sandbox.ca_pem
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", tls_sandbox.ca_pem)
    return ConnectWiseManageAPIClient("sandbox", host_of(tls_sandbox), CLIENT_ID, "sandbox-public", "sandbox-private")


def test_pyconnectwise_finds_the_codebase_from_company_info(client: ConnectWiseManageAPIClient) -> None:
    assert client.codebase.strip("/") == "v4_6_release"


def test_pyconnectwise_lists_with_conditions_every_page_count_and_get(
    client: ConnectWiseManageAPIClient, tls_sandbox: Served
) -> None:
    expected = [c["identifier"] for c in tls_sandbox.all("/company/companies", conditions=ACTIVE_COMPANIES)]
    assert len(expected) > 3  # more than one page of 3
    params = {"conditions": ACTIVE_COMPANIES, "orderBy": "id asc"}

    listed = client.company.companies.get(params=dict(params))
    since = len(tls_sandbox.log())
    paged = list(client.company.companies.paginated(1, 3, dict(params)).all())
    asked = pages_requested(tls_sandbox, "/company/companies", since)
    count = client.company.companies.count.get(params={"conditions": ACTIVE_COMPANIES})
    one = client.company.companies.id(paged[1].id).get()

    assert [c.identifier for c in listed] == expected
    assert [c.identifier for c in paged] == expected
    # Every page was fetched by following the Link header, and none past the last.
    assert asked == [(page, 3) for page in range(1, -(-len(expected) // 3) + 1)]
    assert count.count == len(expected)
    assert (one.id, one.identifier) == (paged[1].id, expected[1])
    assert one.site is not None and one.site.name


def test_pyconnectwise_creates_patches_and_deletes_a_company_with_its_site(
    client: ConnectWiseManageAPIClient, tls_sandbox: Served
) -> None:
    # A real server requires `site` on create and makes the named site itself (issue 11; the 400 "Company Site name
    # is required." recorded in Mwbergamo/SolutionsHub register/api/customers.php).
    created = client.company.companies.post(
        data={
            "identifier": "PyCWTest",
            "name": "PyConnectWise Test Ltd",
            "site": {"name": "Main"},
            "status": {"id": 1},
            "types": [{"id": 1}],
        }
    )
    assert created.id and created.identifier == "PyCWTest"
    assert created.site is not None and created.site.name == "Main"

    patched = client.company.companies.id(created.id).patch(
        data=[{"op": "replace", "path": "phoneNumber", "value": "8135550100"}]
    )
    assert patched.phone_number == "8135550100"
    assert client.company.companies.id(created.id).get().phone_number == "8135550100"

    client.company.companies.id(created.id).delete()
    left = client.company.companies.count.get(params={"conditions": 'identifier = "PyCWTest" and deletedFlag = false'})
    assert left.count == 0


def test_pyconnectwise_reads_members_into_its_member_model(
    client: ConnectWiseManageAPIClient, tls_sandbox: Served
) -> None:
    # Issue 11 item 3: pyconnectwise's generated `Member` model requires agreementInvoicingDisplayOptions,
    # invoiceScreenDefaultTabFormat and invoicingDisplayOptions (pyconnectwise/models/manage/__init__.py, class
    # Member), fields a real server fills in on every member.
    expected = [m["identifier"] for m in tls_sandbox.all("/system/members", conditions="inactiveFlag = false")]
    members = client.system.members.get(params={"conditions": "inactiveFlag = false", "orderBy": "id asc"})
    assert [m.identifier for m in members] == expected
    one = client.system.members.id(members[0].id).get()
    assert one.identifier == expected[0]

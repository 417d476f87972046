"""Companies and what hangs off them: sites (``/company/companies/{id}/sites``), company statuses and types.

Sync and async classes side by side; the behaviour is in ``collection.py``. Not for: onboarding logic
(``cwdesk.workflows.onboarding``).
"""

from __future__ import annotations

from cwdesk.manage.models.company import Company, CompanySite, CompanyStatus, CompanyType
from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = [
    "AsyncCompanies",
    "AsyncCompanySites",
    "AsyncCompanyStatuses",
    "AsyncCompanyTypes",
    "Companies",
    "CompanySites",
    "CompanyStatuses",
    "CompanyTypes",
]


class CompanySites(Collection[CompanySite]):
    """``/company/companies/{company_id}/sites``: get it with ``client.companies.sites(company_id)``."""

    path = "/company/companies/{parent_id}/sites"
    model = CompanySite


class AsyncCompanySites(AsyncCollection[CompanySite]):
    path = CompanySites.path
    model = CompanySite


class Companies(Collection[Company]):
    """``/company/companies``. A PUT may not carry ``types``: "typeIds can only be used when creating a new
    company." (docs/connectwise.md, "Companies"), so ``replace`` leaves them out and the company keeps its types."""

    path = "/company/companies"
    model = Company
    create_only = ("types",)

    def sites(self, company_id: int) -> CompanySites:
        """The sites of one company."""
        return CompanySites(self._client, parent_id=self._id(company_id))


class AsyncCompanies(AsyncCollection[Company]):
    path = Companies.path
    model = Company
    create_only = Companies.create_only

    def sites(self, company_id: int) -> AsyncCompanySites:
        """The sites of one company."""
        return AsyncCompanySites(self._client, parent_id=self._id(company_id))


class CompanyStatuses(Collection[CompanyStatus]):
    """``/company/companies/statuses`` (Active, Inactive, ... as configured)."""

    path = "/company/companies/statuses"
    model = CompanyStatus


class AsyncCompanyStatuses(AsyncCollection[CompanyStatus]):
    path = CompanyStatuses.path
    model = CompanyStatus


class CompanyTypes(Collection[CompanyType]):
    """``/company/companies/types`` (Client, Prospect, Vendor, ... as configured)."""

    path = "/company/companies/types"
    model = CompanyType


class AsyncCompanyTypes(AsyncCollection[CompanyType]):
    path = CompanyTypes.path
    model = CompanyType

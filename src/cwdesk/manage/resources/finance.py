"""Agreements and agreement types (``/finance/agreements``, ``/finance/agreements/types``).

Sync and async classes side by side; the behaviour is in ``collection.py``. Not for: billing logic.
"""

from __future__ import annotations

from cwdesk.manage.models.finance import Agreement, AgreementType
from cwdesk.manage.resources.collection import AsyncCollection, Collection

__all__ = ["AgreementTypes", "Agreements", "AsyncAgreementTypes", "AsyncAgreements"]


class Agreements(Collection[Agreement]):
    """``/finance/agreements``."""

    path = "/finance/agreements"
    model = Agreement


class AsyncAgreements(AsyncCollection[Agreement]):
    path = Agreements.path
    model = Agreement


class AgreementTypes(Collection[AgreementType]):
    """``/finance/agreements/types``."""

    path = "/finance/agreements/types"
    model = AgreementType


class AsyncAgreementTypes(AsyncCollection[AgreementType]):
    path = AgreementTypes.path
    model = AgreementType

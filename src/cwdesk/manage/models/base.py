"""The Manage-only pieces of the model base: references, custom fields, and which fields hold a reference.

The base itself (``CWModel``, ``Nested``, ``decode_page``...) is neutral, shared with Automate: ``cwdesk.models``;
its names are re-exported here for the Manage models' imports.

- ``Reference``: the ``{id, name, identifier, _info}`` objects ConnectWise uses for links between records
  (``status``, ``company``, ``site``...); extra members such as ``dailyCapacity`` are kept.
- ``ReferenceField`` / ``ReferenceList``: such links as nested records built on first read (``Nested()``).
- ``CustomFieldValue``: one member of ``customFields[]``.

Not for: requests or query building (``manage/resources``).
"""

from __future__ import annotations

from functools import cache
from typing import Annotated, Any, TypeAlias

from pydantic import Field

from cwdesk.models import (
    CWModel,
    InfoLinks,
    Nested,
    api_field_names,
    api_name,
    decode_page,
    decode_record,
    to_api_payload,
)

__all__ = [
    "CWModel",
    "CustomFieldValue",
    "InfoLinks",
    "Nested",
    "Reference",
    "ReferenceField",
    "ReferenceList",
    "api_field_names",
    "api_name",
    "decode_page",
    "decode_record",
    "reference_fields",
    "to_api_payload",
]


class Reference(CWModel):
    """A link to another record: ``{"id": 1, "name": "Active", "_info": {...}}`` (other members kept)."""

    id: int | None = None
    name: str | None = None
    identifier: str | None = None
    info: InfoLinks = Field(default=None, alias="_info")


ReferenceField: TypeAlias = Annotated[Reference | None, Nested()]
"""A link to one record, built on first read (see ``Nested``)."""
ReferenceList: TypeAlias = Annotated[list[Reference] | None, Nested()]
"""A list of links (``types``), built on first read."""


class CustomFieldValue(CWModel):
    """One custom field of a record (``customFields[]``); ConnectWise expects the whole array back on update."""

    id: int | None = None
    caption: str | None = None
    type: str | None = None
    entry_method: str | None = Field(default=None, alias="entryMethod")
    number_of_decimals: int | None = Field(default=None, alias="numberOfDecimals")
    value: Any | None = None
    connect_wise_id: str | None = Field(default=None, alias="connectWiseId")
    row_num: int | None = Field(default=None, alias="rowNum")
    user_defined_field_rec_id: int | None = Field(default=None, alias="userDefinedFieldRecId")
    pod_id: str | None = Field(default=None, alias="podId")


@cache
def reference_fields(model: type[CWModel]) -> frozenset[str]:
    """API names of the fields that hold a ``Reference`` (``status``, ``company``...)."""
    found = set()
    for attr, info in model.model_fields.items():
        annotation = info.annotation
        if annotation is not None and Reference in getattr(annotation, "__args__", (annotation,)):
            found.add(info.alias or attr)
    return frozenset(found)

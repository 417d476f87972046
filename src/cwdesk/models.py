"""The base of every ConnectWise model (Manage and Automate), and the lenient page decoder.

Neutral ground: both SDKs build their records on it, so ``cwdesk.automate`` does not import ``cwdesk.manage``.
The Manage-only pieces (``Reference``, ``CustomFieldValue``, ``reference_fields``) are in ``manage/models/base.py``.

- ``CWModel``: pydantic v2, ``extra="allow"`` (fields the spec does not list are kept, reachable as attributes by
  their API name and in ``model_extra``), snake_case attributes with the API's camelCase as aliases
  (``populate_by_name``), every field optional. ``to_api()`` gives the camelCase dict of what was set.
- ``Nested()``: nested records (references, communication items, custom
  fields) are checked to be objects when a page is decoded but become models on first read of the attribute (then
  kept). A page of 1,000 companies holds about 5,000 references and 1,000 contacts about 5,000 nested objects;
  building them all up front was about half of decoding a page, and an export or a list view reads few of them.
  Reading, assigning, comparing, printing and dumping (``to_api``, ``model_dump``) behave as if they had been
  built eagerly; an odd nested member is set aside with a warning when it is first read, like an odd field.
- ``decode_page(Model, items)``: the whole page in one validation call (fast path); if that fails, the good
  records again in one call and each odd record on its own, kept with its offending fields moved aside
  (``model_extra``) and a logged warning — one odd record never fails a page. The cyclic garbage collector is
  paused while a page is decoded (``cwdesk.collector``: decoding makes no cycles, and collections scanning its
  thousands of new objects took about 13% of the time).
- ``api_name(Model, name)``: a snake_case or camelCase field name -> the API's name, or None if unknown.

Not for: requests or query building (the clients' resources), or any one product's record shapes.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime
from functools import cache
from typing import Annotated, Any, ClassVar, TypeAlias, TypeVar

from pydantic import BaseModel, ConfigDict, GetCoreSchemaHandler, SkipValidation, TypeAdapter, ValidationError
from pydantic_core import core_schema

from cwdesk import collector

__all__ = [
    "CWModel",
    "InfoLinks",
    "Nested",
    "api_field_names",
    "api_name",
    "decode_page",
    "decode_record",
    "to_api_payload",
]

logger = logging.getLogger("cwdesk.models")

M = TypeVar("M", bound="CWModel")

InfoLinks: TypeAlias = Annotated[dict[str, Any] | None, SkipValidation()]
"""The ``_info`` member (links and audit stamps): kept as received, not copied or checked. Every record and every
reference carries one, so validating it cost about 15% of decoding a page; nothing reads it as typed data."""


class Nested:
    """Field marker: the nested record(s) are kept as received when a page is decoded, built on first read.

    Used as ``Annotated[Reference | None, Nested()]`` (Manage's ``ReferenceField``) or with ``list[Model] | None``.
    Decoding only checks that the value is an object (or a list of objects); ``CWModel`` puts a ``_NestedField``
    descriptor on the class that builds the model(s) when the attribute is read and keeps them. JSON input is
    validated fully at once.
    """

    def __get_pydantic_core_schema__(self, source: Any, handler: GetCoreSchemaHandler) -> core_schema.CoreSchema:
        built = handler(source)  # the eager schema: used for JSON input and to serialize what was built
        model, many = _nested_shape(source)
        one = core_schema.is_instance_schema((dict, model))
        kept = core_schema.list_schema(one) if many else one
        return core_schema.json_or_python_schema(
            json_schema=built,
            python_schema=core_schema.nullable_schema(kept),
            serialization=core_schema.plain_serializer_function_ser_schema(
                lambda value: _build_nested(model, many, value), return_schema=built
            ),
        )


def _nested_shape(annotation: Any) -> tuple[type[CWModel], bool]:
    """``Reference | None`` -> (Reference, False); ``list[Reference] | None`` -> (Reference, True)."""
    for member in getattr(annotation, "__args__", (annotation,)):
        if isinstance(member, type) and issubclass(member, CWModel):
            return member, False
        inner = getattr(member, "__args__", ())
        if getattr(member, "__origin__", None) is list and inner and issubclass(inner[0], CWModel):
            return inner[0], True
    raise TypeError(f"Nested() needs a CWModel, a list of one, or either | None; got {annotation!r}")


def _build_one(model: type[CWModel], item: Any) -> Any:
    if type(item) is not dict:
        return item
    try:
        # The validator itself: model_validate's own Python wrapper was a fifth of a first read.
        return model.__pydantic_validator__.validate_python(item)
    except ValidationError:
        return decode_record(model, item)


def _build_nested(model: type[CWModel], many: bool, value: Any) -> Any:
    if many and value is not None and any(type(item) is dict for item in value):
        return [_build_one(model, item) for item in value]
    return value if many else _build_one(model, value)


class _NestedField:
    """Descriptor for a ``Nested()`` field: builds the kept value on first read and stores the result."""

    def __init__(self, name: str, model: type[CWModel], many: bool) -> None:
        self.name, self.model, self.many = name, model, many

    def __get__(self, record: CWModel | None, owner: type[CWModel]) -> Any:
        if record is None:
            # As for any pydantic field: the class has no such attribute. Otherwise a subclass's field collection
            # would take this descriptor for the field's default.
            raise AttributeError(f"type object {owner.__name__!r} has no attribute {self.name!r}")
        fields = record.__dict__
        value = fields.get(self.name)
        if value is None or isinstance(value, CWModel):
            return value
        built = _build_nested(self.model, self.many, value)
        if built is not value:
            fields[self.name] = built
        return built

    def __set__(self, record: CWModel, value: Any) -> None:
        # pydantic's own __setattr__ writes __dict__ and never gets here; this covers object.__setattr__.
        record.__dict__[self.name] = value


class CWModel(BaseModel):
    """A lenient ConnectWise record: unknown fields kept, snake_case attributes, camelCase on the wire."""

    # defer_build: a model's validator is built when it first decodes a record, not when its module is imported, so
    # a command that decodes none (``cwdesk companies count``) does not pay for it (docs/cli.md "Start-up").
    model_config = ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=(), defer_build=True)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        nested = {}
        for attr, info in cls.model_fields.items():
            if any(isinstance(mark, Nested) for mark in info.metadata):
                model, many = _nested_shape(info.annotation)
                nested[attr] = _NestedField(attr, model, many)
        for attr, descriptor in nested.items():
            setattr(cls, attr, descriptor)
        cls.__cwdesk_nested__ = tuple(nested)

    __cwdesk_nested__: ClassVar[tuple[str, ...]] = ()

    def build_nested(self) -> None:
        """Build every nested record still kept as received (comparisons and printing do this themselves)."""
        fields = self.__dict__
        for attr in self.__cwdesk_nested__:
            if fields.get(attr) is not None:
                getattr(self, attr)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, CWModel):
            self.build_nested()
            other.build_nested()
        return super().__eq__(other)

    def __repr_args__(self) -> Any:
        self.build_nested()
        return super().__repr_args__()

    def to_api(self) -> dict[str, Any]:
        """The camelCase JSON-ready dict of the fields that were set (read or assigned)."""
        return self.model_dump(by_alias=True, exclude_unset=True, mode="json")

    def __getattr__(self, name: str) -> Any:
        # Unknown fields keep their API (camelCase) name in model_extra; let `record.someNewField` work too.
        extra = self.__dict__.get("__pydantic_extra__") if name != "__pydantic_extra__" else None
        if extra is None:
            try:
                extra = object.__getattribute__(self, "__pydantic_extra__")
            except AttributeError:
                extra = None
        if extra and name in extra:
            return extra[name]
        return super().__getattr__(name)  # type: ignore[misc]


@cache
def _page_adapter(model: type[CWModel]) -> TypeAdapter[list[Any]]:
    return TypeAdapter(list[model])  # type: ignore[valid-type]


@cache
def _alias_map(model: type[CWModel]) -> dict[str, str]:
    """Both spellings -> the API name."""
    names: dict[str, str] = {}
    for attr, info in model.model_fields.items():
        api = info.alias or attr
        names[attr] = api
        names[api] = api
    return names


def api_field_names(model: type[CWModel]) -> frozenset[str]:
    """The API (camelCase) names of the model's declared fields."""
    return frozenset(_alias_map(model).values())


def api_name(model: type[CWModel], name: str) -> str | None:
    """The API name of a field given in either spelling, or None when the model does not declare it."""
    return _alias_map(model).get(name)


def _plain(value: Any) -> Any:
    if isinstance(value, CWModel):
        return value.to_api()
    if isinstance(value, datetime):
        text = value.isoformat()
        return text.replace("+00:00", "Z")
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


def to_api_payload(model: type[CWModel], data: Mapping[str, Any] | CWModel) -> dict[str, Any]:
    """A request body with API field names: a model instance, or a dict in either spelling (unknown keys kept)."""
    if isinstance(data, CWModel):
        return data.to_api()
    return {(api_name(model, key) or key): _plain(value) for key, value in data.items()}


def decode_record(model: type[M], item: Any) -> M:
    """One record; if it does not fit the model, the offending fields are set aside and a warning logged."""
    try:
        return model.model_validate(item)
    except ValidationError as exc:
        if not isinstance(item, Mapping):
            logger.warning("Skipping the shape check of a %s record that is not an object", model.__name__)
            empty: M = model.model_validate({})
            return empty
        bad = {str(err["loc"][0]) for err in exc.errors() if err["loc"]}
        kept = {k: v for k, v in item.items() if k not in bad}
        record = model.model_validate(kept)
        set_aside = {k: item[k] for k in bad if k in item}
        if record.__pydantic_extra__ is not None:
            record.__pydantic_extra__.update(set_aside)
        logger.warning(
            "%s record id=%s: field(s) %s did not match the expected types; kept as raw values",
            model.__name__,
            item.get("id"),
            ", ".join(sorted(set_aside)),
        )
        return record


def decode_page(model: type[M], items: Iterable[Any]) -> list[M]:
    """A page of records into models: one validation call for the page, record by record only if it fails."""
    with collector.paused():
        return _decode_page(model, items)


def _decode_page(model: type[M], items: Iterable[Any]) -> list[M]:
    data = items if isinstance(items, list) else list(items)
    adapter = _page_adapter(model)
    try:
        decoded: list[M] = adapter.validate_python(data)
        return decoded
    except ValidationError as exc:
        odd = {err["loc"][0] for err in exc.errors() if err["loc"] and isinstance(err["loc"][0], int)}
    # Validate the good records in one call again; only the odd ones go record by record.
    good_positions = [i for i in range(len(data)) if i not in odd]
    try:
        good: list[M] = adapter.validate_python([data[i] for i in good_positions])
    except ValidationError:
        return [decode_record(model, item) for item in data]
    result: list[M | None] = [None] * len(data)
    for position, record in zip(good_positions, good, strict=True):
        result[position] = record
    for position in odd:
        result[position] = decode_record(model, data[position])
    return [record for record in result if record is not None]

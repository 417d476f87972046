"""``import cwdesk`` (``src/cwdesk/__init__.py``): every public name of the SDK, each imported when first used."""

from __future__ import annotations

import pytest

import cwdesk
from tests.cli.test_app_cli import _modules_after


def test_importing_cwdesk_imports_no_store_or_console_and_names_resolve_on_use() -> None:
    found = _modules_after(
        "import cwdesk\n"
        "light = [m for m in ('httpx', 'pydantic') if m in sys.modules]\n"
        "print(light, cwdesk.NotFoundError.__module__, cwdesk.ManageClient.__name__)"
    )
    assert found["heavy"] == ["cwdesk.manage.models"]  # imported by ManageClient, asked for last
    assert str(found["out"]).split() == ["[]", "cwdesk", "ManageClient"]


def test_every_public_name_resolves() -> None:
    for name in cwdesk.__all__:
        assert getattr(cwdesk, name) is not None, name
    assert set(cwdesk.__all__) <= set(dir(cwdesk))


def test_an_unknown_name_of_cwdesk_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        cwdesk.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018

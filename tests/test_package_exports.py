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
    assert found["heavy"] == []  # not even the models: ManageClient imports each resource when first used
    assert str(found["out"]).split() == ["[]", "cwdesk", "ManageClient"]


def test_every_public_name_resolves() -> None:
    for name in cwdesk.__all__:
        assert getattr(cwdesk, name) is not None, name
    assert set(cwdesk.__all__) <= set(dir(cwdesk))


def test_an_unknown_name_of_cwdesk_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError, match="NoSuchThing"):
        cwdesk.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018


def test_a_client_imports_the_models_of_the_resources_it_uses_only() -> None:
    found = _modules_after(
        "from cwdesk import ManageClient\n"
        "client = ManageClient(server='https://example.invalid', company='acme', public_key='p', private_key='k',"
        " client_id='1d4c2a5e-7b7f-4c1e-9a53-0f2b8c6d9e10')\n"
        "client.companies\n"
        "print(sorted(m for m in sys.modules if m.startswith('cwdesk.manage.models.')))"
    )
    assert str(found["out"]).split() == ["['cwdesk.manage.models.base',", "'cwdesk.manage.models.company']"]

"""The sync and async twins stay in step: every public method of one has its twin, with the same parameters."""

from __future__ import annotations

import importlib
import inspect

import pytest

import cwdesk

_MODULES = [
    "cwdesk.manage.client",
    "cwdesk.manage.resources.collection",
    "cwdesk.manage.resources.company",
    "cwdesk.manage.resources.contact",
    "cwdesk.manage.resources.finance",
    "cwdesk.manage.resources.service",
    "cwdesk.manage.resources.system",
    "cwdesk.automate.client",
    "cwdesk.automate.resources",
    "cwdesk.manage.operations",
    "cwdesk.automate.operations",
    "cwdesk._http.core",
]


def _twins() -> list[tuple[type, type]]:
    pairs = []
    for name in _MODULES:
        module = importlib.import_module(name)
        classes = {n: c for n, c in vars(module).items() if inspect.isclass(c) and c.__module__ == module.__name__}
        for class_name, cls in classes.items():
            for twin_name in (f"Async{class_name}", f"_Async{class_name.lstrip('_')}"):
                twin = classes.get(twin_name)
                if twin is not None and twin is not cls:
                    pairs.append((cls, twin))
    return pairs


def _public(cls: type) -> dict[str, inspect.Signature]:
    found = {}
    for name, member in inspect.getmembers(cls):
        if name.startswith("_") or not callable(member) or isinstance(member, type):
            continue
        try:
            found[name] = inspect.signature(member)
        except (TypeError, ValueError):
            continue
    return found


def test_the_twins_are_found() -> None:
    pairs = {(a.__name__, b.__name__) for a, b in _twins()}
    assert ("ManageClient", "AsyncManageClient") in pairs
    assert ("AutomateClient", "AsyncAutomateClient") in pairs
    assert ("Companies", "AsyncCompanies") in pairs
    assert len(pairs) >= 15


@pytest.mark.parametrize(("sync", "twin"), _twins(), ids=lambda c: c.__name__)
def test_each_twin_has_the_same_methods_and_parameters(sync: type, twin: type) -> None:
    mine, theirs = _public(sync), _public(twin)
    # Context-manager and closing methods differ by nature (``close`` / ``aclose``), and so do httpx's transport
    # methods (``handle_request`` / ``handle_async_request``: httpx.BaseTransport, httpx.AsyncBaseTransport).
    ignored = {"close", "aclose", "handle_request", "handle_async_request"}
    assert set(mine) - ignored == set(theirs) - ignored, (sync.__name__, set(mine) ^ set(theirs))
    for name in set(mine) & set(theirs) - ignored:
        assert list(mine[name].parameters) == list(theirs[name].parameters), (sync.__name__, name)


def test_the_root_exports_both_twins() -> None:
    for name in ("ManageClient", "AsyncManageClient", "AutomateClient", "AsyncAutomateClient"):
        assert name in cwdesk.__all__

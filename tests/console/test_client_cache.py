"""C1–C3 under load: kept panels and list searches cost no ConnectWise call, and a change shows at once."""

from __future__ import annotations

import threading
from concurrent.futures import Future
from typing import Any

import pytest

from cwdesk.console import client_detail
from cwdesk.console.client_detail import ClientPanels
from cwdesk.console.client_list import ClientList
from cwdesk.errors import NotFoundError
from cwdesk.manage.client import ManageClient
from cwdesk.sandbox import Sandbox

from .confirming import confirmed_primary


def manage_of(sandbox: Sandbox) -> ManageClient:
    return ManageClient(**sandbox.manage_credentials, transport=sandbox.transport())


def reads(sandbox: Sandbox) -> list[str]:
    return [r.path for r in sandbox.requests if r.method == "GET"]


def test_a_panel_opened_again_is_served_without_calling_connectwise(sign_in: Any, console_sandbox: Sandbox) -> None:
    viewer = sign_in("viewer")
    first = viewer.page("/clients/1/panel")
    assert first.status_code == 200
    console_sandbox.clear_requests()
    again = viewer.page("/clients/1/panel")
    assert again.status_code == 200 and reads(console_sandbox) == []
    assert '<div class="k">Total MRR</div>' in again.text and "Main Office" in again.text


def test_an_edit_shows_at_once_in_a_kept_panel_and_the_list(sign_in: Any) -> None:
    operator = sign_in("operator")
    assert '<h1 id="client-name">Cedar &amp; Finch Law</h1>' in operator.page("/clients/3/panel").text
    answer = operator.change("/clients/3", data={"name": "Cedar & Finch LLP", "phone": "503-555-0100",
                                                 "status": "Active", "website": "https://cedar.example"})  # fmt: skip
    assert answer.json()["ok"], answer.text
    panel = operator.page("/clients/3/panel").text
    assert '<h1 id="client-name">Cedar &amp; Finch LLP</h1>' in panel and "503-555-0100" in panel
    found = operator.get("/api/clients/search", params={"q": "llp"}).json()
    assert [row[1] for row in found["rows"]] == ["Cedar & Finch LLP"]


def test_added_contact_and_new_primary_show_at_once(sign_in: Any, console_sandbox: Sandbox) -> None:
    operator = sign_in("operator")
    assert "Ivy Chen" not in operator.page("/clients/2/panel").text
    added = operator.change("/clients/2/contacts", data={"first_name": "Ivy", "last_name": "Chen", "title": "CTO",
                                                         "email": "ivy@brightpath.example"})  # fmt: skip
    assert added.json()["ok"], added.text
    panel = operator.page("/clients/2/panel").text
    assert "Ivy Chen" in panel
    ivy = next(c for c in manage_of(console_sandbox).contacts.list(where="company/id = 2") if c.first_name == "Ivy")
    assert confirmed_primary(operator, ivy.id).json()["ok"]
    panel = operator.page("/clients/2/panel").text
    # The primary contact is listed first, with the only PRIMARY badge.
    first = panel.index('<strong class="contact-name">')
    assert panel.count("PRIMARY") == 1 and first < panel.index("Ivy Chen") < panel.index("PRIMARY")
    assert panel.index("PRIMARY") < panel.index('<strong class="contact-name">', first + 1)


def test_search_over_a_complete_kept_list_matches_connectwise_without_calling_it(console_sandbox: Sandbox) -> None:
    manage = manage_of(console_sandbox)
    kept, asked = ClientList(manage), ClientList(manage, browser_limit=0)
    assert kept.document().complete and not asked.document().complete
    for text, active_only in [("cedar", True), ("CEDAR", False), ("port", True), ("a", True), ("a", False),
                              ("zzz", False), ("", True), ('x" or id > 0 or name = "', False)]:  # fmt: skip
        console_sandbox.clear_requests()
        local = kept.search(text, active_only=active_only)
        assert reads(console_sandbox) == [], text
        assert local == asked.search(text, active_only=active_only), (text, active_only)
    assert kept.search("a", active_only=False)["total"] > kept.search("a", active_only=True)["total"] > 0


def test_a_change_outside_the_console_shows_after_the_ttl(console_sandbox: Sandbox) -> None:
    now = [0.0]
    manage = manage_of(console_sandbox)
    panels = ClientPanels(manage, ttl=30.0, clock=lambda: now[0])
    assert panels.detail(4).phone != "555-0199"
    manage.companies.patch(4, [{"op": "replace", "path": "phoneNumber", "value": "555-0199"}])
    now[0] = 29.0
    assert panels.detail(4).phone != "555-0199"  # kept, as promised, for up to ttl seconds
    now[0] = 30.0
    assert panels.detail(4).phone == "555-0199"


def test_fifty_people_opening_one_client_cost_one_read(monkeypatch: pytest.MonkeyPatch) -> None:
    # ttl=0 keeps nothing, so only sharing the read under way can make fifty requests cost one: the test does not
    # release that read before the 49 others are waiting on it (counted where they wait), and never sleeps.
    calls: list[int] = []
    loading, release = threading.Event(), threading.Event()
    waiting = threading.Condition()
    waiters = [0]

    def slow_load(_manage: Any, company_id: int) -> Any:
        calls.append(company_id)
        loading.set()
        release.wait(10)
        return f"detail of {company_id}"

    class CountedRead(Future[Any]):
        """The console's read under way, counting the requests that wait for its answer."""

        def result(self, timeout: float | None = None) -> Any:
            with waiting:
                waiters[0] += 1
                waiting.notify_all()
            return super().result(timeout)

    monkeypatch.setattr(client_detail, "load_client_detail", slow_load)
    monkeypatch.setattr(client_detail, "Future", CountedRead)
    panels = ClientPanels(object(), ttl=0)
    answers: list[Any] = []
    threads = [threading.Thread(target=lambda: answers.append(panels.detail(7))) for _ in range(50)]
    for thread in threads:
        thread.start()
    assert loading.wait(10)
    with waiting:
        all_wait = waiting.wait_for(lambda: waiters[0] == 49, timeout=10)
    release.set()
    for thread in threads:
        thread.join(10)
    assert all_wait, f"{waiters[0]} of 49 requests waited for the read under way; {len(calls)} reads were made"
    assert calls == [7] and answers == ["detail of 7"] * 50


def test_a_read_under_way_during_a_change_is_not_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    versions = iter(["before the change", "after the change"])
    started, release = threading.Event(), threading.Event()

    def load(_manage: Any, _company_id: int) -> Any:
        started.set()
        release.wait(5)
        return next(versions)

    monkeypatch.setattr(client_detail, "load_client_detail", load)
    panels = ClientPanels(object())
    early: list[Any] = []
    reader = threading.Thread(target=lambda: early.append(panels.detail(1)))
    reader.start()
    assert started.wait(5)
    panels.invalidate()  # the change lands while the read is under way
    release.set()
    reader.join(5)
    assert early == ["before the change"]
    assert panels.detail(1) == "after the change"


def test_a_failed_read_is_never_kept(console_sandbox: Sandbox) -> None:
    panels = ClientPanels(manage_of(console_sandbox))
    with pytest.raises(NotFoundError):
        panels.detail(999999)
    created = manage_of(console_sandbox).companies.create(
        {"name": "Late Arrival", "identifier": "LateCo", "addressLine1": "1 Main St", "site": {"name": "Main"}}
    )
    assert panels.detail(created.id).name == "Late Arrival"
    console_sandbox.clear_requests()
    assert panels.detail(created.id).name == "Late Arrival" and reads(console_sandbox) == []


def test_invalidating_the_list_forgets_every_kept_panel(console_sandbox: Sandbox) -> None:
    manage = manage_of(console_sandbox)
    client_list = ClientList(manage)
    client_list.panels.detail(1)
    client_list.document()
    client_list.invalidate()
    console_sandbox.clear_requests()
    client_list.panels.detail(1)
    client_list.document()
    paths = reads(console_sandbox)
    assert any(p.endswith("/company/companies/1") for p in paths)
    assert any(p.endswith("/company/companies/count") for p in paths)


def test_a_deleted_company_leaves_the_client_list_and_its_search(sign_in: Any, console_sandbox: Sandbox) -> None:
    # ConnectWise keeps a deleted company (deletedFlag true, GET still answers): the console's list must not show it.
    viewer = sign_in("viewer")
    listed = viewer.get("/api/clients").json()
    victim = listed["rows"][0]
    manage_of(console_sandbox).companies.delete(victim[0])
    viewer.app.state.client_list.invalidate()

    after = viewer.get("/api/clients").json()

    assert victim[0] not in [row[0] for row in after["rows"]]
    assert after["total"] == listed["total"] - 1
    found = viewer.get("/api/clients/search", params={"q": victim[1]}).json()
    assert victim[0] not in [row[0] for row in found["rows"]]

"""``store.scim_records``: what the SCIM bridge keeps per ConnectWise member or role, one row each."""

from __future__ import annotations

from pathlib import Path

from cwdesk.store import open_database
from cwdesk.store.scim_records import ScimLink, ScimRecords


def test_rows_are_made_then_updated_per_kind_and_record(tmp_path: Path) -> None:
    engine = open_database(f"sqlite:///{tmp_path / 'store.db'}")
    members, roles = ScimRecords(engine, "member"), ScimRecords(engine, "role")
    assert members.link(7) == ScimLink()
    members.save(7, external_id="00u1", email_primary="Office")
    members.save(7, phone_primary="none")
    roles.save(7, external_id="grp-1")
    assert members.link(7) == ScimLink(external_id="00u1", email_primary="Office", phone_primary="none")
    assert roles.link(7) == ScimLink(external_id="grp-1")
    assert members.with_external_id("00u1") == [7] and members.with_external_id("00U1") == []  # case-exact
    members.mark_deleted(7)
    assert members.deleted() == {7} and roles.deleted() == set()
    members.save(7, deleted_at=None)
    assert not members.link(7).deleted
    assert members.links([7, 8]) == {7: members.link(7)}
    engine.dispose()

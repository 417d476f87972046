"""The sandbox database: a file made by an older cwdesk opens, and gains the columns indexed since."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from cwdesk.sandbox.backend.store import open_sandbox_db


def test_a_database_from_before_an_indexed_field_existed_still_answers_conditions_on_it(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)
    old.execute("CREATE TABLE mg_agreement (id INTEGER PRIMARY KEY, parent_id INTEGER, data TEXT NOT NULL)")
    old.execute(
        """INSERT INTO mg_agreement VALUES (1, NULL, '{"id": 1, "name": "Old", "agreementStatus": "Active"}')"""
    )
    old.commit()
    old.close()
    db = open_sandbox_db(str(path))
    try:
        assert db.execute("SELECT id FROM mg_agreement WHERE c_agreementstatus = 'active'").fetchall() == [(1,)]
        indexes = {row[1] for row in db.execute("PRAGMA index_list(mg_agreement)")}
        assert "ix_mg_agreement_c_agreementstatus" in indexes
    finally:
        db.close()

"""What the Automate workflow tests read of the sandbox: the writes in its request log, and records in its tables."""

from __future__ import annotations

from cwdesk.sandbox.server import Sandbox

WRITE_METHODS = ("POST", "PATCH", "PUT", "DELETE")


def automate_writes(sandbox: Sandbox, since: int = 0) -> list[str]:
    """``METHOD /path`` of each Automate record write the sandbox served after the first ``since`` requests (getting
    a token is not one)."""
    found = []
    for entry in sandbox.requests[since:]:
        path = entry.path.removeprefix("/cwa/api/v1")
        if (
            entry.method in WRITE_METHODS
            and entry.path.startswith("/cwa/api/v1")
            and not path.lower().startswith("/apitoken")
        ):
            found.append(f"{entry.method} {path}")
    return found


def client_id_of(sandbox: Sandbox, name: str) -> int:
    row = sandbox.db.execute("SELECT id FROM cwa_clients WHERE name = ?", (name,)).fetchone()
    assert row is not None, name
    return int(row[0])


def client_with_computers(sandbox: Sandbox) -> tuple[int, str, int]:
    """(id, name, computer count) of the demo client with the most computers."""
    row = sandbox.db.execute(
        "SELECT c.id, c.name, count(m.id) AS n FROM cwa_clients c JOIN cwa_computers m ON m.client_id = c.id "
        "GROUP BY c.id ORDER BY n DESC, c.id LIMIT 1"
    ).fetchone()
    assert row is not None, "the demo data has a client with computers"
    return int(row[0]), str(row[1]), int(row[2])


def client_without_computers(sandbox: Sandbox) -> str:
    """The name of a demo client that has no computers."""
    row = sandbox.db.execute(
        "SELECT c.name FROM cwa_clients c WHERE NOT EXISTS (SELECT 1 FROM cwa_computers m WHERE m.client_id = c.id) "
        "ORDER BY c.id LIMIT 1"
    ).fetchone()
    assert row is not None, "the demo data has a client without computers"
    return str(row[0])

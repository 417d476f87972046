"""R4: after a full run, the private key, the passwords and the tokens appear nowhere they should not.

The run: the real CLI in child processes against a standalone sandbox, every command with ``--log-format json
--log-level debug`` (reads, a bulk job, an onboarding, a primary change, a member provision, syncs, Automate
reports, jobs list/show with the journal), then the console signed in by link and by password, every page and JSON
answer it serves read, its scripts and its cookies. Scanned: every log line and output, every table of both
stores dumped row by row (jobs, steps, journal, sync cache, users, sessions, audit), the console's pages, answers,
headers, static scripts and cookies. Browser storage (localStorage, sessionStorage, document.cookie) is scanned
in headless Chromium by ``tests/browser/test_console_in_chromium.py``.

The profile file (``profiles.yaml``, mode 0600) is where a saved private key belongs; this run uses ``CWM_*`` /
``CWA_*`` variables, so no file should hold it at all.
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import sqlalchemy as sa
import yaml
from fastapi import FastAPI
from fastapi.testclient import TestClient

from cwdesk.sandbox.seed import PRIVATE_KEY, PUBLIC_KEY
from cwdesk.sandbox.server import AUTOMATE_PASSWORD
from tests.console.conftest import use_signin_link
from tests.loopback import CLIENT_ID, serve

from .conftest import PASSWORD, SignedIn

MANAGE_AUTH = base64.b64encode(f"sandbox+{PUBLIC_KEY}:{PRIVATE_KEY}".encode()).decode()


def _cli_secrets() -> dict[str, str]:
    return {
        "Manage private key": PRIVATE_KEY,
        "Manage Basic auth value": MANAGE_AUTH,
        "Automate password": AUTOMATE_PASSWORD,
    }


def _leaks(text: str, secrets: dict[str, str]) -> list[str]:
    return [name for name, value in secrets.items() if value and value in text]


def dump_store(url: str) -> str:
    """Every row of every table, as text."""
    engine = sa.create_engine(url)
    lines: list[str] = []
    try:
        meta = sa.MetaData()
        meta.reflect(engine)
        with engine.connect() as conn:
            for table in meta.sorted_tables:
                for row in conn.execute(sa.select(table)):
                    lines.append(f"{table.name}: {tuple(row)!r}")
    finally:
        engine.dispose()
    return "\n".join(lines)


PLAN = {
    "company": {
        "name": "Secret Safe Ltd",
        "identifier": "SecretSafe",
        "status": "Active",
        "type": "Client",
        "address": {"line1": "1 Main St", "city": "Chicago", "state": "IL", "zip": "60601", "country": "United States"},
    },
    "contacts": [{"first_name": "Jane", "last_name": "Doe", "email": "jane@safe.example"}],
    "ticket": {"board": "Service Desk"},
}


def test_a_full_cli_run_leaves_no_secret_in_logs_outputs_or_the_store(tmp_path: Path) -> None:
    home = tmp_path / "cli-home"
    with serve(tmp_path / "server-home", "--seed", "demo") as served:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CWM_", "CWA_", "CWDESK_"))}
        env.update(
            CWDESK_HOME=str(home),
            CWDESK_LOG_FORMAT="json",
            CWDESK_LOG_LEVEL="debug",
            CWM_SERVER=served.base,
            CWM_COMPANY="sandbox",
            CWM_PUBKEY=PUBLIC_KEY,
            CWM_PRIVATEKEY=PRIVATE_KEY,
            CWM_CLIENTID=CLIENT_ID,
            CWA_SERVER=served.base,
            CWA_USERNAME="sandbox",
            CWA_PASSWORD=AUTOMATE_PASSWORD,
            CWA_CLIENTID=CLIENT_ID,
        )
        plan = tmp_path / "plan.yaml"
        plan.write_text(yaml.safe_dump(PLAN))
        contact = served.get("/company/contacts", conditions="defaultFlag = false and inactiveFlag = false")[0]
        runs: list[tuple[str, ...]] = [
            ("companies", "list", "-o", "json"),
            ("contacts", "get", str(contact["id"]), "-o", "json"),
            ("bulk", "contacts", "--companies", "1,2", "--set", "disablePortalLoginFlag=true", "-o", "json"),
            ("onboard", str(plan), "-o", "json"),
            ("contacts", "set-primary", str(contact["id"]), "-o", "json"),
            ("members", "provision", "r4tech", "--first-name", "Rae", "--last-name", "Four", "--email",
             "rae@safe.example", "--role", "Technician"),
            ("sync", "all"),
            ("automate", "clients", "report", "-o", "json"),
            ("health",),
            ("jobs", "list", "-o", "json"),
            ("companies", "list", "--where", "name = "),  # a usage error is logged too
        ]  # fmt: skip
        transcript: list[str] = []
        for args in runs:
            done = subprocess.run(
                [sys.executable, "-m", "cwdesk", *args], env=env, capture_output=True, text=True, timeout=120
            )
            transcript += [f"$ cwdesk {' '.join(args)} -> {done.returncode}", done.stdout, done.stderr]
        jobs = json.loads(subprocess.run(
            [sys.executable, "-m", "cwdesk", "jobs", "list", "-o", "json"], env=env, capture_output=True, text=True,
            timeout=60).stdout)  # fmt: skip
        assert len(jobs) >= 4, transcript  # bulk, onboarding, primary, member: the run really ran
        for job in jobs:
            shown = subprocess.run(
                [sys.executable, "-m", "cwdesk", "jobs", "show", str(job["id"]), "--events", "-o", "json"],
                env=env, capture_output=True, text=True, timeout=60,
            )  # fmt: skip
            transcript += [shown.stdout, shown.stderr]
        server_log = json.dumps(served.log())

    text = "\n".join(transcript)
    assert '"level"' in text or '"levelname"' in text, "no JSON log line was written: the scan would prove little"
    assert _leaks(text, _cli_secrets()) == [], "a secret reached the CLI's output or logs"
    assert _leaks(server_log, _cli_secrets()) == []
    store = dump_store(f"sqlite:///{home / 'cwdesk.db'}")
    assert "SecretSafe" in store and "r4tech" in store  # the journal and params were really dumped
    assert _leaks(store, _cli_secrets()) == [], "a secret reached the store"
    for path in home.rglob("*"):
        if path.is_file():
            assert _leaks(path.read_bytes().decode("utf-8", "replace"), _cli_secrets()) == [], path


def _get_routes(app: FastAPI) -> list[str]:
    from .test_console_routes import _concrete, _routes

    return sorted({_concrete(p) for m, p in _routes(list(app.routes)) if m == "GET" and not p.startswith("/static")})


def test_the_console_serves_no_secret_and_stores_only_digests(
    console: FastAPI, signed_in: Callable[[str], SignedIn], tmp_path: Path
) -> None:
    link_token = console.state.accounts.ensure_first_admin()
    seen: list[str] = []
    with TestClient(console) as by_link:
        first = use_signin_link(by_link, f"/signin?token={link_token}", follow_redirects=False)
        session_cookie = "; ".join(f"{k}={v}" for k, v in by_link.cookies.items())
        assert link_token not in first.headers.get("location", "")  # the token leaves the address bar
    admin = signed_in("admin")
    operator = signed_in("operator")
    # A change and a refused change, so the audit log has rows with request details.
    page = admin.get("/clients/1/panel", headers={"accept": "text/html"})
    assert page.status_code == 200
    operator.post("/clients/1", data={"phone": "312-555-0142"}, headers={"x-csrf-token": operator.csrf})
    operator.post("/clients/1", data={"phone": "312-555-0143"})
    for path in _get_routes(console):
        for accept in ("text/html", "application/json"):
            answer = admin.get(path, headers={"accept": accept})
            seen += [answer.text, str(answer.headers)]
            seen += re.findall(r'src="(/static/[^"]+)"', answer.text)
    scripts = sorted({s for s in seen if s.startswith("/static/")})
    assert scripts, "no script found on the pages"
    for script in scripts:
        seen.append(admin.get(script).text)
    seen.append(json.dumps(dict(admin.cookies.items())))

    secrets = {
        **_cli_secrets(),
        "admin's password": PASSWORD,
        "sign-in link token": link_token,
        "session id from the link": session_cookie.split("=", 1)[-1] if "=" in session_cookie else "",
        "admin's CSRF token": admin.csrf,
        "operator's CSRF token": operator.csrf,
    }
    served = "\n".join(seen)
    own = {"admin's CSRF token", "operator's CSRF token"}  # pages carry their own session's CSRF token by design
    assert [n for n in _leaks(served, secrets) if n not in own] == [], "a secret reached a page, answer or script"
    store = dump_store(f"sqlite:///{tmp_path / 'console.db'}")
    assert "312-555-0142" in store and "admin" in store  # the audit log and the users were really dumped
    # The CSRF token is kept beside its session to compare with (the synchronizer pattern): it grants nothing
    # without the session cookie, which is stored only as a digest. Everything else must not be stored in clear.
    assert [n for n in _leaks(store, secrets) if n not in own] == [], "a secret or token is stored in clear"

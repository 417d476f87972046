"""M6 across processes: four CLI bulk jobs on one credential pace together from the app's database.

Real processes: a standalone sandbox limited per credential (a token bucket of ``BURST`` requests refilled at
``RATE`` a minute), and four ``cwdesk bulk contacts`` commands started at once with the same ``CWM_*`` credential
and the same ``CWDESK_HOME``. ``make bench`` (P8) runs the same at 300/min, beside the same four processes pacing
alone.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import sqlalchemy as sa

from cwdesk.sandbox.server import CLIENT_ID
from tests.loopback import serve

RATE = 600  # requests a minute the sandbox allows the credential
BURST = 10
PROCESSES = 4


def _bulk_commands(home: Path, base: str, companies: list[list[int]]) -> list[subprocess.Popen[str]]:
    env = {
        **os.environ,
        "CWDESK_HOME": str(home),
        "CWM_SERVER": base,
        "CWM_COMPANY": "sandbox",
        "CWM_PUBKEY": "sandbox-public",
        "CWM_PRIVATEKEY": "sandbox-private",
        "CWM_CLIENTID": CLIENT_ID,
    }
    env.pop("CWDESK_DATABASE_URL", None)
    command = [sys.executable, "-m", "cwdesk", "bulk", "contacts", "--set", "disablePortalLoginFlag=true", "--quiet"]
    return [
        subprocess.Popen(
            [*command, "--companies", ",".join(map(str, ids))],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for ids in companies
    ]


def test_four_bulk_jobs_on_one_credential_share_the_rate_limit(tmp_path: Path) -> None:
    sandbox_home, app_home = tmp_path / "sandbox", tmp_path / "app"
    app_home.mkdir(mode=0o700)  # the app refuses a data folder other users can read
    with serve(sandbox_home, "--seed", "24", "--rate-limit", f"{RATE}/min", "--rate-burst", str(BURST)) as served:
        companies = [[i for i in range(1, 25) if i % PROCESSES == n] for n in range(PROCESSES)]
        # A fresh machine: the four processes also make the app's database together (it is upgraded once).
        started = time.monotonic()
        processes = _bulk_commands(app_home, served.base, companies)
        outcomes = [(p.wait(timeout=240), p.stdout.read() if p.stdout else "", p.stderr.read() if p.stderr else "")
                    for p in processes]  # fmt: skip
        wall = time.monotonic() - started
        log = [r for r in served.log() if "/apis/3.0/" in r["path"]]
        contacts = served.all("/company/contacts", conditions="company/id <= 24")

    # Every record done, and no error reached a user.
    assert [code for code, _, _ in outcomes] == [0] * PROCESSES, outcomes
    assert contacts and all(c.get("disablePortalLoginFlag") for c in contacts)
    refused = sum(1 for r in log if r["status"] == 429)
    served_calls = len(log) - refused
    floor = max(0.0, (served_calls - BURST) * 60.0 / RATE)
    share = refused / len(log)
    print(f"P8-test: {len(log)} calls, {refused} answered 429 ({share:.1%}), wall {wall:.1f} s, floor {floor:.1f} s")
    # Paced from one schedule, the four processes stay near the limit and the server refuses few calls: measured
    # here 1.6-8 % (the learning's first overshoot on a fresh store is most of it). A bound, not a figure: P8 in
    # `make bench` compares shared and alone at 300/min (4.5 % against 16.7 % of calls answered 429).
    assert share < 0.15, f"{refused} of {len(log)} calls were answered 429"
    # They paced from one state: one row for the credential, which counted every 429 any of them was answered.
    engine = sa.create_engine(f"sqlite:///{app_home / 'cwdesk.db'}")
    with engine.connect() as conn:
        rows = conn.execute(sa.text("SELECT key, state FROM throttle_state")).all()
    engine.dispose()
    assert len(rows) == 1 and "sandbox-public" in rows[0].key and "sandbox-private" not in rows[0].key
    assert json.loads(rows[0].state)["rate_limited"] == refused

"""P8: four CLI bulk jobs on one credential under a 300/min limit, pacing from the shared store or each alone.

Real processes: a standalone sandbox whose token bucket holds ``--burst`` requests and refills at ``--rate`` a
minute per credential, and ``--processes`` ``cwdesk bulk contacts`` commands started at once with one ``CWM_*``
credential and one ``CWDESK_HOME`` (the app's database, where the shared rate limit lives). Each mode runs on a
fresh sandbox with the same seed. The floor is ``(calls served - burst) / rate``: no set of clients finishes sooner.
While the shared run's jobs go, this process reads the company count every half second in the interactive lane, on
the same credential and the same shared store (what the console does meanwhile), and the line prints the p95 of
those reads: fairness (issue 13, item 2), a person's read waits at most ~``BACKGROUND_AHEAD_S`` behind the jobs.

    .venv/bin/python -m bench.shared_rate_limit [--rate 300] [--burst 10] [--companies 48] [--processes 4]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loopback import CLIENT_ID, COMPANY, CWDESK, PRIVATE_KEY, PUBLIC_KEY, percentile, serve_sandbox, table_line

from cwdesk.sandbox.control import CONTROL_HEADERS


@dataclass(frozen=True)
class Run:
    wall: float
    calls: int
    refused: int
    failed_commands: int
    floor: float
    person_waits: list[float]


def _run(mode: str, *, rate: int, burst: int, companies: int, processes: int) -> Run:
    with serve_sandbox(seed=str(companies), rate_limit=f"{rate}/min", rate_burst=burst) as served:
        home = tempfile.mkdtemp(prefix="cwdesk-bench-p8-")
        env = {
            **os.environ,
            "CWDESK_HOME": home,
            "CWM_SERVER": served.base_url,
            "CWM_COMPANY": COMPANY,
            "CWM_PUBKEY": PUBLIC_KEY,
            "CWM_PRIVATEKEY": PRIVATE_KEY,
            "CWM_CLIENTID": CLIENT_ID,
            "CWDESK_SHARED_RATE_LIMIT": "1" if mode == "shared" else "0",
        }
        env.pop("CWDESK_DATABASE_URL", None)
        subprocess.run([CWDESK, "jobs", "list"], env=env, capture_output=True, check=True)  # the app's database
        with served.control() as control:
            control.delete("/_sandbox/requests", headers=CONTROL_HEADERS)
            time.sleep(burst * 60.0 / rate)  # the bucket is full again
            started = time.monotonic()
            command = [CWDESK, "bulk", "contacts", "--set", "disablePortalLoginFlag=true", "--quiet", "--companies"]
            selections = [
                ",".join(str(i) for i in range(1, companies + 1) if i % processes == n) for n in range(processes)
            ]
            children = [
                subprocess.Popen([*command, ids], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
                for ids in selections
            ]
            done = threading.Event()
            waits: list[float] = []
            person = threading.Thread(target=_person_reads, args=(served.base_url, Path(home), done, waits))
            if mode == "shared":
                person.start()
            codes = [child.wait(timeout=1800) for child in children]
            wall = time.monotonic() - started
            done.set()
            if mode == "shared":
                person.join(60)
            log = [r for r in control.get("/_sandbox/requests").json() if "/apis/3.0/" in r["path"]]
    refused = sum(1 for r in log if r["status"] == 429)
    floor = max(0.0, (len(log) - refused - burst) * 60.0 / rate)
    return Run(wall, len(log), refused, sum(1 for c in codes if c != 0), floor, waits)


def _person_reads(base_url: str, home: Path, done: threading.Event, waits: list[float]) -> None:
    """Read the company count every half second until ``done``, pacing from the jobs' store; record each read's time."""
    from cwdesk import ManageClient, ManageCredentials
    from cwdesk._http.throttle import share_throttles
    from cwdesk.store.shared_throttle import SqlitePacingStore

    store = SqlitePacingStore(home / "cwdesk.db")
    share_throttles(store)
    credentials = ManageCredentials(
        server=base_url, company=COMPANY, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, client_id=CLIENT_ID
    )
    try:
        with ManageClient(credentials=credentials) as client:
            while not done.wait(0.5):
                began = time.monotonic()
                client.companies.count()
                waits.append(time.monotonic() - began)
    finally:
        share_throttles(None)
        store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--rate", type=int, default=300, help="the sandbox's limit, requests/minute per credential")
    parser.add_argument("--burst", type=int, default=10, help="requests the sandbox lets through at once")
    parser.add_argument("--companies", type=int, default=48, help="companies seeded (about 5 contacts each)")
    parser.add_argument("--processes", type=int, default=4)
    args = parser.parse_args()
    settings = {"rate": args.rate, "burst": args.burst, "companies": args.companies, "processes": args.processes}
    shared = _run("shared", **settings)
    alone = _run("alone", **settings)

    def described(run: Run) -> str:
        share = run.refused / run.calls if run.calls else 0.0
        return (
            f"{run.calls} calls, {run.refused} answered 429 ({share:.1%}), {run.failed_commands} of "
            f"{args.processes} commands failed, wall {run.wall:.1f} s vs floor {run.floor:.1f} s"
        )

    print(
        table_line(
            "P8",
            shared.wall / shared.floor if shared.floor else None,
            "x-floor",
            f"{args.processes} bulk jobs, one credential, {args.rate}/min, shared rate limit: {described(shared)}; "
            + (
                f"a person's reads meanwhile p95 {percentile(shared.person_waits, 0.95):.2f} s "
                f"({len(shared.person_waits)} reads)"
                if shared.person_waits
                else "no person's read measured"
            ),
        )
    )
    print(
        table_line(
            "P8a",
            alone.wall / alone.floor if alone.floor else None,
            "x-floor",
            f"the same, each process pacing alone (CWDESK_SHARED_RATE_LIMIT=0): {described(alone)}",
        )
    )


if __name__ == "__main__":
    main()

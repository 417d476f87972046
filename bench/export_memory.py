"""P6: peak resident memory (RSS) of exporting ~100,000 contacts (goal <= 150 MB, i.e. streaming).

Each export runs in its own child process against a standalone sandbox on loopback, and its peak RSS is read from
the kernel when it exits (``os.wait4``'s ``ru_maxrss``), so the sandbox's own memory is not counted:

- ``P6``: the command a user runs, ``cwdesk contacts list --output csv --fields ...`` to a file;
- ``P6s``: the SDK streaming page by page (``cw.contacts.list`` -> ``csv.writer``) in a small script;
- baseline in the same run: ``cwdesk contacts count`` (the interpreter, cwdesk and one request).

``--db`` serves the sandbox file ``bench.conditions_p95`` seeded (else ``--companies`` are seeded, ~30 s).

    .venv/bin/python -m bench.export_memory [--companies 20000] [--db FILE]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.loopback import CLIENT_ID, COMPANY, CWDESK, PRIVATE_KEY, PUBLIC_KEY, serve_sandbox, table_line

FIELDS = "id,firstName,lastName,title,company/name,inactiveFlag"

SDK_EXPORT = """
import csv, sys
from cwdesk.manage.client import ManageClient
cw = ManageClient.from_env(rate_per_minute=60000)
out = csv.writer(open(sys.argv[1], "w", newline=""))
fields = sys.argv[2].split(",")
out.writerow(fields)
rows = 0
for c in cw.contacts.list(fields=fields, page_size=1000):
    out.writerow([c.id, c.first_name, c.last_name, c.title, c.company.name if c.company else "", c.inactive_flag])
    rows += 1
print(rows)
"""


def _peak_mb(args: list[str], env: dict[str, str], stdout_path: Path) -> tuple[float, float, int, float]:
    """Run ``args``; its peak RSS in MB (Linux reports ru_maxrss in KiB), seconds taken, the exit code and the
    CPU seconds it used (user + system, from the same ``wait4``)."""
    started = time.perf_counter()
    with stdout_path.open("wb") as out, stdout_path.with_suffix(".err").open("wb") as stderr:
        process = subprocess.Popen(args, stdout=out, stderr=stderr, env=env)
        _pid, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    cpu = usage.ru_utime + usage.ru_stime
    return usage.ru_maxrss / 1024, time.perf_counter() - started, process.returncode, cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=20_000)
    parser.add_argument("--db", type=Path, default=None)
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="cwdesk-bench-p6-"))
    with serve_sandbox(seed=str(args.companies), db=args.db) as served:
        env = {
            **os.environ,
            "CWDESK_HOME": str(work),
            "CWM_SERVER": served.base_url,
            "CWM_COMPANY": COMPANY,
            "CWM_PUBKEY": PUBLIC_KEY,
            "CWM_PRIVATEKEY": PRIVATE_KEY,
            "CWM_CLIENTID": CLIENT_ID,
        }
        base_mb, _, base_rc, _ = _peak_mb([CWDESK, "contacts", "count"], env, work / "count.txt")
        cli_mb, cli_s, cli_rc, cli_cpu = _peak_mb(
            [CWDESK, "contacts", "list", "--output", "csv", "--fields", FIELDS], env, work / "cli.csv"
        )
        sdk_mb, sdk_s, sdk_rc, sdk_cpu = _peak_mb(
            [sys.executable, "-c", SDK_EXPORT, str(work / "sdk.csv"), FIELDS], env, work / "sdk.txt"
        )
    found = re.search(r"\d[\d,]*", (work / "count.txt").read_text())
    total = int(found.group(0).replace(",", "")) if found and base_rc == 0 else -1
    cli_rows = sum(1 for _ in (work / "cli.csv").open()) - 1
    sdk_rows = int((work / "sdk.txt").read_text().strip() or -1)
    print(
        table_line(
            "P6",
            cli_mb if cli_rc == 0 else None,
            "MB-peak",
            f"cwdesk contacts list --output csv: {cli_rows:,} of {total:,} contacts in {cli_s:.1f} s, "
            f"{cli_cpu:.1f} s CPU (exit {cli_rc}); baseline cwdesk contacts count {base_mb:.0f} MB",
        )
    )
    print(
        table_line(
            "P6s",
            sdk_mb if sdk_rc == 0 else None,
            "MB-peak",
            f"the SDK streaming cw.contacts.list -> csv: {sdk_rows:,} contacts in {sdk_s:.1f} s, "
            f"{sdk_cpu:.1f} s CPU (exit {sdk_rc})",
        )
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()

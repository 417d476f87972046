"""P7: how fast the ``cwdesk`` command starts, as ratios to a bare ``python -c pass`` measured in the same run.

Three commands, each run ``--rounds`` times in turn with ``python -c pass`` (so a noisy spell on a shared machine
hits them alike), median wall time of each, divided by the median of ``python -c pass``:

- ``cwdesk --help`` (goal <= 15x): lists every group from ``cli/app.py``'s table, importing none of them;
- ``cwdesk companies --help`` (goal <= 15x): one group's help, its module imported, no models, no store;
- ``cwdesk companies count`` (goal <= 25x) against a standalone sandbox (``cwdesk sandbox serve`` on loopback):
  one call to ConnectWise's ``/company/companies/count``, start-up included. Its floor is the same call from a
  warm client, printed beside it (the time the command would take with no start-up at all). What bounds it is
  printed too: a bare ``python -c "import typer, httpx"`` (the libraries the command is built on, which no change
  to cwdesk removes), and the same with the company models (pydantic), which the count path still imports
  (``Companies`` is declared with its model; docs/cli.md "Start-up").

The interpreter is this one (the virtual environment's ``python``), the command the installed ``cwdesk`` script.
The children run with bytecode caching on (``PYTHONDONTWRITEBYTECODE`` is dropped from their environment), as an
installed cwdesk has it: pip compiles the package on install, and the warm-up round writes ``__pycache__`` for an
editable checkout. With the variable set, every run would compile cwdesk's ~40 modules from source again, which
no user's command does (it added 15-20 % to P7c here).

    .venv/bin/python -m bench.startup [--rounds 15]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

from bench.loopback import CLIENT_ID, COMPANY, CWDESK, PRIVATE_KEY, PUBLIC_KEY, serve_sandbox, table_line

_NO_HTTPX_CLI = "import sys; sys.modules['httpx._main'] = None"


def _medians_s(commands: dict[str, list[str]], rounds: int, env: dict[str, str]) -> dict[str, float]:
    """Median wall time of each command, run in turn ``rounds`` times after one warm-up run each."""
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for round_number in range(rounds + 1):
        for name, args in commands.items():
            started = time.perf_counter()
            done = subprocess.run(args, capture_output=True, env=env, check=False)
            took = time.perf_counter() - started
            if done.returncode != 0:
                raise RuntimeError(f"{' '.join(args)} exited {done.returncode}: {done.stderr.decode()[-500:]}")
            if round_number:  # the first round warms the file cache and the bytecode
                samples[name].append(took)
    return {name: statistics.median(taken) for name, taken in samples.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=15, help="runs of each command (median taken)")
    args = parser.parse_args()
    with serve_sandbox(seed="demo") as served, tempfile.TemporaryDirectory(prefix="cwdesk-bench-home-") as home:
        os.chmod(home, 0o700)  # (cwdesk refuses a data folder others may read)
        env = {
            **{
                k: v
                for k, v in os.environ.items()
                if not k.startswith(("CWM_", "CWA_", "CWDESK_")) and k != "PYTHONDONTWRITEBYTECODE"
            },
            "CWM_SERVER": served.base_url,
            "CWM_COMPANY": COMPANY,
            "CWM_PUBKEY": PUBLIC_KEY,
            "CWM_PRIVATEKEY": PRIVATE_KEY,
            "CWM_CLIENTID": CLIENT_ID,
            # Its own store, made by the warm-up round: the rounds measured then find it ready, as a user's does.
            "CWDESK_HOME": home,
        }
        commands = {
            "pass": [sys.executable, "-c", "pass"],
            "help": [CWDESK, "--help"],
            "group help": [CWDESK, "companies", "--help"],
            "count": [CWDESK, "companies", "count"],
            # (``httpx._main`` marked absent as ``cwdesk``'s ``main`` does: httpx's own CLI is not part of the bound.)
            "libraries": [sys.executable, "-c", f"{_NO_HTTPX_CLI}; import typer, httpx"],
            "models": [sys.executable, "-c", f"{_NO_HTTPX_CLI}; import typer, httpx, cwdesk.manage.resources.company"],
        }
        medians = _medians_s(commands, args.rounds, env)
        warm = _warm_count_s(served.base_url, args.rounds)
    floor = medians["pass"]
    print(
        table_line(
            "P7",
            medians["help"] / floor,
            "x-python",
            f"cwdesk --help {medians['help'] * 1000:.0f} ms / python -c pass {floor * 1000:.1f} ms (goal <= 15; "
            f"median of {args.rounds})",
        )
    )
    print(
        table_line(
            "P7g",
            medians["group help"] / floor,
            "x-python",
            f"cwdesk companies --help {medians['group help'] * 1000:.0f} ms (goal <= 15)",
        )
    )
    print(
        table_line(
            "P7c",
            medians["count"] / floor,
            "x-python",
            f"cwdesk companies count against a standalone sandbox {medians['count'] * 1000:.0f} ms (goal <= 25); "
            f"the same call from a warm client {warm * 1000:.1f} ms",
        )
    )
    print(
        f"{'':<4} {'':>7} {'':<9} bound: python -c 'import typer, httpx' {medians['libraries'] * 1000:.0f} ms = "
        f"{medians['libraries'] / floor:.1f}x; with the company models (pydantic) {medians['models'] * 1000:.0f} ms = "
        f"{medians['models'] / floor:.1f}x"
    )


def _warm_count_s(base_url: str, rounds: int) -> float:
    """The median time of the count call itself, from a client already started (the command's floor)."""
    from cwdesk import ManageClient, ManageCredentials

    credentials = ManageCredentials(
        server=base_url, company=COMPANY, public_key=PUBLIC_KEY, private_key=PRIVATE_KEY, client_id=CLIENT_ID
    )
    with ManageClient(credentials=credentials) as client:
        client.companies.count()
        samples = []
        for _ in range(rounds):
            started = time.perf_counter()
            client.companies.count()
            samples.append(time.perf_counter() - started)
    return statistics.median(samples)


if __name__ == "__main__":
    main()

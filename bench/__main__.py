"""``make bench`` / ``python -m bench``: every measure of issue 7, one table, one line per figure.

Each line starts with its ID and its figure (``P1 0.98 x-floor  bulk update ...``), so the table reads at a glance
and ``awk '{print $1, $2}'`` reads it in a script. Each measure runs in its own child process (a clean throttle
registry, a clean peak RSS, and a crash or a missing tool costs one line, not the table), bounded by a timeout,
with its baseline measured in the same child. Everything stays on 127.0.0.1.

    python -m bench                 # the whole table (about 6-8 minutes on 2 cores)
    python -m bench P1 P4           # only these measures
    python -m bench --quick         # small data, to check the scripts work (figures not meaningful)

The measures (goals from the issue): P1 bulk pace vs the floor (<= 1.05), P2 export speed-up over pyconnectwise
(>= 5) and P2f vs the floor (<= 1.2), P3 page decoding vs pyconnectwise (<= 0.5), P4 conditions p95 over 100,000
contacts (<= 20 ms), P5 console time to interactive (<= 1 s) and P5k keystroke to filter (<= 50 ms), P6 peak RSS
exporting 100,000 records (<= 150 MB), P7 ``cwdesk --help`` and ``companies count`` start-up as ratios to
``python -c pass`` (<= 15x, <= 25x), P8 four bulk jobs on one credential under 300/min (shared rate limit, beside
each process pacing alone), R6 50 users on the demo console (p95 < 200 ms, 0 errors).

Not for: tests (no assertion on timings here or in pytest); details of one measure (run its module with ``--help``).
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from bench.loopback import table_line

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Measure:
    ids: tuple[str, ...]
    args: list[str]
    quick_args: list[str]
    timeout: float
    goal: str


def _measures(db: Path) -> list[Measure]:
    py = sys.executable
    return [
        Measure(("P1", "P1s"), [py, "-m", "bench.bulk_pace"], [py, "-m", "bench.bulk_pace", "--contacts", "60",
                "--seed-contacts", "20"], 300, "P1 <= 1.05 x-floor, 0 failed"),
        Measure(("P2", "P2f", "P3", "P3n"), [py, "-m", "bench.export_peers"], [py, "-m", "bench.export_peers", "--seed",
                "300", "--rounds", "3"], 420, "P2 >= 5x, P2f <= 1.2, P3 <= 0.5"),
        Measure(("P4", "P4s"), [py, "-m", "bench.conditions_p95", "--db", str(db)], [py, "-m",
                "bench.conditions_p95", "--companies", "1000", "--rounds", "20", "--db", str(db)], 300, "P4 <= 20 ms"),
        Measure(("P5", "P5k"), [py, str(HERE / "console_interactive.py")], [py, str(HERE / "console_interactive.py"),
                "--companies", "500", "--loads", "2"], 300, "P5 <= 1 s, P5k <= 50 ms"),
        Measure(("P6", "P6s"), [py, "-m", "bench.export_memory", "--db", str(db)], [py, "-m", "bench.export_memory",
                "--db", str(db), "--companies", "1000"], 420, "P6 <= 150 MB"),
        Measure(("P7", "P7g", "P7c"), [py, "-m", "bench.startup"], [py, "-m", "bench.startup", "--rounds", "3"], 300,
                "P7 <= 15x, P7g <= 15x, P7c <= 25x python -c pass"),
        Measure(("P8", "P8a"), [py, "-m", "bench.shared_rate_limit"], [py, "-m", "bench.shared_rate_limit",
                "--companies", "12", "--rate", "600"], 900, "P8 near 1 x-floor, few 429s, 0 failed"),
        Measure(("R6",), [py, "-m", "bench.console_load"], [py, "-m", "bench.console_load", "--users", "5",
                "--seconds", "5"], 240, "R6 p95 < 200 ms, 0 errors"),
        Measure(("R6u",), [py, "-m", "bench.console_load", "--unthrottled"], [py, "-m", "bench.console_load",
                "--users", "5", "--seconds", "5", "--unthrottled"], 240, "(diagnosis of R6)"),
    ]  # fmt: skip


def _console_interactive_lines(text: str) -> list[str]:
    """P5/P5k from ``bench/console_interactive.py``'s own table (that script is the console's; we read it)."""

    def figure(label: str) -> float | None:
        found = re.search(re.escape(label) + r"[^\n]*?\s([\d,.]+) ms", text)
        return float(found.group(1).replace(",", "")) if found else None

    companies = re.search(r"client list with ([\d,]+) companies", text)
    shown = companies.group(1) if companies else "?"
    interactive = figure("time to interactive list")
    keystroke = figure("keystroke to filtered list (median")
    keystroke95 = figure("keystroke to filtered list (p95)")
    fetch = figure("baseline: fetch + JSON.parse")
    return [
        table_line(
            "P5",
            interactive / 1000 if interactive is not None else None,
            "s",
            f"console time to interactive with {shown} companies in headless Chromium (median of loads, warm "
            f"server cache); baseline fetch + JSON.parse of the list {fetch} ms",
        ),
        table_line(
            "P5k", keystroke, "ms", f"keystroke to filtered list (median; p95 {keystroke95} ms), same page and run"
        ),
    ]


def run(measure: Measure, quick: bool) -> list[str]:
    args = measure.quick_args if quick else measure.args
    started = time.monotonic()
    try:
        done = subprocess.run(args, capture_output=True, text=True, timeout=measure.timeout, cwd=HERE.parent)
    except subprocess.TimeoutExpired:
        return [table_line(i, None, "", f"timed out after {measure.timeout:.0f} s") for i in measure.ids]
    took = time.monotonic() - started
    if measure.ids[0] == "P5" and done.returncode == 0:
        lines = _console_interactive_lines(done.stdout)
    else:
        lines = [line for line in done.stdout.splitlines() if line.split(" ", 1)[0] in measure.ids]
    if done.returncode != 0 or not lines:
        reason = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        return [table_line(i, None, "", f"failed (exit {done.returncode}): {reason}") for i in measure.ids]
    print(f"# {' '.join(measure.ids)}: {took:.0f} s; goals: {measure.goal}", file=sys.stderr)
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description="Run every benchmark of issue 7 and print one table.")
    parser.add_argument("only", nargs="*", help="IDs to run (P1 P2 P4 P5 P6 P7 P8 R6); all by default")
    parser.add_argument("--quick", action="store_true", help="small data: checks the scripts, figures not meaningful")
    args = parser.parse_args()
    db = Path(tempfile.mkdtemp(prefix="cwdesk-bench-")) / "sandbox-100k.db"
    wanted = {name.upper() for name in args.only}
    print(f"{'ID':<4} {'figure':>7} {'unit':<9} what (baseline measured in the same run)")
    try:
        for measure in _measures(db):
            if wanted and not wanted.intersection(i.upper() for i in measure.ids):
                continue
            for line in run(measure, args.quick):
                print(line, flush=True)
    finally:
        shutil.rmtree(db.parent, ignore_errors=True)


if __name__ == "__main__":
    main()

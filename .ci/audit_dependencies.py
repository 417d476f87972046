"""The dependency audit step of ``make test``: ``pip-audit`` over the installed environment, with a verdict that
tells "no advisory database" apart from "no findings".

- A known vulnerability in any installed distribution fails the step (exit 1), naming the package, the advisory
  and the fixed versions.
- When the advisory database cannot be reached (no network; a local package mirror, where pip-audit reports every
  distribution as "not found on PyPI"), the step passes (exit 0) but says plainly that nothing was audited, so an
  offline CI run is not mistaken for a clean audit.
- ``--from-json FILE`` reads a pip-audit JSON report instead of running pip-audit (for tests).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any


def run_pip_audit() -> tuple[int, dict[str, Any] | None, str]:
    """(exit code, the JSON report or None, stderr) of ``pip-audit`` on this interpreter's environment."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "audit.json"
        done = subprocess.run(
            [sys.executable, "-m", "pip_audit", "--skip-editable", "--progress-spinner", "off", "-f", "json",
             "-o", str(out)],
            capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        report = json.loads(out.read_text()) if out.exists() and out.stat().st_size else None
    return done.returncode, report, done.stderr


def verdict(code: int, report: dict[str, Any] | None, stderr: str) -> tuple[int, str]:
    """The step's exit code and what it prints."""
    if report is None:
        # pip-audit could not produce a report at all: unreachable database, or a broken tool.
        reason = (stderr.strip().splitlines() or ["no output"])[-1]
        return 0, f"dependency audit skipped: no advisory report ({reason[:300]}). Run it where PyPI is reachable."
    dependencies = report.get("dependencies", [])
    findings = [(d, v) for d in dependencies for v in d.get("vulns", [])]
    if findings:
        lines = []
        for dependency, vuln in findings:
            fixed = ", ".join(vuln.get("fix_versions") or []) or "no release yet"
            lines.append(
                f"  {dependency['name']} {dependency.get('version', '?')}: {vuln.get('id')} (fixed in {fixed})"
            )
        return 1, "dependency audit FAILED: known vulnerabilities:\n" + "\n".join(lines)
    skipped = [d for d in dependencies if d.get("skip_reason")]
    if dependencies and len(skipped) == len(dependencies):
        return 0, (
            f"dependency audit skipped: the advisory database was not reachable ({len(skipped)} distributions "
            "could not be audited). Run it where PyPI is reachable."
        )
    if code != 0:
        return 1, f"dependency audit FAILED: pip-audit exited {code}: {stderr.strip()[-500:]}"
    audited = len(dependencies) - len(skipped)
    return 0, f"dependency audit: {audited} distributions audited, no known vulnerabilities ({len(skipped)} skipped)."


def main(argv: list[str]) -> int:
    if len(argv) == 2 and argv[0] == "--from-json":
        code, report, stderr = 0, json.loads(Path(argv[1]).read_text()), ""
    else:
        code, report, stderr = run_pip_audit()
    status, message = verdict(code, report, stderr)
    print(message, file=sys.stderr if status else sys.stdout)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

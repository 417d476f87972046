"""Issue 14 (Info): the dependency floors are patched releases, and ``make test``'s audit step fails on a known
vulnerability but does not fail (and says so) when the advisory database cannot be reached."""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
AUDIT = ROOT / ".ci" / "audit_dependencies.py"

# The first release fixing the newest advisory we know of, per package (sources: docs/console.md, "Dependencies").
PATCHED = {
    "python-multipart": "0.0.30",
    "starlette": "0.49.1",
    "h11": "0.16",
    "jinja2": "3.1.6",
    "cryptography": "44.0.1",
}


def _floors() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    floors = {}
    for line in project["dependencies"]:
        requirement = Requirement(line)
        for spec in requirement.specifier:
            if spec.operator == ">=":
                floors[requirement.name.lower()] = Version(spec.version)
    return floors


@pytest.mark.parametrize(("package", "patched"), sorted(PATCHED.items()))
def test_the_floor_of_each_dependency_is_a_patched_release(package: str, patched: str) -> None:
    floor = _floors().get(package)
    assert floor is not None, f"{package} has no >= floor in pyproject.toml"
    assert floor >= Version(patched), f"{package}>={floor} still allows releases with published advisories"


def test_the_constraints_ci_installs_respect_the_floors() -> None:
    pinned = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        if line and not line.startswith("#"):
            name, _, version = line.partition("==")
            pinned[name.lower().replace("_", "-")] = Version(version)
    for package, floor in _floors().items():
        if package.replace("_", "-") in pinned:
            assert pinned[package.replace("_", "-")] >= floor, package


def _audit(tmp_path: Path, report: dict[str, object]) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "report.json"
    path.write_text(json.dumps(report))
    return subprocess.run(
        [sys.executable, str(AUDIT), "--from-json", str(path)], capture_output=True, text=True, timeout=60, check=False
    )


def test_the_audit_fails_on_a_known_vulnerability(tmp_path: Path) -> None:
    report = {
        "dependencies": [
            {
                "name": "python-multipart",
                "version": "0.0.9",
                "vulns": [{"id": "GHSA-wp53-j4wj-2cfg", "fix_versions": ["0.0.22"]}],
            },
            {"name": "httpx", "version": "0.28.1", "vulns": []},
        ]
    }
    done = _audit(tmp_path, report)
    assert done.returncode == 1
    assert "python-multipart 0.0.9: GHSA-wp53-j4wj-2cfg (fixed in 0.0.22)" in done.stderr


def test_the_audit_passes_but_says_so_when_the_advisory_database_is_unreachable(tmp_path: Path) -> None:
    report = {
        "dependencies": [
            {"name": "httpx", "skip_reason": "Dependency not found on PyPI and could not be audited: httpx (0.28.1)"},
            {"name": "rich", "skip_reason": "Dependency not found on PyPI and could not be audited: rich (13.0)"},
        ]
    }
    done = _audit(tmp_path, report)
    assert done.returncode == 0
    assert "skipped" in done.stdout and "not reachable" in done.stdout


def test_a_clean_audit_passes(tmp_path: Path) -> None:
    done = _audit(tmp_path, {"dependencies": [{"name": "httpx", "version": "0.28.1", "vulns": []}]})
    assert done.returncode == 0
    assert "1 distributions audited, no known vulnerabilities" in done.stdout

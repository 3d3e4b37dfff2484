"""Audit the pinned requirements with pip-audit: fail on any known vulnerability, say plainly what could not be checked.

pip-audit asks PyPI's JSON API (or OSV) about each pinned version. Where neither answers (a
closed network, a mirror without per-version pages), pip-audit skips the package; this script
lists those packages under an UNAUDITED heading instead of letting a skip read as a pass.
Exit status: 1 on a vulnerability or when pip-audit itself fails; 0 otherwise.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    # every transitive dependency is pinned in these two files, so --no-deps audits exactly what is installed
    command = [sys.executable, "-m", "pip_audit", "-r", str(ROOT / "requirements.txt"),
               "-r", str(ROOT / "requirements-dev.txt"), "--no-deps",
               "--disable-pip", "--progress-spinner", "off", "--format", "json"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print("pip-audit failed to run:\n" + (done.stderr.strip().splitlines() or ["(no output)"])[-1], file=sys.stderr)
        return 1
    found = [(d["name"], d["version"], v) for d in report["dependencies"] for v in d.get("vulns", [])]
    audited = [d for d in report["dependencies"] if "skip_reason" not in d]
    skipped = [d for d in report["dependencies"] if "skip_reason" in d]
    for name, version, vuln in found:
        fixed = ", ".join(vuln.get("fix_versions") or []) or "no fixed version yet"
        print(f"VULNERABLE {name}=={version}: {vuln['id']} (fixed in {fixed})")
    print(f"pip-audit: {len(audited)} packages audited, {len(found)} known vulnerabilities")
    if skipped:
        print(f"UNAUDITED: no vulnerability service answered for {len(skipped)} packages, so they were NOT checked "
              f"({', '.join(d['name'] for d in skipped)}). First reason: {skipped[0]['skip_reason']}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())

"""Load test: many tablets sign whole consents at once against two gunicorn servers sharing one database.

    .venv/bin/python bench/load_test.py                  # PostgreSQL (a fresh database, dropped afterwards)
    .venv/bin/python bench/load_test.py --db sqlite      # one SQLite file in WAL mode, several workers

Two servers (as two hosts of a clinic chain) start at the same moment on an empty database, so
they also race to migrate it. Each simulated tablet keeps its own cookies, walks every wizard
step with real CSRF tokens through the tests' WizardDriver (alternating servers on every
request), and signs; every fifth patient's signature is sent twice at once. Afterwards it
checks: exactly one consent per patient, every PDF present with a matching SHA-256, no draft
left open or half-written, no server error and no "database is locked" in the logs. It prints
throughput and p50/p95/p99 of the final submission, and exits non-zero when a check fails.
Loopback only; bounded by --patients and --time-limit.
"""

from __future__ import annotations

import argparse
import hashlib
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, as_completed
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, select  # noqa: E402

from app import create_app  # noqa: E402
from kiosk.core.models import Consent, Draft  # noqa: E402
from tests.support import WizardDriver  # noqa: E402
from tests.live import HttpTablet, bench_database, gunicorn_servers, server_env  # noqa: E402

MODALITIES = ("co2_laser", "fractional_laser", "microdermabrasion", "chemical_peel", "vitamin_c_injection")


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def one_patient(app, servers: list[str], number: int, twice: bool) -> HttpTablet:  # noqa: ANN001
    """One tablet, start to signature; with `twice`, the signature is sent by two taps at the same moment."""
    name = f"Load Patient {number:04d}"
    tablet = HttpTablet(servers[number % 2:] + servers[:number % 2], application=app, timeout=120)
    wizard = WizardDriver(tablet)  # type: ignore[arg-type]
    wizard.ready_to_sign(app, MODALITIES[number % len(MODALITIES)], name=name)
    taps = [threading.Thread(target=wizard.sign, kwargs={"typed_signature": name, "printed_name": name.upper()})
            for _ in range(2 if twice else 1)]
    for tap in taps:
        tap.start()
    for tap in taps:
        tap.join()
    return tablet


def check(app, patients: int, logs: list[Path]) -> list[str]:  # noqa: ANN001
    """What went wrong, in words; empty when every consent is stored exactly once and whole."""
    problems = []
    with app.extensions["kiosk_db"]() as session:
        per_patient = Counter(session.scalars(select(Consent.patient_name)).all())
        missing = [n for n in range(patients) if per_patient.get(f"Load Patient {n:04d}") != 1]
        if missing or len(per_patient) != patients:
            problems.append(f"{len(missing)} patients without exactly one consent (e.g. {missing[:5]})")
        for consent in session.scalars(select(Consent)):
            pdfs = [d for d in consent.documents if d.revision == 1]
            if len(pdfs) != 1 or not pdfs[0].pdf.startswith(b"%PDF") or \
                    hashlib.sha256(pdfs[0].pdf).hexdigest() != pdfs[0].sha256:
                problems.append(f"{consent.document_id}: signed PDF missing or its SHA-256 does not match")
        open_drafts = session.scalar(select(func.count()).select_from(Draft).where(Draft.status != "submitted"))
        orphans = session.scalar(select(func.count()).select_from(Draft).where(~Draft.consent.has()))
        if open_drafts or orphans:
            problems.append(f"{open_drafts} drafts not submitted, {orphans} drafts without a consent")
    for log in logs:
        text = log.read_text(errors="replace")
        for needle in ("Traceback", "database is locked", "WORKER TIMEOUT"):
            if needle in text:
                problems.append(f"{log.name}: {needle!r} in the server log")
    return problems


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--patients", type=int, default=200, help="whole consents to sign (at most 2000)")
    parser.add_argument("--tablets", type=int, default=40, help="tablets working at the same moment")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers per server")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--time-limit", type=float, default=900, help="give up after this many seconds")
    args = parser.parse_args()
    patients = max(1, min(args.patients, 2000))

    with tempfile.TemporaryDirectory(prefix="kiosk-load-") as tmp:
        workdir = Path(tmp)
        with bench_database(args.db, workdir, "kiosk_load", empty=True) as url:
            logs = [workdir / "server-a.log", workdir / "server-b.log"]
            env = server_env(url, KIOSK_AUTO_MIGRATE="true")
            with gunicorn_servers(env, logs, workers=args.workers, threads=args.threads, timeout=120) as servers:
                app = create_app({"TESTING": True, "DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "load"})
                addresses = [server.address for server in servers]
                print(f"{args.db}: 2 servers x {args.workers} workers x {args.threads} threads, "
                      f"{patients} patients, {args.tablets} tablets at once")
                started = time.perf_counter()
                tablets: list[HttpTablet] = []
                with ThreadPoolExecutor(max_workers=args.tablets) as pool:
                    futures = [pool.submit(one_patient, app, addresses, n, n % 5 == 0) for n in range(patients)]
                    for future in as_completed(futures, timeout=args.time_limit):
                        tablets.append(future.result())
                elapsed = time.perf_counter() - started
                problems = check(app, patients, logs)
                app.extensions["kiosk_db"].kw["bind"].dispose()

    timings = [t for tablet in tablets for t in tablet.timings]
    signs = [t for t in timings if t[:2] == ("POST", "/consent/sign")]
    errors = Counter(status for _m, _u, status, _s in timings if status >= 500)
    if errors:
        problems.append(f"server errors: {dict(errors)}")
    bad_signs = [status for _m, _u, status, _s in signs if status != 302]
    if bad_signs:
        problems.append(f"{len(bad_signs)} signatures not answered with the done page: {Counter(bad_signs)}")
    seconds = [s for *_rest, s in signs]
    print(f"{patients} consents in {elapsed:.1f} s: {patients / elapsed:.2f} consents/s, "
          f"{len(timings) / elapsed:.1f} requests/s ({len(timings)} requests)")
    print(f"final submission ({len(signs)} sent, {len(signs) - patients} of them a second tap): "
          f"p50 {statistics.median(seconds) * 1000:.0f} ms, p95 {percentile(seconds, 0.95) * 1000:.0f} ms, "
          f"p99 {percentile(seconds, 0.99) * 1000:.0f} ms")
    if problems:
        print("FAILED:\n" + "\n".join(f"- {p}" for p in problems))
        return 1
    print("checked: one consent per patient, every PDF present with a matching SHA-256, no draft left open, "
          "no server error, no 'database is locked'")
    return 0


if __name__ == "__main__":
    sys.exit(main())

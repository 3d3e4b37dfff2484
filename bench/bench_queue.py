"""Time the doctors' review queue page on a SQLite database holding 100,000 consents.

Run from the repository root:  .venv/bin/python bench/bench_queue.py [--rows N] [--runs N] [--keep]

1. Builds a fresh SQLite database in a temporary directory through the real
   migrations (kiosk.core.migrate.upgrade), then bulk-inserts N consents (default
   100,000) with one driver-level executemany per table. Every row reuses one
   small record JSON; the indexed columns get a realistic spread:
   - created_at: uniformly over the last three years (about 90 consents a day);
   - modality: CO2 laser 25 %, fractional laser 25 %, microdermabrasion 20 %,
     chemical peel 20 %, vitamin C 10 %;
   - highest flag: stop 6 %, review 18 %, info 16 %, none 60 %;
   - status: a stop/review consent older than two weeks was reviewed (95 %, with
     a ConsentReview row); everything else still reads "submitted", which is
     where consents needing no review stay, so the default queue holds most rows.
   Names are drawn from accented first names and surnames (Ñ, ł, ö ...).
2. Signs a doctor in through the real login form and times, with the Flask test
   client, GET /doctor/queue and variants (filters with a name search, a name
   search alone, a non-ASCII name search, a deep page), alternating each with a
   baseline: a minimal Flask page served by the same app and client. Medians
   of --runs runs are printed, with the ratio to the baseline.
3. Prints SQLite's EXPLAIN QUERY PLAN of the statements the queue page really
   ran (captured from the engine), to show which index serves them.

Target: the default queue page under 50 ms median at 100,000 rows.

The queue indexes it relies on, (status, severity_rank, created_at DESC) and
(status, modality, severity_rank, created_at DESC), come from migration 0003.
"""

from __future__ import annotations

import argparse
import json
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import Engine, event  # noqa: E402

from app import create_app  # noqa: E402
from kiosk.staff import accounts  # noqa: E402
from kiosk.core.migrate import upgrade  # noqa: E402
from kiosk.documents.record import severity_rank  # noqa: E402

MODALITIES = (("co2_laser", 25), ("fractional_laser", 25), ("microdermabrasion", 20), ("chemical_peel", 20),
              ("vitamin_c_injection", 10))
SEVERITIES = (("stop", 6), ("review", 18), ("info", 16), (None, 60))
DECISIONS = (("cleared", 80), ("not_cleared", 8), ("consultation", 12))
FIRST = ("María", "Lucía", "Zoë", "Sofía", "Aleksandra", "Anna", "Chloé", "José", "Łukasz", "Søren", "Noah",
         "Jürgen", "Inés", "Ngozi", "Priya", "Đorđe", "Marta", "Elena", "Björn", "Amélie")
LAST = ("Núñez", "García", "Fernández", "Wiśniewska", "O'Brien", "Papadopoulou", "Müller", "Łukasiewicz",
        "Ortega", "Smirnova", "Dubois", "Jørgensen", "Rossi", "Kovačević", "Okafor", "Sharma", "Gómez", "Ruiz",
        "Nakamura", "Silva")
PASSWORD = "bench " + secrets.token_urlsafe(12)
SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # how UTCDateTime values are stored in SQLite


def _weighted(pairs: tuple[tuple[Any, int], ...], rng: random.Random, n: int) -> list[Any]:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=n)


def small_record() -> str:
    """One compact record JSON (no texts) reused by every row: the queue never reads it."""
    return json.dumps({
        "document_id": "CK-BENCH", "clinic_name": "Bench Clinic", "language": "en",
        "created_at": "2026-01-01T10:00:00+01:00",
        "patient": {"full_name": "Bench Patient", "date_of_birth": "1990-01-01", "phone": None, "email": None,
                    "identity_check": None},
        "treatment": {"modality": "co2_laser", "modality_title": "CO2 laser", "areas": [{"id": "abdomen",
                      "label": "Belly (abdomen)"}], "area_other": None, "planned_sessions": 3},
        "answers": [{"question": "pregnant", "text": "Are you pregnant?", "type": "bool", "value": False,
                     "detail": None, "answered_at": "2026-01-01T09:58:00+01:00"}],
        "flags": [], "risks": [], "highest_severity": None,
    }, separators=(",", ":"))


def populate(engine: Engine, rows: int, doctor_id: int, now: datetime, seed: int = 7) -> dict[str, int]:
    """Bulk-insert drafts, consents and reviews with executemany on one connection, in one transaction."""
    rng = random.Random(seed)
    modalities = _weighted(MODALITIES, rng, rows)
    severities = _weighted(SEVERITIES, rng, rows)
    decisions = _weighted(DECISIONS, rng, rows)
    record = small_record()
    span = 3 * 365 * 24 * 3600
    drafts: list[tuple[Any, ...]] = []
    consents: list[tuple[Any, ...]] = []
    reviews: list[tuple[Any, ...]] = []
    counts = {"submitted": 0, "reviewed": 0}
    for i in range(1, rows + 1):
        created = now - timedelta(seconds=rng.randrange(span))
        stamp = created.strftime(SQLITE_TIME)
        severity = severities[i - 1]
        rank = severity_rank(severity)
        reviewed = rank <= 1 and created < now - timedelta(days=14) and rng.random() < 0.95
        status = "reviewed" if reviewed else "submitted"
        counts[status] += 1
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        drafts.append((i, f"bench{i:07d}{secrets.token_hex(8)}", "submitted", "en", "{}", "{}", "bench", stamp, stamp))
        consents.append((i, f"CK-{created:%Y%m%d}-{i:08d}", i, stamp, status, name,
                         f"{rng.randrange(1950, 2006)}-{rng.randrange(1, 13):02d}-{rng.randrange(1, 29):02d}",
                         modalities[i - 1], "en", severity, rank, "bench", "0" * 64, "bench", record, None))
        if reviewed:
            reviews.append((i, doctor_id, "Dr. Bench", decisions[i - 1], None, "bench",
                            (created + timedelta(hours=rng.randrange(1, 72))).strftime(SQLITE_TIME), 2))
    with engine.begin() as connection:
        connection.exec_driver_sql(
            "INSERT INTO drafts (id, token, status, language, data, trail, started_by, created_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)", drafts)
        connection.exec_driver_sql(
            "INSERT INTO consents (id, document_id, draft_id, created_at, status, patient_name, date_of_birth, "
            "modality, language, highest_severity, severity_rank, texts_version, texts_sha256, rules_version, "
            "record, signature_png) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", consents)
        connection.exec_driver_sql(
            "INSERT INTO consent_reviews (consent_id, doctor_id, doctor_name, decision, note, meaning, at, "
            "document_revision) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", reviews)
    return counts


def sign_in(client: FlaskClient, email: str) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    response = client.post("/login", data={"csrf_token": token, "email": email, "password": PASSWORD})
    assert response.status_code == 302, response.status_code


def timed(client: FlaskClient, url: str) -> tuple[float, int, str]:
    start = time.perf_counter()
    response = client.get(url)
    elapsed = time.perf_counter() - start
    return elapsed, response.status_code, response.get_data(as_text=True)


def median_ms(samples: list[float]) -> float:
    return statistics.median(samples) * 1000


class Capture:
    """Collects the SQL statements (with parameters) the engine runs, for EXPLAIN QUERY PLAN."""

    def __init__(self, engine: Engine) -> None:
        self.statements: list[tuple[str, Any]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if self.on and "FROM consents" in statement:
            self.statements.append((statement, parameters))


def explain(engine: Engine, statement: str, parameters: Any) -> list[str]:
    with engine.connect() as connection:
        raw = connection.connection.driver_connection
        raw.create_function("kiosk_casefold", 1, str.casefold, deterministic=True)
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters)).all()
    return [row[-1] for row in rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database and print its path")
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
    url = f"sqlite:///{workdir / 'queue.sqlite3'}"
    try:
        started = time.perf_counter()
        upgrade(url)
        migrated = time.perf_counter()
        app: Flask = create_app({"SECRET_KEY": "bench", "DATABASE_URL": url, "AUTO_MIGRATE": False,
                                 "CLINIC_NAME": "Bench Clinic", "STAFF_IDLE_MINUTES": 600})
        app.add_url_rule("/bench-baseline", "bench_baseline", lambda: "<!doctype html><title>ok</title><p>ok</p>")
        engine: Engine = app.extensions["kiosk_db"].kw["bind"]
        session = app.extensions["kiosk_db"]()
        doctor = accounts.create_user(session, email="doctor@bench.test", role="doctor", name="Dr. Bench",
                                      password=PASSWORD)
        doctor_id = doctor.id
        session.close()
        now = datetime.now(timezone.utc)
        counts = populate(engine, args.rows, doctor_id, now)
        loaded = time.perf_counter()
        size_mb = (workdir / "queue.sqlite3").stat().st_size / 1e6
        print(f"database: {args.rows:,} consents ({counts['submitted']:,} submitted, {counts['reviewed']:,} reviewed),"
              f" {size_mb:.0f} MB; migrate {migrated - started:.1f} s, bulk insert {loaded - migrated:.1f} s")

        client = app.test_client()
        sign_in(client, "doctor@bench.test")
        today = now.date()
        variants: list[tuple[str, str]] = [
            ("queue (default)", "/doctor/queue"),
            ("filters + name search", f"/doctor/queue?modality=co2_laser&date_from={today - timedelta(days=365)}"
                                      f"&date_to={today}&q=mar"),
            ("name search only", "/doctor/queue?q=garc"),
            ("name search, non-ASCII", "/doctor/queue?q=%C3%9A%C3%91EZ"),  # "ÚÑEZ"
            ("reviewed, page 100", "/doctor/queue?status=reviewed&page=100"),
            ("page past the end", "/doctor/queue?page=999999"),
        ]
        capture = Capture(engine)
        for label, target in variants:  # warm-up, check, and capture the SQL once
            capture.on = label in ("queue (default)", "filters + name search")
            _elapsed, status, html = timed(client, target)
            capture.on = False
            assert status == 200, (label, status)
            rows = len(re.findall(r'<a href="/doctor/consents/', html))
            count = re.search(r'id="queue-count" role="status">([^<]+)<', html)
            print(f"  check {label}: HTTP {status}, {rows} rows shown, {count.group(1) if count else '?'}")
        timed(client, "/bench-baseline")

        baseline: list[float] = []
        samples: dict[str, list[float]] = {label: [] for label, _ in variants}
        for _ in range(args.runs):  # alternate, so load from other processes falls on all alike
            for label, target in variants:
                samples[label].append(timed(client, target)[0])
                baseline.append(timed(client, "/bench-baseline")[0])
        base = median_ms(baseline)
        print(f"\nmedians of {args.runs} runs (Flask test client, doctor signed in):")
        print(f"  {'baseline: minimal Flask page':34s} {base:8.2f} ms")
        for label, _target in variants:
            value = median_ms(samples[label])
            flag = "" if label != "queue (default)" else ("  (target < 50 ms: met)" if value < 50 else
                                                         "  (target < 50 ms: NOT met)")
            print(f"  {label:34s} {value:8.2f} ms   ratio {value / base:6.1f}x{flag}")

        print("\nEXPLAIN QUERY PLAN of the statements the queue page ran:")
        for statement, parameters in capture.statements:
            print("  " + " ".join(statement.split())[:220] + (" ..." if len(statement) > 220 else ""))
            for line in explain(engine, statement, parameters):
                print(f"      {line}")
        if args.keep:
            print(f"\nkept: {workdir}")
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()

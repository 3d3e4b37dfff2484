"""Time the doctors' review queue and the name searches on SQLite and PostgreSQL holding 100,000 consents.

Run from the repository root:
    .venv/bin/python bench/bench_queue.py [--db sqlite|postgresql|both] [--rows N] [--runs N]

1. Builds a fresh database (SQLite in a temporary directory; PostgreSQL as a new database on the
   server of tests/support.POSTGRES_URL, dropped afterwards) through the real migrations
   (kiosk.core.migrate.upgrade), then bulk-inserts N consents (default 100,000) with one
   executemany per table. Every row reuses one
   small record JSON; the indexed columns get a realistic spread:
   - created_at: uniformly over the last three years (about 90 consents a day);
   - modality: CO2 laser 25 %, fractional laser 25 %, microdermabrasion 20 %,
     chemical peel 20 %, vitamin C 10 %;
   - highest flag: stop 6 %, review 18 %, info 16 %, none 60 %;
   - status: a stop/review consent older than two weeks was reviewed (95 %, with
     a Decision row); everything else still reads "submitted", which is
     where consents needing no review stay, so the default queue holds most rows.
   Names are drawn from accented first names and surnames (Ñ, ł, ö, O'Connor ...), each
   folded for search as the app folds it (kiosk.core.folding.fold_name).
2. Signs a doctor in through the real login form and times, with the Flask test
   client, GET /doctor/queue and variants (filters with a name search, name
   searches typed without accents as a Spanish desk types them, an accented search,
   the desk's "find the patient" page, a deep page), alternating each with a
   baseline: a minimal Flask page served by the same app and client. Medians
   of --runs runs are printed, with the ratio to the baseline.
3. Prints the database's query plan of the statements the queue page and a name
   search really ran (captured from the engine), to show which index serves them.

Targets: the default queue page and every name search under 50 ms median at 100,000 rows.

The queue indexes it relies on, (status, severity_rank, created_at DESC) and
(status, modality, severity_rank, created_at DESC), come from migration 0003; migration 0020 ends them and
ix_consents_created_at with the folded patient name, so a search is checked on the index entries the list is
read through (kiosk.review.queue.name_condition).
"""

from __future__ import annotations

import argparse
import random
import re
import secrets
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from flask.testing import FlaskClient  # noqa: E402
from sqlalchemy import Engine, event, insert  # noqa: E402

from app import create_app  # noqa: E402
from kiosk.core.folding import fold_name  # noqa: E402
from kiosk.core.models import Consent, Decision, Document, Draft  # noqa: E402
from kiosk.staff import accounts  # noqa: E402
from kiosk.core.migrate import upgrade  # noqa: E402
from tests.support import POSTGRES_URL, PostgresServer  # noqa: E402
from kiosk.documents.record import severity_rank  # noqa: E402

MODALITIES = (("co2_laser", 25), ("fractional_laser", 25), ("microdermabrasion", 20), ("chemical_peel", 20),
              ("vitamin_c_injection", 10))
SEVERITIES = (("stop", 6), ("review", 18), ("info", 16), (None, 60))
DECISIONS = (("cleared", 80), ("not_cleared", 8), ("consultation", 12))
FIRST = ("María", "Lucía", "Zoë", "Sofía", "Aleksandra", "Anna", "Chloé", "María José", "Łukasz", "Begoña", "Noah",
         "Jürgen", "Inés", "Ngozi", "Priya", "Đorđe", "Marta", "Elena", "Björn", "Amélie")
LAST = ("Núñez", "García", "Fernández", "Wiśniewska", "O'Connor", "Papadopoulou", "Müller", "Łukasiewicz",
        "Ortega", "Smirnova", "Dubois", "Jørgensen", "Rossi", "Kovačević", "Okafor", "Sharma", "Gómez", "Ruiz",
        "Nakamura", "Silva")
PASSWORD = "bench " + secrets.token_urlsafe(12)


def _weighted(pairs: tuple[tuple[Any, int], ...], rng: random.Random, n: int) -> list[Any]:
    values, weights = zip(*pairs, strict=True)
    return rng.choices(values, weights=weights, k=n)


def small_record() -> dict[str, Any]:
    """One compact record (no texts) reused by every row: the queue never reads it."""
    return {
        "document_id": "CK-BENCH", "clinic_name": "Bench Clinic", "language": "en",
        "created_at": "2026-01-01T10:00:00+01:00",
        "patient": {"full_name": "Bench Patient", "date_of_birth": "1990-01-01", "phone": None, "email": None,
                    "identity_check": None},
        "treatment": {"modality": "co2_laser", "modality_title": "CO2 laser", "areas": [{"id": "abdomen",
                      "label": "Belly (abdomen)"}], "area_other": None, "planned_sessions": 3},
        "answers": [{"question": "pregnant", "text": "Are you pregnant?", "type": "bool", "value": False,
                     "detail": None, "answered_at": "2026-01-01T09:58:00+01:00"}],
        "flags": [], "risks": [], "highest_severity": None,
    }


def populate(engine: Engine, rows: int, doctor_id: int, now: datetime, seed: int = 7) -> dict[str, int]:
    """Bulk-insert drafts, consents and reviews with one executemany per table, in one transaction."""
    rng = random.Random(seed)
    modalities = _weighted(MODALITIES, rng, rows)
    severities = _weighted(SEVERITIES, rng, rows)
    decisions = _weighted(DECISIONS, rng, rows)
    record = small_record()
    span = 3 * 365 * 24 * 3600
    drafts: list[dict[str, Any]] = []
    documents: list[dict[str, Any]] = []
    consents: list[dict[str, Any]] = []
    reviews: list[dict[str, Any]] = []
    counts = {"submitted": 0, "reviewed": 0}
    for i in range(1, rows + 1):
        created = now - timedelta(seconds=rng.randrange(span))
        severity = severities[i - 1]
        rank = severity_rank(severity)
        reviewed = rank <= 1 and created < now - timedelta(days=14) and rng.random() < 0.95
        status = "reviewed" if reviewed else "submitted"
        counts[status] += 1
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)} {rng.choice(LAST)}"
        drafts.append({"id": i, "token": f"bench{i:07d}{secrets.token_hex(8)}", "status": "submitted",
                       "language": "en", "data": {}, "trail": {}, "started_by": "bench", "created_at": created, "site_id": 1,
                       "updated_at": created})
        documents.append({"id": f"CK-{created:%Y%m%d}-{i:08d}", "kind": "consent", "verification_code": None,
                          "created_at": created})
        consents.append({"id": i, "document_id": f"CK-{created:%Y%m%d}-{i:08d}", "draft_id": i, "site_id": 1, "created_at": created,
                         "status": status, "patient_name": name, "patient_name_folded": fold_name(name),
                         "date_of_birth": date(rng.randrange(1950, 2006), rng.randrange(1, 13), rng.randrange(1, 29)),
                         "modality": modalities[i - 1], "language": "en", "highest_severity": severity,
                         "severity_rank": rank, "texts_version": "bench", "texts_sha256": "0" * 64,
                         "rules_version": "bench", "record": record, "signature_png": None})
        if reviewed:
            reviews.append({"document_id": f"CK-{created:%Y%m%d}-{i:08d}", "doctor_id": doctor_id, "doctor_name": "Dr. Bench",
                            "decision": decisions[i - 1], "note": None, "meaning": "bench",
                            "at": created + timedelta(hours=rng.randrange(1, 72)), "document_revision": 2})
    with engine.begin() as connection:
        connection.execute(insert(Draft.__table__), drafts)
        connection.execute(insert(Document.__table__), documents)
        connection.execute(insert(Consent.__table__), consents)
        connection.execute(insert(Decision.__table__), reviews)
        if connection.dialect.name == "postgresql":  # ids were given, so move the sequences past them
            for table in ("drafts", "consents"):
                connection.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), {rows})")
    if engine.dialect.name == "postgresql":  # fresh statistics and visibility map, as autovacuum would leave them
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM ANALYZE")
    else:
        with engine.begin() as connection:
            connection.exec_driver_sql("ANALYZE")
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
    """The query plan of one captured statement, in the database's own words."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + statement, tuple(parameters)).all()
            return [row[-1] for row in rows]
        rows = connection.exec_driver_sql("EXPLAIN " + statement, parameters).all()
        return [row[0] for row in rows]


@contextmanager
def database(kind: str) -> Iterator[tuple[str, Callable[[], float]]]:
    """A fresh empty database of that kind (its URL, and a function giving its size in MB), removed afterwards."""
    if kind == "sqlite":
        workdir = Path(tempfile.mkdtemp(prefix="bench-queue-"))
        path = workdir / "queue.sqlite3"
        try:
            yield f"sqlite:///{path}", lambda: path.stat().st_size / 1e6
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return
    server = PostgresServer(POSTGRES_URL)
    if not server.available():
        raise SystemExit(f"no PostgreSQL server at {POSTGRES_URL} (set KIOSK_TEST_POSTGRES_URL)")
    with server.database("bench_queue", empty=True) as url:
        name = url.rsplit("/", 1)[1]

        def size() -> float:
            with server.admin.connect() as connection:
                return float(connection.exec_driver_sql(f"SELECT pg_database_size('{name}')").scalar() or 0) / 1e6
        yield url, size
    server.close()


def run(kind: str, rows_wanted: int, runs: int) -> dict[str, tuple[float, float]]:
    """Build, fill and time one database; returns each page's median in ms and its ratio to the baseline."""
    with database(kind) as (url, size_mb):
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
        counts = populate(engine, rows_wanted, doctor_id, now)
        loaded = time.perf_counter()
        print(f"\n== {kind}: {rows_wanted:,} consents ({counts['submitted']:,} submitted, "
              f"{counts['reviewed']:,} reviewed), {size_mb():.0f} MB; migrate {migrated - started:.1f} s, "
              f"bulk insert {loaded - migrated:.1f} s")

        client = app.test_client()
        sign_in(client, "doctor@bench.test")
        today = now.date()
        variants: list[tuple[str, str]] = [
            ("queue (default)", "/doctor/queue"),
            ("filters + name search", f"/doctor/queue?modality=co2_laser&date_from={today - timedelta(days=365)}"
                                      f"&date_to={today}&q=mar"),
            ("search 'fernandez'", "/doctor/queue?q=fernandez"),
            ("search 'maria jose'", "/doctor/queue?q=maria+jose"),
            ("search 'begona nunez'", "/doctor/queue?q=begona+nunez"),
            ("search 'begona nunez ruiz'", "/doctor/queue?q=begona+nunez+ruiz"),  # one patient's whole name
            ("search 'wisniewska'", "/doctor/queue?q=wisniewska"),
            ("search 'oconnor'", "/doctor/queue?q=oconnor"),
            ("search accented 'ÚÑEZ'", "/doctor/queue?q=%C3%9A%C3%91EZ"),
            ("reviewed + search 'garcia'", "/doctor/queue?status=reviewed&q=garcia"),
            ("desk find 'fernandez'", "/course/find?q=fernandez"),
            ("desk find 'begona nunez ruiz'", "/course/find?q=begona+nunez+ruiz"),  # a rare name: the whole index
            ("reviewed, page 100", "/doctor/queue?status=reviewed&page=100"),
            ("page past the end", "/doctor/queue?page=999999"),
        ]
        capture = Capture(engine)
        for label, target in variants:  # warm-up, check, and capture the SQL once
            capture.on = label in ("queue (default)", "search 'maria jose'")
            _elapsed, status, html = timed(client, target)
            capture.on = False
            assert status == 200, (label, status)
            shown = len(re.findall(r'<a href="/(?:doctor/consents|course)/CK-', html))
            count = re.search(r'id="queue-count" role="status">([^<]+)<', html)
            print(f"  check {label}: HTTP {status}, {shown} rows shown, {count.group(1) if count else '-'}")
        timed(client, "/bench-baseline")

        baseline: list[float] = []
        samples: dict[str, list[float]] = {label: [] for label, _ in variants}
        for _ in range(runs):  # alternate, so load from other processes falls on all alike
            for label, target in variants:
                samples[label].append(timed(client, target)[0])
                baseline.append(timed(client, "/bench-baseline")[0])
        base = median_ms(baseline)
        results = {"baseline: minimal Flask page": (base, 1.0)}
        results.update({label: (median_ms(samples[label]), median_ms(samples[label]) / base)
                        for label, _target in variants})

        print(f"\nquery plans ({kind}) of the statements the queue page and a name search ran:")
        for statement, parameters in capture.statements:
            print("  " + " ".join(statement.split())[:220] + (" ..." if len(statement) > 220 else ""))
            for line in explain(engine, statement, parameters):
                print(f"      {line}")
        engine.dispose()
        return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    kinds = ("sqlite", "postgresql") if args.db == "both" else (args.db,)
    results = {kind: run(kind, args.rows, args.runs) for kind in kinds}

    print(f"\nmedians of {args.runs} runs (Flask test client, doctor signed in), target every page < 50 ms:")
    print(f"  {'page':34s}" + "".join(f" {kind:>24s}" for kind in kinds))
    for label in results[kinds[0]]:
        cells = []
        for kind in kinds:
            value, ratio = results[kind][label]
            mark = "" if label.startswith("baseline") else (" ok" if value < 50 else " SLOW")
            cells.append(f"{value:8.2f} ms {ratio:6.1f}x{mark:5s}")
        print(f"  {label:34s}" + "".join(f" {cell:>24s}" for cell in cells))


if __name__ == "__main__":
    main()

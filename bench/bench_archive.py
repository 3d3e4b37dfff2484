"""Does `flask archive` stream? Peak Python memory and time writing 1,000 and then 10,000 consents, as ratios.

Run from the repository root:
    .venv/bin/python bench/bench_archive.py [--small 1000] [--large 10000] [--keep]

Builds a fresh SQLite database through the real migrations, signs one consent through the wizard's own
services (kiosk.demo.sign_demo_consent: a real sealed PDF), then copies its rows (document, revision,
draft, consent) to reach each size, with names varied so the consents spread over many patient folders.
Each size is archived with kiosk.keeping.archive.write_archive into a new temporary folder while
tracemalloc follows Python's allocations; the peak is what the archive itself held at its worst.

Streaming means the peak at the large size is about the peak at the small one (ratio near 1), while the
time grows with the number of consents (ratio near large / small). The files are deleted unless --keep.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, select  # noqa: E402

from app import create_app  # noqa: E402
from kiosk import demo  # noqa: E402
from kiosk.core.models import Consent, Document, DocumentRevision, Draft  # noqa: E402
from kiosk.documents.record import Clinic  # noqa: E402
from kiosk.keeping.archive import Context, write_archive  # noqa: E402
from tests.helpers import seal_key_of  # noqa: E402

NAMES = ("María Núñez", "Begoña García", "Łukasz Müller", "Zoë O'Connor", "Inés Ortega", "Anna Smirnova")


def _columns(row: object, table: type) -> dict[str, object]:
    return {c.key: getattr(row, c.key) for c in table.__table__.columns if c.key != "id"}  # type: ignore[attr-defined]


def grow(session: object, template: Consent, target: int) -> None:
    """Copy the template consent's rows until `target` consents exist (one transaction per thousand)."""
    count = session.scalar(select(Consent.id).order_by(Consent.id.desc()).limit(1)) or 0  # type: ignore[attr-defined]
    revision = template.documents[0]
    draft = _columns(template.draft, Draft)
    consent = _columns(template, Consent)
    for number in range(count + 1, target + 1):
        document_id = f"CK-BENCH-{number:07d}"
        session.execute(insert(Document).values(id=document_id, kind="consent", verification_code=None,  # type: ignore[attr-defined]
                                                created_at=template.document.created_at))
        session.execute(insert(DocumentRevision).values(**{**_columns(revision, DocumentRevision),  # type: ignore[attr-defined]
                                                           "document_id": document_id}))
        draft_id = session.execute(insert(Draft).values(**{**draft, "token": f"bench{number}"})).inserted_primary_key[0]  # type: ignore[attr-defined]
        session.execute(insert(Consent).values(**{**consent, "document_id": document_id, "draft_id": draft_id,  # type: ignore[attr-defined]
                                                  "patient_name": f"{NAMES[number % len(NAMES)]} {number // 97}"}))
        if number % 1000 == 0:
            session.commit()  # type: ignore[attr-defined]
    session.commit()  # type: ignore[attr-defined]


def measure(app: object, size: int, work: Path) -> tuple[float, int, int]:
    """Seconds, tracemalloc peak in bytes, and files written for one archive of every consent."""
    session = app.extensions["kiosk_db"]()  # type: ignore[attr-defined]
    texts = app.extensions["kiosk_texts"]  # type: ignore[attr-defined]
    context = Context(texts=texts, now=datetime.now(ZoneInfo("Europe/Madrid")), months=12)
    out = work / f"archive-{size}"
    tracemalloc.start()
    started = time.perf_counter()
    summary = write_archive(session, out, context, since=None)
    seconds = time.perf_counter() - started
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    session.close()
    assert summary.consents == size, summary
    shutil.rmtree(out)
    return seconds, peak, summary.files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--small", type=int, default=1000)
    parser.add_argument("--large", type=int, default=10000)
    parser.add_argument("--keep", action="store_true", help="keep the temporary database")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-archive-"))
    key = work / "signing-key.p12"
    app = create_app({"TESTING": True, "SECRET_KEY": "bench", "DATABASE_URL": f"sqlite:///{work / 'bench.sqlite3'}",
                      "SIGNING_KEY_FILE": str(key), "SIGNING_KEY_PASSPHRASE": "bench passphrase",
                      "ENV_NAME": "development"})
    session = app.extensions["kiosk_db"]()
    clinic = Clinic(name="Bench Clinic", timezone="Europe/Madrid")
    template = demo.sign_demo_consent(session, demo.DEMO_PATIENTS[0], texts=app.extensions["kiosk_texts"],
                                      clinic=clinic, seal_key=seal_key_of(app), now=datetime.now(ZoneInfo("Europe/Madrid")))
    print(f"one sealed consent: {len(template.documents[0].pdf):,} bytes of PDF")
    results = {}
    for size in (args.small, args.large):
        grow(session, template, size)
        seconds, peak, files = measure(app, size, work)
        results[size] = (seconds, peak)
        print(f"{size:>6} consents: {seconds:7.1f} s, peak {peak / 1e6:6.1f} MB traced, {files:,} files")
    (small_s, small_peak), (large_s, large_peak) = results[args.small], results[args.large]
    print(f"ratio {args.large}/{args.small} consents: time x{large_s / small_s:.1f} "
          f"(consents x{args.large / args.small:.0f}), peak memory x{large_peak / small_peak:.2f}")
    session.close()
    if args.keep:
        print(f"kept {work}")
    else:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()

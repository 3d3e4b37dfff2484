"""Time building one consent PDF plus sealing it against building it alone.

Run from the repository root:  .venv/bin/python bench/bench_seal.py [--runs N]

(a) ``render_consent_pdf(specimen)``: the PDF as before sealing (the baseline).
(b) the same, then ``seal_pdf`` with a PKCS#12 key parsed once (as the app does).
Target: (b) - (a) <= 50 ms median. A doctor's review revision (appearance,
incremental update, signature) and a verification of the sealed file are timed
too, for the record. The sides alternate so that load on the machine falls on
both alike; a throw-away RSA-3072 key is made in a temporary folder.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bench_pdf import _median_ms  # noqa: E402
from kiosk.documents.pdf import render_consent_pdf, render_review_appearance  # noqa: E402
from kiosk.documents.sealing import (add_signed_revision, create_signing_key, load_seal_key, review_area,  # noqa: E402
                           seal_pdf)
from kiosk.demo import demo_signature_png  # noqa: E402
from tests.factories.specimen import specimen_record  # noqa: E402
from kiosk.documents.verification import verify_pdf  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args(argv)

    record, png = specimen_record(), demo_signature_png()
    with tempfile.TemporaryDirectory() as folder:
        key_file = Path(folder) / "bench.p12"
        create_signing_key(key_file, "bench", organisation="Bench Clinic", now=datetime.now(timezone.utc))
        start = time.perf_counter()
        key = load_seal_key(key_file, "bench")
        parse_ms = (time.perf_counter() - start) * 1000

    build = lambda: render_consent_pdf(record, png)  # noqa: E731
    build_and_seal = lambda: seal_pdf(build(), key, clinic_name="Bench Clinic", reason="bench")  # noqa: E731
    sealed = build_and_seal()
    review = {"doctor_name": "Dr. Bench", "doctor_email": "bench@clinic.test", "decision": "cleared",
              "note": "Seen.", "decided_at": "2025-11-25T09:15:30+01:00", "timezone": "Europe/Madrid",
              "meaning": "I reviewed the answers.", "revision": 2,
              "original_sha256": hashlib.sha256(sealed).hexdigest()}

    def revise() -> bytes:
        area = review_area(sealed)
        appearance = render_review_appearance(review, [], "en", area.right - area.left,  # type: ignore[arg-type]
                                              area.top - area.bottom)
        return add_signed_revision(sealed, key, appearance_pdf=appearance, area=area, field_name="DoctorReview2",
                                   signer_name="Dr. Bench", reason="bench", location="Bench Clinic")

    revised = revise()
    verify = lambda: verify_pdf(sealed, [key.certificate])  # noqa: E731
    verify_revised = lambda: verify_pdf(revised, [key.certificate])  # noqa: E731
    for _ in range(3):  # warm up fonts, glyph widths, imports
        build_and_seal()
        build()

    build_ms, sealed_ms = _median_ms([build, build_and_seal], args.runs)
    revise_ms, verify_ms, verify_revised_ms = _median_ms([revise, verify, verify_revised], max(5, args.runs // 4))
    extra = sealed_ms - build_ms
    print(f"runs per side:               {args.runs}")
    print(f"parse PKCS#12 (once/process): {parse_ms:7.2f} ms")
    print(f"build PDF (baseline):         {build_ms:7.2f} ms median")
    print(f"build + seal:                 {sealed_ms:7.2f} ms median")
    print(f"sealing adds:                 {extra:7.2f} ms  (target <= 50 ms: {'OK' if extra <= 50 else 'OVER'})")
    print(f"doctor's review revision:     {revise_ms:7.2f} ms median")
    print(f"verify sealed original:       {verify_ms:7.2f} ms median")
    print(f"verify reviewed revision:     {verify_revised_ms:7.2f} ms median")
    return 0 if extra <= 50 else 1


if __name__ == "__main__":
    raise SystemExit(main())

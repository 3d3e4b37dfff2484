"""What a final submission costs beyond its PDF, in process: Flask's test client, no server, no network.

    .venv/bin/python bench/profile_sign.py [--db sqlite|postgresql] [--patients 20] [--signature 1400x480] [--profile]

Walks each patient through the wizard to the sign page (WizardDriver, as the tests do) and times
only the POST /consent/sign with a drawn signature. Right after each POST it renders and seals
the PDF again from the record and PNG just stored, with the same key (what the request spent on
the PDF), so load from other processes falls on both alike. Prints the median POST, the median
PDF render + seal, and the rest: what the request costs beyond the PDF. With --profile the
patients sign again under cProfile (only the POSTs are profiled) and the functions with the most
cumulative and own time are printed.

The default signature is the size a tablet sends: the canvas is 240 CSS pixels high and about
700 wide, times a devicePixelRatio of 2.
"""

from __future__ import annotations

import argparse
import cProfile
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask import Flask  # noqa: E402
from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from kiosk.core.models import Consent  # noqa: E402
from kiosk.documents.pdf import render_consent_pdf  # noqa: E402
from kiosk.documents.sealing import load_seal_key, seal_pdf  # noqa: E402
from kiosk.consent.submission import SEAL_REASON  # noqa: E402
from profile_step import print_profile  # noqa: E402
from tests.support import WizardDriver  # noqa: E402
from tests.helpers import drawn_signature  # noqa: E402
from tests.live import LIVE_SIGNING_PASSPHRASE, bench_database, live_signing_key  # noqa: E402

MODALITIES = ("co2_laser", "chemical_peel", "microdermabrasion")  # the three texts, in turn
SIGN = "/consent/sign"


def signed_post_ms(app: Flask, number: int, signature: str, profiler: cProfile.Profile | None = None) -> float:
    """Walk one patient to the sign page, then time (and maybe profile) only the POST that signs."""
    name = f"Patient Núñez {number}"
    wizard = WizardDriver(app.test_client())
    wizard.ready_to_sign(app, MODALITIES[number % len(MODALITIES)], name=name)
    wizard.get(SIGN)  # the page as the patient sees it: shown_at noted, CSRF token read
    body = urlencode({"csrf_token": wizard.token, "consent_agree": "y", "signature_data": signature,
                      "typed_signature": "", "printed_name": name.upper()})  # encoded before the clock starts
    if profiler is not None:
        profiler.enable()
    started = time.perf_counter()
    response = wizard.client.post(SIGN, data=body, content_type="application/x-www-form-urlencoded")
    elapsed = (time.perf_counter() - started) * 1000
    if profiler is not None:
        profiler.disable()
    if response.status_code != 302 or not response.headers["Location"].endswith("/consent/done"):
        raise SystemExit(f"error: the signature was not stored (HTTP {response.status_code})")
    return elapsed


def pdf_and_seal_ms(app: Flask) -> float:
    """Render and seal the newest stored consent again, from its own record and PNG: the PDF part of a POST."""
    with app.extensions["kiosk_db"]() as session:
        consent = session.scalars(select(Consent).order_by(Consent.id.desc()).limit(1)).one()
        record, png = consent.record, consent.signature_png
    key = load_seal_key(app.config["SIGNING_KEY_FILE"], app.config["SIGNING_KEY_PASSPHRASE"])
    started = time.perf_counter()
    seal_pdf(render_consent_pdf(record, png), key, clinic_name=app.config["CLINIC_NAME"], reason=SEAL_REASON)  # type: ignore[arg-type]
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="sqlite")
    parser.add_argument("--patients", type=int, default=20, help="timed signatures (after 3 for warm-up)")
    parser.add_argument("--signature", default="1400x480", help="drawn signature PNG size, WIDTHxHEIGHT pixels")
    parser.add_argument("--profile", action="store_true", help="also sign --patients more under cProfile")
    parser.add_argument("--top", type=int, default=40, help="rows of each profile table")
    args = parser.parse_args()
    width, height = (int(part) for part in args.signature.lower().split("x"))
    signature = drawn_signature((width, height))

    with tempfile.TemporaryDirectory(prefix="kiosk-profile-") as tmp, \
            bench_database(args.db, Path(tmp), "kiosk_profile", empty=False) as url:
        # the production settings but for HTTPS-only cookies, which the test client would not send back
        app = create_app({"SECRET_KEY": "profile-" + "k" * 32, "DATABASE_URL": url, "AUTO_MIGRATE": False,
                          "SIGNING_KEY_FILE": str(live_signing_key()),
                          "SIGNING_KEY_PASSPHRASE": LIVE_SIGNING_PASSPHRASE, "ENV_NAME": "test"})
        for number in range(3):  # warm-up: fonts, templates, glyph widths, the key, the pool
            signed_post_ms(app, -1 - number, signature)
            pdf_and_seal_ms(app)
        posts, pdfs, rests = [], [], []
        for number in range(args.patients):
            posts.append(signed_post_ms(app, number, signature))
            pdfs.append(pdf_and_seal_ms(app))
            rests.append(posts[-1] - pdfs[-1])
        post, pdf = statistics.median(posts), statistics.median(pdfs)
        print(f"{args.db}, {args.patients} signatures ({width}x{height} PNG, "
              f"{len(signature) * 3 // 4 // 1024} KiB), Flask test client")
        print(f"POST /consent/sign             median {post:7.2f} ms  (min {min(posts):.2f}, max {max(posts):.2f})")
        print(f"PDF render + seal, same record median {pdf:7.2f} ms  (min {min(pdfs):.2f}, max {max(pdfs):.2f})")
        print(f"the rest (POST - PDF)          {post - pdf:7.2f} ms  (median of pairs {statistics.median(rests):.2f})")
        if args.profile:
            profiler = cProfile.Profile()
            for number in range(args.patients):
                signed_post_ms(app, 1000 + number, signature, profiler)
            print_profile(profiler, args.top)
        app.extensions["kiosk_db"].kw["bind"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

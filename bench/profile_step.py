"""Where a wizard step GET spends its time, in process: Flask's test client, no server, no network.

    .venv/bin/python bench/profile_step.py [--db sqlite|postgresql] [--requests 2000] [--rounds 5] [--profile]

Times GET /consent/identity for a patient part-way through (the page bench_http.py hammers)
against a minimal Flask page served by its own app through the same test client, alternating in
short rounds, and prints milliseconds per request for each and their ratio. With --profile it
then runs the step under cProfile and prints the functions with the most cumulative and own time.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask.testing import FlaskClient  # noqa: E402

from app import create_app  # noqa: E402
from floor_app import app as floor_app  # noqa: E402
from tests.support import WizardDriver  # noqa: E402
from tests.live import bench_database, live_signing_key, LIVE_SIGNING_PASSPHRASE  # noqa: E402

STEP = "/consent/identity"


def per_request_ms(client: FlaskClient, path: str, count: int) -> float:
    """Milliseconds per GET of `path`, over `count` requests; every answer must be a 200."""
    started = time.perf_counter()
    for _ in range(count):
        response = client.get(path)
        if response.status_code != 200:
            raise SystemExit(f"error: {path} answered HTTP {response.status_code}")
    return (time.perf_counter() - started) * 1000 / count


def print_profile(profiler: cProfile.Profile, top: int) -> None:
    """The functions with the most cumulative time, then the most time of their own."""
    stats = pstats.Stats(profiler, stream=sys.stdout)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="sqlite")
    parser.add_argument("--requests", type=int, default=1000, help="requests per round of each page")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="also print a cProfile of the step page")
    parser.add_argument("--top", type=int, default=35, help="rows of each profile table")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kiosk-profile-") as tmp, \
            bench_database(args.db, Path(tmp), "kiosk_profile", empty=False) as url:
        # the production settings but for HTTPS-only cookies, which the test client would not send back
        app = create_app({"SECRET_KEY": "profile-" + "k" * 32, "DATABASE_URL": url, "AUTO_MIGRATE": False,
                          "SIGNING_KEY_FILE": str(live_signing_key()),
                          "SIGNING_KEY_PASSPHRASE": LIVE_SIGNING_PASSPHRASE, "ENV_NAME": "test"})
        wizard = WizardDriver(app.test_client())
        wizard.start()
        step_client, floor_client = wizard.client, floor_app.test_client()
        per_request_ms(step_client, STEP, 50)  # warm-up: templates compiled, pool filled
        per_request_ms(floor_client, "/", 50)
        step, floor = [], []
        for _ in range(args.rounds):
            floor.append(per_request_ms(floor_client, "/", args.requests))
            step.append(per_request_ms(step_client, STEP, args.requests))
        ratios = sorted(f / s for f, s in zip(floor, step))
        print(f"{args.db}, {args.rounds} rounds of {args.requests} requests, Flask test client")
        print(f"minimal Flask page (floor)   median {statistics.median(floor):.3f} ms  "
              f"(rounds {min(floor):.3f}-{max(floor):.3f})")
        print(f"wizard step GET {STEP}  median {statistics.median(step):.3f} ms  "
              f"(rounds {min(step):.3f}-{max(step):.3f})")
        print(f"floor time / step time: {statistics.median(ratios):.3f} (rounds {ratios[0]:.3f}-{ratios[-1]:.3f})")
        if args.profile:
            profiler = cProfile.Profile()
            profiler.enable()
            per_request_ms(step_client, STEP, args.requests)
            profiler.disable()
            print_profile(profiler, args.top)
        app.extensions["kiosk_db"].kw["bind"].dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())

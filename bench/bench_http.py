"""HTTP throughput side by side, on the same gunicorn settings: a wizard step page against a minimal Flask page.

    .venv/bin/python bench/bench_http.py [--db sqlite] [--seconds 5] [--connections 8]

1. A wizard step page (GET /consent/identity for a patient part-way through: draft lookup, the
   shown-at time written to the trail, the form rendered) against a minimal Flask page (the
   floor), each served by `gunicorn -c gunicorn.conf.py` with the same workers and threads, and
   hammered by the same keep-alive load generator. Prints requests/s, p50 and p99, and the ratio.
2. The final submission (record, flags, PDF, commit) with 16 tablets at once, two ways; prints p50/p95/p99:
   a. all 16 press "Sign" at the same instant (a barrier), a few rounds: the worst case, where the
      16 PDFs queue for the machine's cores;
   b. 16 tablets each walking whole consents (every step from the desk code to the signature) at the
      same time, pausing --think seconds before each request (a person takes far longer), so the
      signatures land whenever each tablet gets there, among the other tablets' step pages.
The load generator is Python on the same machine, so it takes CPU from the servers: both pages
pay that equally, and the ratio is the figure to compare.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from tests.support import WizardDriver  # noqa: E402
from tests.live import HttpTablet, bench_database, gunicorn, server_env  # noqa: E402

SIGNING_TABLETS = 16


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def run_together(threads: list[threading.Thread]) -> None:
    """Start every thread, then wait for all of them."""
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def hammer(address: str, path: str, cookie: str, seconds: float, connections: int) -> tuple[float, list[float]]:
    """Requests/s and latencies of GET `path` from `connections` keep-alive connections for `seconds`."""
    host, port = address.split(":")
    latencies: list[float] = []
    stop = time.perf_counter() + seconds
    failures: list[str] = []

    def client() -> None:
        connection = http.client.HTTPConnection(host, int(port), timeout=30)
        mine = []
        while time.perf_counter() < stop:
            started = time.perf_counter()
            connection.request("GET", path, headers={"Cookie": cookie} if cookie else {})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                failures.append(f"{path}: HTTP {response.status}")
                break
            mine.append(time.perf_counter() - started)
            if response.getheader("Connection", "").lower() == "close":
                connection.close()
                connection = http.client.HTTPConnection(host, int(port), timeout=30)
        connection.close()
        latencies.extend(mine)

    begun = time.perf_counter()
    run_together([threading.Thread(target=client) for _ in range(connections)])
    if failures:
        raise SystemExit(f"error: {failures[0]}")
    return len(latencies) / (time.perf_counter() - begun), latencies


def combined(runs: list[tuple[float, list[float]]]) -> tuple[float, list[float]]:
    """Mean requests/s over the rounds (all of one length) and every latency."""
    latencies = [value for _rps, lat in runs for value in lat]
    return sum(rps for rps, _lat in runs) / len(runs), latencies


def signing_round(app, address: str, round_number: int) -> list[float]:  # noqa: ANN001
    """16 tablets walked to the signature, then all sign at the same moment; the sign POSTs' latencies."""
    drivers = []
    for n in range(SIGNING_TABLETS):
        driver = WizardDriver(HttpTablet([address], application=app, timeout=120))  # type: ignore[arg-type]
        driver.ready_to_sign(app, "chemical_peel", name=f"Bench Patient {round_number}-{n}")
        driver.get("/consent/sign")
        drivers.append(driver)
    barrier = threading.Barrier(SIGNING_TABLETS)

    def sign(driver: WizardDriver) -> None:
        barrier.wait()
        response = driver.post("/consent/sign", {"consent_agree": "y", "typed_signature": "Bench",
                                                 "signature_data": "", "printed_name": "BENCH"})
        if response.status_code != 302:
            raise SystemExit(f"error: signature answered HTTP {response.status_code}")

    run_together([threading.Thread(target=sign, args=(d,)) for d in drivers])
    return [d.client.timings[-1][3] for d in drivers]  # type: ignore[attr-defined]


class ThinkingTablet(HttpTablet):
    """A tablet whose patient pauses before every request, as a person reading each page does."""

    think: float = 1.0

    def request(self, *args, **kwargs):  # noqa: ANN002, ANN003, ANN201
        time.sleep(self.think)
        return super().request(*args, **kwargs)


def walking_round(app, address: str, tablets: int, consents: int, think: float) -> list[float]:  # noqa: ANN001
    """`tablets` patients at once, each walking `consents` whole consents; the latencies of their sign POSTs."""
    signs: list[float] = []
    failures: list[str] = []
    jitter = random.Random(7)  # a fixed seed: the same staggered starts every run
    delays = [jitter.uniform(0, think * 10) for _ in range(tablets)]

    def walk(n: int) -> None:
        time.sleep(delays[n])  # tablets start at different moments, as patients arrive
        for k in range(consents):
            tablet = ThinkingTablet([address], application=app, timeout=120)
            tablet.think = think
            driver = WizardDriver(tablet)  # type: ignore[arg-type]
            try:
                response = driver.complete(app, "chemical_peel", name=f"Walking Patient {n}-{k}",
                                           typed_signature="Bench", printed_name="BENCH")
            except AssertionError as exc:  # a step answered something other than the next step
                failures.append(f"tablet {n}: {exc!r}")
                return
            if response.status_code != 302:
                failures.append(f"tablet {n}: signature answered HTTP {response.status_code}")
                return
            signs.append(next(t[3] for t in reversed(tablet.timings) if t[:2] == ("POST", "/consent/sign")))

    run_together([threading.Thread(target=walk, args=(n,)) for n in range(tablets)])
    if failures:
        raise SystemExit(f"error: {failures[0]}")
    return signs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--seconds", type=float, default=3, help="length of one round of one page")
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=4, help="rounds of each page, and of 16 tablets signing at once")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("KIOSK_WORKERS", 2 * (os.cpu_count() or 1) + 1)))
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds each walking tablet pauses before a request (a person takes 5-60)")
    parser.add_argument("--walks", type=int, default=2, help="whole consents each of the 16 walking tablets signs")
    parser.add_argument("--pages-only", action="store_true", help="only part 1: the step page against the floor")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="kiosk-bench-") as tmp:
        workdir = Path(tmp)
        with bench_database(args.db, workdir, "kiosk_bench", empty=False) as url:
            env = server_env(url)
            settings = dict(workers=args.workers, threads=args.threads)
            print(f"gunicorn -c gunicorn.conf.py: {args.workers} workers x {args.threads} threads (gthread), {args.db}; "
                  f"{args.connections} keep-alive connections, {args.rounds} rounds of {args.seconds:g} s per page; "
                  f"{os.cpu_count()} CPUs")
            floor_env = {**env, "PYTHONPATH": str(Path(__file__).resolve().parent)}
            app = create_app({"TESTING": True, "DATABASE_URL": url, "AUTO_MIGRATE": False, "SECRET_KEY": "b"})
            with gunicorn(floor_env, workdir / "floor.log", app_module="floor_app:app", **settings) as floor, \
                    gunicorn(env, workdir / "kiosk.log", **settings) as server:
                tablet = HttpTablet([server.address], application=app)
                wizard = WizardDriver(tablet)  # type: ignore[arg-type]
                wizard.start()
                cookie = "; ".join(f"{k}={v}" for k, v in tablet.cookies.items())
                # short rounds, taking turns, so a change in the machine's other load hits both pages alike
                runs: dict[str, list[tuple[float, list[float]]]] = {"floor": [], "step": []}
                hammer(floor.address, "/", "", 1, args.connections)  # warm-up, not counted: every worker
                hammer(server.address, "/consent/identity", cookie, 1, args.connections)  # compiles its templates
                for _ in range(args.rounds):
                    runs["floor"].append(hammer(floor.address, "/", "", args.seconds, args.connections))
                    runs["step"].append(hammer(server.address, "/consent/identity", cookie, args.seconds,
                                               args.connections))
                if not args.pages_only:
                    signs = [s for r in range(args.rounds) for s in signing_round(app, server.address, r)]
                    walking = walking_round(app, server.address, SIGNING_TABLETS, args.walks, args.think)
            app.extensions["kiosk_db"].kw["bind"].dispose()

    def row(name: str, rps: float, lat: list[float]) -> str:
        return (f"{name:<34} {rps:8.0f} req/s   p50 {statistics.median(lat) * 1000:6.1f} ms   "
                f"p99 {percentile(lat, 0.99) * 1000:6.1f} ms")

    floor_rps, floor_lat = combined(runs["floor"])
    step_rps, step_lat = combined(runs["step"])
    print(row("minimal Flask page (floor)", floor_rps, floor_lat))
    print(row("wizard step GET /consent/identity", step_rps, step_lat))
    ratios = ", ".join(f"{s[0] / f[0]:.2f}" for f, s in zip(runs["floor"], runs["step"]))
    print(f"ratio wizard step / floor: {step_rps / floor_rps:.2f} (aim: 0.25 or more; per round: {ratios})")
    if args.pages_only:
        return 0

    def spread(values: list[float]) -> str:
        return (f"p50 {statistics.median(values) * 1000:.0f} ms, p95 {percentile(values, 0.95) * 1000:.0f} ms, "
                f"p99 {percentile(values, 0.99) * 1000:.0f} ms")

    print(f"final submission, {SIGNING_TABLETS} tablets pressing Sign at the same instant x {args.rounds} rounds "
          f"({len(signs)} signatures): {spread(signs)} (aim: p95 under 150 ms)")
    print(f"final submission, {SIGNING_TABLETS} tablets walking whole consents at once, {args.think:g} s before "
          f"each request ({len(walking)} signatures): {spread(walking)} (aim: p95 under 150 ms)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

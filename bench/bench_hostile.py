"""What each hostile input of issue 14 costs the server, next to a normal request of the same route.

    .venv/bin/python bench/bench_hostile.py [--runs 3] [--revisions 150]

In process (Flask's test client, SQLite, the app as gunicorn loads it). For every request it measures
- CPU: this process's user + system time, plus, for /verify, the CPU of the child process the file was
  judged in (reported by the child; kiosk.verify.isolation);
- memory: how far this process's resident high-water mark (VmHWM, reset before each request through
  /proc/self/clear_refs) rose above its resident size before the request, plus the child's own growth.
Each figure is the median CPU and the largest memory of --runs requests, and each hostile row is compared
with the normal request of its route (the ratio). Aim (issue 14): no hostile request costs more than 2 s of
CPU or 200 MB. The sizes are the issue's own: 30 million cross-reference entries, 150 signed revisions,
400 KB of nested arrays, 300,000 combining marks, a 100000 x 100000 pixel PNG header, a nine-level alias bomb.
"""

from __future__ import annotations

import argparse
import io
import logging
import re
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from flask import Flask

# Only the standard library at the top: each verification child runs this script again as its
# __mp_main__ (multiprocessing does that for a script), which must not import the whole app there.
ROOT = Path(__file__).resolve().parent.parent

AIM_CPU_SECONDS = 2.0
AIM_MEMORY_BYTES = 200 * 1024 * 1024
MB = 1024 * 1024


@dataclass(frozen=True)
class Cost:
    cpu: float  # seconds, server process + verification child
    memory: int  # bytes, server process growth + child growth
    note: str  # what the server answered


class Children(logging.Handler):
    """Collects what each verification child reported (kiosk.verify.isolation logs it at DEBUG)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.checked: list[Any] = []  # kiosk.verify.isolation.Checked

    def emit(self, record: logging.LogRecord) -> None:
        checked = getattr(record, "checked", None)
        if checked is not None:
            self.checked.append(checked)


def _status(field: str) -> int:
    with open("/proc/self/status", encoding="ascii") as status:
        found = re.search(rf"^{field}:\s+(\d+) kB", status.read(), re.M)
    assert found, field
    return int(found.group(1)) * 1024


def _cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def measure(children: Children, request: Callable[[], Any], describe: Callable[[Any], str]) -> Cost:
    """One request: CPU and memory growth of this process and of any verification child, and what it answered."""
    with open("/proc/self/clear_refs", "w", encoding="ascii") as refs:
        refs.write("5")  # VmHWM := VmRSS
    before = _status("VmRSS")
    children.checked.clear()
    started = _cpu()
    response = request()
    cpu = _cpu() - started
    memory = _status("VmHWM") - before
    cpu += sum(c.child_cpu_seconds for c in children.checked)
    memory += max((c.child_memory_bytes for c in children.checked), default=0)
    return Cost(cpu, memory, describe(response))


def verdict_of(response: Any) -> str:
    html = response.get_data(as_text=True)
    found = re.search(r'<section class="verdict verdict-([a-z_-]+)"', html)
    return f"HTTP {response.status_code}, " + (f"verdict {found.group(1)}" if found else "no verdict")


def message_of(response: Any) -> str:
    html = response.get_data(as_text=True)
    found = re.search(r'<p class="error"[^>]*>([^<]+)</p>', html)
    where = response.headers.get("Location")
    return f"HTTP {response.status_code}" + (f", {found.group(1)[:60]}" if found else "") + (
        f" -> {where}" if where else "")


class Clinic:
    """One app on a fresh SQLite database, with the visitors each route needs."""

    def __init__(self, app: Flask) -> None:
        from kiosk.staff import accounts
        from tests.helpers import STAFF_PASSWORD

        self.app = app
        self.addresses = 0

        session = app.extensions["kiosk_db"]()
        for role in ("frontdesk", "doctor"):
            accounts.create_user(session, email=f"{role}@x.test", role=role, name=f"{role.title()} Person",
                                 password=STAFF_PASSWORD)
        session.close()

    def verify(self, pdf: bytes) -> Callable[[], Any]:
        """An upload to /verify from an address of its own (the page allows 30 checks per address)."""
        from tests.support import csrf_token

        self.addresses += 1
        address = f"10.{self.addresses // 65536 % 256}.{self.addresses // 256 % 256}.{self.addresses % 256}"
        client = self.app.test_client()
        token = csrf_token(client.get("/verify", environ_base={"REMOTE_ADDR": address}).get_data(as_text=True))
        return lambda: client.post("/verify", data={"csrf_token": token, "document": (io.BytesIO(pdf), "x.pdf")},
                                   content_type="multipart/form-data", environ_base={"REMOTE_ADDR": address})

    def tablet_at(self, step: str) -> Any:
        from tests.support import WizardDriver

        wizard = WizardDriver(self.app.test_client())
        if step == "identity":
            wizard.start()
            wizard.get("/consent/identity")
        else:
            wizard.ready_to_sign(self.app, "co2_laser")
            wizard.get("/consent/sign")
        return wizard

    def identity(self, name: str) -> Callable[[], Any]:
        wizard = self.tablet_at("identity")
        body = f"csrf_token={quote(wizard.token or '')}&date_of_birth=1990-05-17&full_name={name}".encode()
        return lambda: wizard.client.post("/consent/identity", data=body,
                                          content_type="application/x-www-form-urlencoded")

    def desk(self, name: str) -> Callable[[], Any]:
        from tests.helpers import staff_login
        from tests.support import csrf_token

        desk = self.app.test_client()
        staff_login(desk, "frontdesk@x.test")
        token = csrf_token(desk.get("/desk/").get_data(as_text=True))
        body = (f"csrf_token={quote(token)}&date_of_birth=1990-05-17&modality=&identity_check=&issue=y"
                f"&full_name={name}").encode()
        return lambda: desk.post("/desk/", data=body, content_type="application/x-www-form-urlencoded")

    def decision(self, document_id: str, note: str) -> Callable[[], Any]:
        from tests.helpers import STAFF_PASSWORD, staff_login
        from tests.support import csrf_token

        doctor = self.app.test_client()
        staff_login(doctor, "doctor@x.test")
        token = csrf_token(doctor.get(f"/doctor/consents/{document_id}").get_data(as_text=True))
        body = (f"csrf_token={quote(token)}&decision=cleared&meaning=y&password={quote(STAFF_PASSWORD)}&note=" + note
                ).encode()
        return lambda: doctor.post(f"/doctor/consents/{document_id}", data=body,
                                   content_type="application/x-www-form-urlencoded")

    def sign(self, signature: str) -> Callable[[], Any]:
        wizard = self.tablet_at("sign")
        data = {"csrf_token": wizard.token, "consent_agree": "y", "typed_signature": "", "printed_name": "ZOË",
                "signature_data": signature}
        return lambda: wizard.client.post("/consent/sign", data=data)


def texts_with(extra: str | None) -> Callable[[], Any]:
    """Loading consent_texts/ (what check-texts and start-up do), as shipped or with `extra` appended to a file."""
    from kiosk.texts.loader import load_texts
    from kiosk.texts.model import TextsError

    folder = Path(tempfile.mkdtemp(prefix="kiosk-texts-")) / "consent_texts"
    shutil.copytree(ROOT / "consent_texts", folder)
    if extra is not None:
        common = folder / "en" / "common.yaml"
        common.write_text(common.read_text(encoding="utf-8") + extra, encoding="utf-8")

    def load() -> str:
        try:
            load_texts(folder)
        except TextsError as exc:
            return f"refused: {exc.errors[0][:70]}"
        return "loaded"

    return load


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="requests per row (median CPU, largest memory)")
    parser.add_argument("--revisions", type=int, default=150, help="signed revisions in the many-revisions PDF")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from app import create_app
    from kiosk.documents.verification import BOUNDS
    from kiosk.verify.isolation import LIMITS
    from tests import hostile
    from tests.helpers import consents, drawn_signature, seal_key_of
    from tests.live import LIVE_SIGNING_PASSPHRASE, bench_database, live_signing_key
    from tests.support import WizardDriver

    children = Children()
    isolation_log = logging.getLogger("kiosk.verify.isolation")
    isolation_log.addHandler(children)
    isolation_log.setLevel(logging.DEBUG)
    isolation_log.propagate = False

    print("making the hostile inputs ...", flush=True)
    made = time.monotonic()
    pdfs = {
        "xref stream of 30,000,000 entries": hostile.xref_claiming(30_000_000),
        f"{args.revisions} revisions, each signed by the attacker": hostile.many_signed_revisions(args.revisions),
        "arrays nested 204,800 deep (400 KB)": hostile.deeply_nested(400),
        "xref stream inflating to 250 MB": hostile.xref_stream_bomb(250),
        f"{BOUNDS.max_signatures} signatures by the attacker (the most admitted)":
            hostile.many_signed_revisions(BOUNDS.max_signatures),
    }
    print(f"  done in {time.monotonic() - made:.0f} s: " + ", ".join(f"{len(p) // 1024} KB" for p in pdfs.values()))

    with tempfile.TemporaryDirectory(prefix="kiosk-hostile-") as tmp, \
            bench_database("sqlite", Path(tmp), "kiosk_hostile", empty=False) as url:
        app = create_app({"SECRET_KEY": "hostile-" + "k" * 32, "DATABASE_URL": url, "AUTO_MIGRATE": False,
                          "SIGNING_KEY_FILE": str(live_signing_key()),
                          "SIGNING_KEY_PASSPHRASE": LIVE_SIGNING_PASSPHRASE, "ENV_NAME": "test"})
        clinic = Clinic(app)
        key = seal_key_of(app)
        WizardDriver(app.test_client()).complete(app, "co2_laser", signature_data=drawn_signature())
        consent = consents(app)[0]
        sealed, document_id = consent.documents[0].pdf, consent.document_id
        at_bound = hostile.consent_with_decisions(key, BOUNDS.max_signatures - 1)
        marks = hostile.combining_run(300_000)
        worst_admitted = ("a" + "\u0301\u0323" * 15) * 516  # 15,996 code points: inside the note's raw limit, runs of 30
        bomb = hostile.png_data_url(hostile.png_claiming(100_000, 100_000))

        rows: list[tuple[str, str, Callable[[], Callable[[], Any]], Callable[[Any], str]]] = [
            ("POST /verify", "normal: a sealed consent", lambda: clinic.verify(sealed), verdict_of),
            ("POST /verify", f"a consent with {BOUNDS.max_signatures - 1} decisions (the most admitted)",
             lambda: clinic.verify(at_bound), verdict_of),
            *(("POST /verify", name, (lambda pdf=pdf: clinic.verify(pdf)), verdict_of) for name, pdf in pdfs.items()),
            ("POST /consent/identity", "normal: a name", lambda: clinic.identity("Zo%C3%AB+%C3%91%C3%BA%C3%B1ez"),
             message_of),
            ("POST /consent/identity", "300,000 combining marks (600 KB)", lambda: clinic.identity(marks),
             message_of),
            ("POST /desk/", "normal: a name", lambda: clinic.desk("Ana+Ruiz"), message_of),
            ("POST /desk/", "300,000 combining marks (600 KB)", lambda: clinic.desk(marks), message_of),
            ("POST /doctor/consents/…", "normal: a decision with a note", lambda: clinic.decision(
                document_id, "Seen+in+person."), message_of),
            ("POST /doctor/consents/…", "300,000 combining marks in the note (600 KB)",
             lambda: clinic.decision(document_id, marks), message_of),
            ("POST /doctor/consents/…", "15,996 marks in runs of 30 (the most admitted)",
             lambda: clinic.decision(document_id, worst_admitted), message_of),
            ("POST /consent/sign", "normal: a drawn signature (1400x480)",
             lambda: clinic.sign(drawn_signature((1400, 480))), message_of),
            ("POST /consent/sign", "PNG header claiming 100000x100000", lambda: clinic.sign(bomb), message_of),
            ("check-texts / start-up", "normal: the shipped texts", lambda: texts_with(None), str),
            ("check-texts / start-up", "alias bomb, 9 levels of 9", lambda: texts_with(hostile.yaml_alias_bomb()),
             str),
        ]
        # warm-up: templates, fonts, the verification forkserver
        for _route, name, prepare, describe in rows:
            if name.startswith("normal"):
                measure(children, prepare(), describe)

        print(f"\n{args.runs} runs per row; CPU = median, memory = largest; the child's limits: "
              f"{LIMITS.cpu_seconds} s CPU, {LIMITS.memory_bytes // MB} MB, {LIMITS.wall_seconds:.0f} s wall")
        print(f"{'route':<24}{'input':<52}{'CPU s':>8}{'x normal':>10}{'memory MB':>11}{'x normal':>10}  answer")
        normal: Cost | None = None
        over = 0
        for route, name, prepare, describe in rows:
            costs = [measure(children, prepare(), describe) for _ in range(args.runs)]
            cost = Cost(statistics.median(c.cpu for c in costs), max(c.memory for c in costs), costs[-1].note)
            if name.startswith("normal"):
                normal = cost
            assert normal is not None
            within = cost.cpu <= AIM_CPU_SECONDS and cost.memory <= AIM_MEMORY_BYTES
            over += not within
            print(f"{route:<24}{name[:51]:<52}{cost.cpu:>8.3f}{cost.cpu / max(normal.cpu, 1e-6):>10.2f}"
                  f"{cost.memory / MB:>11.1f}{(cost.memory + MB) / (normal.memory + MB):>10.2f}  {cost.note}"
                  + ("" if within else "   OVER THE AIM"))
        print(f"\nmemory ratios are (MB + 1) / (normal MB + 1), as a normal request may grow the process by 0 MB; "
              f"{over} row(s) over the aim of {AIM_CPU_SECONDS:.0f} s CPU or {AIM_MEMORY_BYTES // MB} MB")
        app.extensions["kiosk_db"].kw["bind"].dispose()
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())

"""A whole clinic day in a real Chromium: two clinics of a chain, a desk at each, two doctors, eight patients.

Madrid and Valencia share one database. Each desk starts its own patients' sessions, hands over codes, follows
the day's list, cancels a session a patient changed their mind about and records a withdrawal; the patients sign
on tablets and phones in English and Spanish (clean consents, stop and review flags, a treatment other than the
one planned, a long accented name); one doctor decides a consultation, then the no-show, then the final decision;
a doctor at both clinics clears a Valencia consent; a check-in is answered before a later session; staff search
without accents. Every page it passes through is saved in `test-artifacts/clinic-day/`, with `index.html`, a
contact sheet showing them in order, to be looked at as the desk and the doctors would.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from kiosk.core.models import Consent
from tests.browser.conftest import ROOT, TABLET, TIMEOUT_MS, LiveServer
from tests.browser.test_wizard_browser import fill_birth_date
from tests.browser.walk import path_of, submit, walk_wizard
from tests.helpers import STAFF_PASSWORD

try:
    from playwright.sync_api import Page, expect
except ImportError:  # the fixtures skip (or fail under CI) with what to install
    pass

DESK: dict[str, Any] = {"viewport": {"width": 1366, "height": 768}, "screen": {"width": 1366, "height": 768},
                        "has_touch": False, "locale": "en-GB"}
PHONE: dict[str, Any] = {"viewport": {"width": 390, "height": 844}, "screen": {"width": 390, "height": 844},
                         "has_touch": True, "is_mobile": True, "device_scale_factor": 1, "locale": "es-ES"}
SITES = {"main": ("Clínica Estética Madrid", "Calle de Serrano 2, 28001 Madrid"),
         "valencia": ("Clínica Estética Valencia", "Carrer de Colón 1, 46004 València")}
STAFF = {"desk.madrid": ("frontdesk", ("main",)), "desk.valencia": ("frontdesk", ("valencia",)),
         "dr.madrid": ("doctor", ("main",)), "dr.both": ("doctor", ("main", "valencia"))}


@dataclass
class Person:
    """One of the day's patients: where they sign, in which language, on what, and how they answer."""

    key: str
    name: str
    initials: str
    site: str
    language: str
    device: str  # "tablet" or "phone"
    planned: str  # the treatment the doctor planned, as the desk chooses it
    chosen: str | None = None  # another treatment the patient picks on the tablet
    clean: bool = True  # no to every health question; else the walk's yes to the first one

    @property
    def email(self) -> str:
        return f"{'desk.madrid' if self.site == 'main' else 'desk.valencia'}@clinic.test"


DAY = [
    Person("p1", "Carmen Ruiz Ortega", "CRO", "main", "en", "tablet", "chemical_peel"),
    Person("p2", "María José Fernández-Villalobos", "MJFV", "main", "es", "phone", "co2_laser", clean=False),
    Person("p3", "Seán O'Connor", "SOC", "main", "en", "phone", "microdermabrasion", chosen="co2_laser"),
    Person("p4", "Begoña Núñez Ibáñez", "BNI", "main", "es", "tablet", "vitamin_c_injection"),
    Person("p5", "Aleksandra Wiśniewska", "AW", "valencia", "en", "tablet", "fractional_laser"),
    Person("p6", "José Luis García Peña", "JLGP", "valencia", "es", "phone", "chemical_peel", clean=False),
    Person("p7", "Zoë Ångström-Lefèvre", "ZAL", "valencia", "en", "phone", "microdermabrasion"),
    Person("p8", "Inmaculada Concepción de la Santísima Trinidad Fernández de Córdoba y Figueroa", "ICFCF",
           "valencia", "es", "tablet", "vitamin_c_injection"),
]


class ContactSheet:
    """Numbered screenshots of the whole day and an HTML page that shows them in order with what each one is."""

    def __init__(self, folder: Path) -> None:
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        self.folder = folder
        self.shots: list[tuple[str, str, str]] = []

    def __call__(self, page: Page, who: str, what: str) -> None:
        def slug(words: str, size: int) -> str:
            plain = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode().lower()
            return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:size]

        name = f"{len(self.shots) + 1:03d}-{slug(who, 30)}-{slug(what, 50)}.png"
        page.screenshot(path=str(self.folder / name), full_page=True)
        self.shots.append((name, who, what))

    def write(self) -> Path:
        rows = "\n".join(
            f'<figure><a href="{html.escape(name)}"><img src="{html.escape(name)}" loading="lazy" alt=""></a>'
            f"<figcaption><b>{number}. {html.escape(who)}</b><br>{html.escape(what)}</figcaption></figure>"
            for number, (name, who, what) in enumerate(self.shots, start=1))
        index = self.folder / "index.html"
        index.write_text(
            "<!doctype html><meta charset=utf-8><title>A clinic day</title>"
            "<style>body{font:14px sans-serif;display:flex;flex-wrap:wrap;gap:12px}"
            "figure{width:220px;margin:0}img{width:220px;border:1px solid #999}</style>\n" + rows, encoding="utf-8")
        return index


@pytest.fixture
def day_contexts(open_page: Callable[..., Page]) -> Callable[[dict[str, Any]], Page]:
    """Pages for a desk computer, a tablet or a phone, with room for a slow machine (a day is a long walk)."""
    return lambda settings: open_page(settings, TIMEOUT_MS * 2)


def set_up_the_chain(server: LiveServer) -> None:
    """The two clinics and their staff, as an administrator makes them with the commands."""
    runner = server.app.test_cli_runner()

    def run(*args: str, stdin: str | None = None) -> None:
        result = runner.invoke(args=list(args), input=stdin)
        assert result.exit_code == 0, result.output

    run("edit-site", "main", "--name", SITES["main"][0], "--address", SITES["main"][1])
    run("create-site", "valencia", "--name", SITES["valencia"][0], "--address", SITES["valencia"][1],
        "--timezone", "Europe/Madrid")
    for key, (role, sites) in STAFF.items():
        args = ["create-user", f"{key}@clinic.test", "--role", role, "--name", key.replace(".", " ").title()]
        for site in sites:
            args += ["--site", site]
        run(*args, stdin=STAFF_PASSWORD + "\n")


def sign_in(page: Page, server: LiveServer, email: str, shot: ContactSheet) -> None:
    page.goto(server.url + "/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(STAFF_PASSWORD)
    page.locator("main form button[type=submit]").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    shot(page, email, f"signed in: {path_of(page)}")


def start_session(desk: Page, server: LiveServer, person: Person, shot: ContactSheet) -> str:
    """The desk types the patient's name and date of birth, the planned treatment, the ID seen; returns the code."""
    desk.goto(server.url + "/desk/")
    desk.locator("#full_name").fill(person.name)
    fill_birth_date(desk, "1984-11-02")
    desk.locator("#modality").select_option(person.planned)
    desk.locator("#identity_check").select_option(index=2)
    shot(desk, person.email, f"start a session for {person.name}")
    desk.locator("main form button.primary[type=submit]").first.click()
    expect(desk).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    expect(desk.locator("main")).to_contain_text(person.name)
    shot(desk, person.email, f"the code for {person.name}")
    return desk.locator("#tablet-code").inner_text().strip()


def patient_hook(person: Person, shot: ContactSheet) -> Callable[[Page, str], None]:
    """What this patient does on each page before the walk answers the rest: their own names, their own choices."""

    def on_page(page: Page, where: str) -> None:
        path = where.split()[0]
        switch = page.locator(f'button.language[value="{person.language}"]')
        if path == "/" and page.locator("html").get_attribute("lang") != person.language and switch.count():
            with page.expect_navigation():
                switch.click()
        shot(page, f"{person.name} ({person.device}, {person.language})", where)
        if path == "/consent/treatment" and person.chosen and where == path:
            page.locator(f'input[name="modality"][value="{person.chosen}"]').check()
            submit(page)  # the tablet says it is not the planned treatment and asks to confirm (the walk ticks it)
            shot(page, f"{person.name} ({person.device}, {person.language})", f"{where}: not the planned treatment")
        for selector, value in (("#initials", person.initials), ("#typed_signature", person.name),
                                ("#printed_name", person.name)):
            field = page.locator(selector)
            if field.count() and field.is_visible() and not field.input_value():
                field.fill(value)
        if "screening" in path and person.clean:
            for radio in page.locator('main form input[type=radio][value="no"]').all():
                if radio.is_visible():
                    radio.check()

    return on_page


def walk_patient(make: Callable[[dict[str, Any]], Page], server: LiveServer, person: Person, code: str,
                 shot: ContactSheet, *, done: str = "/consent/done") -> Page:
    device = TABLET if person.device == "tablet" else PHONE  # each set to its owner's language
    page = make({**device, "locale": "es-ES" if person.language == "es" else "en-GB"})
    seen: list[str] = []

    def on_page(page: Page, where: str) -> None:
        if where.startswith(("/consent/identity", "/consent/done")):
            seen.append(page.locator("header .clinic").inner_text())
        hook(page, where)

    hook = patient_hook(person, shot)
    walk_wizard(page, server, code, on_page, errors=False, done=done)
    assert set(seen) <= {SITES[person.site][0]}, seen  # the patient's own clinic, never the chain's setting
    expect(page.locator("html")).to_have_attribute("lang", person.language)
    return page


def row_of(desk: Page, name: str) -> Any:
    return desk.locator("table.desk-sessions tbody tr").filter(has_text=name)


def decide(doctor: Page, server: LiveServer, document_id: str, decision: str, note: str, shot: ContactSheet,
           who: str) -> None:
    doctor.goto(f"{server.url}/doctor/consents/{document_id}")
    doctor.locator(f'input[name="decision"][value="{decision}"]').check()
    doctor.locator("#note").fill(note)
    doctor.locator("#meaning").check()
    doctor.locator("#password").fill(STAFF_PASSWORD)
    shot(doctor, who, f"deciding {decision} on {document_id}")
    doctor.locator("main form button.primary[type=submit]").last.click()
    expect(doctor.locator("p.notice[role=status]")).to_be_visible()
    shot(doctor, who, f"decided {decision} on {document_id}")


def test_a_whole_clinic_day_at_two_clinics(live_server: LiveServer,
                                           day_contexts: Callable[[dict[str, Any]], Page]) -> None:
    server = live_server
    shot = ContactSheet(Path(os.environ.get("KIOSK_ARTIFACTS_DIR") or ROOT / "test-artifacts") / "clinic-day")
    set_up_the_chain(server)
    by_key = {person.key: person for person in DAY}

    desks = {"main": day_contexts(DESK), "valencia": day_contexts(DESK)}
    sign_in(desks["main"], server, "desk.madrid@clinic.test", shot)
    sign_in(desks["valencia"], server, "desk.valencia@clinic.test", shot)
    with desks["valencia"].expect_navigation():  # Valencia's desk works in Spanish, remembered for the account
        desks["valencia"].locator('button.language[value="es"]').click()
    expect(desks["valencia"].locator("html")).to_have_attribute("lang", "es")
    for site, desk in desks.items():  # each desk's header names its own clinic
        expect(desk.locator("header .clinic")).to_have_text(SITES[site][0])

    # the morning: every patient but the one who changes their mind signs
    patients: dict[str, Page] = {}
    for person in DAY:
        code = start_session(desks[person.site], server, person, shot)
        if person.key == "p7":
            continue  # the patient leaves before starting; the desk cancels below
        patients[person.key] = walk_patient(day_contexts, server, person, code, shot)

    session = server.app.extensions["kiosk_db"]()
    ids = {person.key: session.scalar(select(Consent.document_id).where(Consent.patient_name == person.name))
           for person in DAY if person.key != "p7"}
    session.close()
    assert all(ids.values()), ids

    # a changed mind: Valencia's desk cancels Zoë's session, after a confirmation
    valencia = desks["valencia"]
    valencia.goto(server.url + "/desk/")
    row_of(valencia, by_key["p7"].name).locator("a.button").last.click()
    shot(valencia, "desk.valencia", "confirm the cancellation")
    valencia.locator('main form[action$="/cancel"] button[type=submit]').click()
    expect(row_of(valencia, by_key["p7"].name)).to_have_attribute("data-status", "cancelled")

    # each desk sees its own clinic's day only, with who may be treated and the changed treatment
    madrid = desks["main"]
    madrid.goto(server.url + "/desk/")
    shot(madrid, "desk.madrid", "today's list after the morning")
    for person in DAY:
        expect(row_of(madrid, person.name)).to_have_count(1 if person.site == "main" else 0)
    expect(row_of(madrid, by_key["p1"].name).locator(".readiness")).to_have_class(re.compile(r"readiness-ready"))
    expect(row_of(madrid, by_key["p3"].name).locator(".plan-differs")).to_be_visible()
    valencia.goto(server.url + "/desk/")
    shot(valencia, "desk.valencia", "today's list after the morning")
    for person in DAY:
        expect(row_of(valencia, person.name)).to_have_count(1 if person.site == "valencia" else 0)

    # the Madrid doctor: a consultation, then the no-show, then the final decision (three decisions, all kept)
    doctor = day_contexts(DESK)
    sign_in(doctor, server, "dr.madrid@clinic.test", shot)
    doctor.goto(server.url + "/doctor/queue")
    shot(doctor, "dr.madrid", "the working list")
    queue = doctor.locator("table.queue tbody")
    expect(queue).to_contain_text(by_key["p2"].name)
    expect(queue).to_contain_text(by_key["p3"].name)
    expect(queue).not_to_contain_text(by_key["p6"].name)  # Valencia's
    decide(doctor, server, ids["p2"], "consultation", "Seen the answer; she should come in tomorrow at 10:00.",
           shot, "dr.madrid")
    doctor.goto(server.url + "/doctor/queue")
    expect(queue.locator("tr").filter(has_text=by_key["p2"].name)).to_have_count(1)  # open work stays listed
    shot(doctor, "dr.madrid", "the working list keeps the consultation")
    decide(doctor, server, ids["p2"], "not_cleared", "Did not come to the consultation.", shot, "dr.madrid")
    decide(doctor, server, ids["p2"], "cleared", "Came two days later; examined, treatment may go ahead.",
           shot, "dr.madrid")
    expect(doctor.locator("ul.decisions li")).to_have_count(3)
    expect(doctor.locator("#readiness .readiness")).to_have_class(re.compile(r"readiness-cleared"))
    decide(doctor, server, ids["p3"], "cleared", "Discussed: CO2 laser instead of microdermabrasion is right.",
           shot, "dr.madrid")

    # the doctor at both clinics clears a Valencia consent and finds patients of both without accents
    both = day_contexts(DESK)
    sign_in(both, server, "dr.both@clinic.test", shot)
    both.goto(server.url + "/doctor/queue")
    shot(both, "dr.both", "the working list at both clinics")
    expect(both.locator("table.queue tbody")).to_contain_text(by_key["p6"].name)
    decide(both, server, ids["p6"], "cleared", "Revisado con el paciente; puede tratarse.", shot, "dr.both")
    for query, key in (("wisniewska", "p5"), ("maria jose", "p2"), ("oconnor", "p3"), ("begona nunez", "p4"),
                       ("fernandez de cordoba", "p8")):
        both.goto(f"{server.url}/doctor/queue?status=any&q={query.replace(' ', '+')}")
        shot(both, "dr.both", f"search “{query}”")
        expect(both.locator("table.queue tbody")).to_contain_text(by_key[key].name)

    # a withdrawal at the Madrid desk, found without accents, confirmed before it is sealed
    madrid.goto(f"{server.url}/course/find?q=begona")
    shot(madrid, "desk.madrid", "find “begona”")
    madrid.locator("main a", has_text=by_key["p4"].name).first.click()
    expect(madrid).to_have_url(re.compile(rf"/course/{re.escape(ids['p4'])}$"))
    shot(madrid, "desk.madrid", "Begoña's course")
    madrid.locator('input[name="how"]').first.check()
    madrid.locator("#reason").fill("Llamó para decir que prefiere no tratarse.")
    madrid.locator(f'form[action$="/course/{ids["p4"]}/withdraw"] button[type=submit]').click()
    shot(madrid, "desk.madrid", "confirm the withdrawal")
    madrid.locator(f'main form[action$="/course/{ids["p4"]}/withdraw"] button[type=submit]').click()
    expect(madrid).to_have_url(re.compile(rf"/course/{re.escape(ids['p4'])}$"))
    shot(madrid, "desk.madrid", "the withdrawal recorded")

    # a check-in before Aleksandra's later session, started by Valencia's desk, answered on the tablet
    valencia.goto(f"{server.url}/course/find?q=wisniewska")
    valencia.locator("main a", has_text=by_key["p5"].name).first.click()
    shot(valencia, "desk.valencia", "Aleksandra's course")
    valencia.locator(f'form[action$="/course/{ids["p5"]}/checkin"] button[type=submit]').click()
    expect(valencia).to_have_url(re.compile(r"/desk/sessions/\d+/code$"))
    code = valencia.locator("#tablet-code").inner_text().strip()
    shot(valencia, "desk.valencia", "the check-in code")
    walk_patient(day_contexts, server, by_key["p5"], code, shot, done="/checkin/done")

    # the end of the day at each desk: readiness for every row, the withdrawal and the check-in marked
    madrid.goto(server.url + "/desk/")
    shot(madrid, "desk.madrid", "today's list at the end of the day")
    expect(row_of(madrid, by_key["p4"].name).locator(".readiness")).to_have_class(re.compile(r"readiness-withdrawn"))
    expect(row_of(madrid, by_key["p2"].name).locator(".readiness")).to_have_class(re.compile(r"readiness-cleared"))
    valencia.goto(server.url + "/desk/")
    shot(valencia, "desk.valencia", "today's list at the end of the day")
    expect(valencia.locator('table.desk-sessions tr[data-kind="checkin"]')).to_have_count(1)
    expect(row_of(valencia, by_key["p6"].name).locator(".readiness")).to_have_class(re.compile(r"readiness-cleared"))

    index = shot.write()
    assert len(shot.shots) > 100, len(shot.shots)
    assert index.is_file()
    for page in [*desks.values(), doctor, both, *patients.values()]:
        assert page.problems == [], page.problems  # type: ignore[attr-defined]

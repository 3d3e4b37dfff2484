"""A chain of clinics on one database: each desk sees its own site, each doctor the sites they work at, an admin
all, every document prints its own site, and a single clinic never meets the word."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from kiosk.core.models import AuditEvent, Consent, Site, User
from tests.helpers import STAFF_PASSWORD, pdf_text, staff_login
from tests.support import WizardDriver, csrf_token

CODE = re.compile(r'id="tablet-code"[^>]*>([A-Z0-9]{3}-[A-Z0-9]{3})<')
MADRID = ("Clínica Estética Madrid", "Calle de Serrano 2, 28001 Madrid")
VALENCIA = ("Clínica Estética Valencia", "Carrer de Colón 1, 46004 València")


def cli(app: Flask, *args: str, stdin: str | None = None) -> Any:
    return app.test_cli_runner().invoke(args=list(args), input=stdin, catch_exceptions=False)


def db(app: Flask) -> Any:
    return app.extensions["kiosk_db"]()


def login(app: Flask, email: str) -> FlaskClient:
    client = app.test_client()
    assert staff_login(client, email).status_code == 302
    return client


@pytest.fixture
def chain(app: Flask) -> dict[str, str]:
    """Madrid (the clinic as it was: site `main`) and Valencia, a desk at each, a doctor at Madrid, one at both."""
    assert cli(app, "edit-site", "main", "--name", MADRID[0], "--address", MADRID[1]).exit_code == 0
    made = cli(app, "create-site", "valencia", "--name", VALENCIA[0], "--address", VALENCIA[1],
               "--timezone", "Europe/Madrid", "--public-url", "https://valencia.clinic.example/")
    assert made.exit_code == 0, made.output
    people = {"desk_madrid": ("frontdesk", ("main",)), "desk_valencia": ("frontdesk", ("valencia",)),
              "doctor_madrid": ("doctor", ("main",)), "doctor_both": ("doctor", ("main", "valencia")),
              "admin": ("admin", ())}
    for key, (role, sites) in people.items():
        args = ["create-user", f"{key}@x.test", "--role", role, "--name", key.replace("_", " ").title()]
        for site in sites:
            args += ["--site", site]
        result = cli(app, *args, stdin=STAFF_PASSWORD + "\n")
        assert result.exit_code == 0, result.output
    return {key: f"{key}@x.test" for key in people}


def sign_at(app: Flask, desk_email: str, name: str, modality: str = "chemical_peel") -> str:
    """The desk starts a session, the patient types its code on a tablet and signs; returns the document id."""
    desk = login(app, desk_email)
    token = csrf_token(desk.get("/desk/").get_data(as_text=True))
    started = desk.post("/desk/", data={"csrf_token": token, "full_name": name, "date_of_birth": "1985-02-03",
                                        "modality": "", "issue": "y"})
    assert started.status_code == 302, started.get_data(as_text=True)[:400]
    code = CODE.search(desk.get(started.headers["Location"]).get_data(as_text=True)).group(1)  # type: ignore[union-attr]
    tablet = WizardDriver(app.test_client())
    tablet.get("/")
    assert tablet.post("/consent/start", {"code": code}).status_code == 302
    assert tablet.identity(name=name, dob="1985-02-03").status_code == 302
    assert tablet.treatment(modality).status_code == 302
    assert tablet.explanation().status_code == 302
    tablet.risks(app, modality)
    assert tablet.comprehension(app, modality).status_code == 302
    assert tablet.screening(app, modality).status_code == 302
    assert tablet.review().status_code == 302
    assert tablet.sign(typed_signature=name, printed_name=name).status_code == 302
    return db(app).scalar(select(Consent.document_id).where(Consent.patient_name == name))


def test_a_consent_belongs_to_the_site_of_the_desk_that_started_it(app: Flask, chain: dict[str, str]) -> None:
    madrid = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    session = db(app)
    codes = {c.document_id: c.site.code for c in session.scalars(select(Consent))}
    assert codes == {madrid: "main", valencia: "valencia"}


def test_a_front_desk_sees_only_its_own_sites_patients(app: Flask, chain: dict[str, str]) -> None:
    madrid = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    desk = login(app, chain["desk_valencia"])
    today = desk.get("/desk/").get_data(as_text=True)
    assert "Vicenta València" in today and "Marta Madrid" not in today
    found = desk.get("/course/find", query_string={"q": "marta"}).get_data(as_text=True)
    assert "Marta Madrid" not in found
    assert desk.get(f"/course/{madrid}").status_code == 404  # as if it did not exist
    assert desk.get(f"/course/{valencia}").status_code == 200


def test_a_doctor_sees_the_sites_they_are_assigned_to(app: Flask, chain: dict[str, str]) -> None:
    madrid = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    only_madrid = login(app, chain["doctor_madrid"])
    queue = only_madrid.get("/doctor/queue", query_string={"status": "any"}).get_data(as_text=True)
    assert "Marta Madrid" in queue and "Vicenta València" not in queue
    assert only_madrid.get(f"/doctor/consents/{valencia}").status_code == 404
    assert only_madrid.get(f"/doctor/consents/{valencia}/revisions/1.pdf").status_code == 404
    both = login(app, chain["doctor_both"])
    queue = both.get("/doctor/queue", query_string={"status": "any"}).get_data(as_text=True)
    assert "Marta Madrid" in queue and "Vicenta València" in queue
    assert both.get(f"/doctor/consents/{madrid}").status_code == 200


def test_an_admin_sees_every_site(app: Flask, chain: dict[str, str]) -> None:
    sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    admin = login(app, chain["admin"])
    found = admin.get("/course/find", query_string={"q": "a"}).get_data(as_text=True)
    assert "Marta Madrid" in found and "Vicenta València" in found
    assert admin.get(f"/course/{valencia}").status_code == 200


def test_each_pdf_prints_its_own_sites_name_address_and_verify_address(app: Flask, chain: dict[str, str]) -> None:
    madrid = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    session = db(app)
    texts = {c.document_id: pdf_text(c.documents[0].pdf) for c in session.scalars(select(Consent))}
    assert VALENCIA[0] in texts[valencia] and VALENCIA[1] in texts[valencia]
    assert "https://valencia.clinic.example/verify" in texts[valencia]
    assert MADRID[0] in texts[madrid] and MADRID[1] in texts[madrid]
    assert VALENCIA[0] not in texts[madrid] and "valencia.clinic.example" not in texts[madrid]


def test_a_doctors_decision_is_sealed_in_the_consents_site(app: Flask, chain: dict[str, str]) -> None:
    from tests.test_doctor import decide

    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    assert decide(login(app, chain["doctor_both"]), valencia, decision="cleared", note="Seen.").status_code == 302
    consent = db(app).scalar(select(Consent).where(Consent.document_id == valencia))
    assert len(consent.documents) == 2
    assert VALENCIA[0] in pdf_text(consent.documents[1].pdf)


def test_a_login_at_several_sites_cannot_start_a_session_and_is_told_why(app: Flask, chain: dict[str, str]) -> None:
    admin = login(app, chain["admin"])
    token = csrf_token(admin.get("/desk/").get_data(as_text=True))
    response = admin.post("/desk/", data={"csrf_token": token, "full_name": "Nadie Nunca",
                                          "date_of_birth": "1985-02-03", "modality": "", "issue": "y"},
                          follow_redirects=True)
    assert response.status_code == 200
    assert "Ask an administrator to give the login one clinic" in response.get_data(as_text=True)
    assert db(app).scalar(select(Consent).where(Consent.patient_name == "Nadie Nunca")) is None


# --- commands --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("args", "message"), [
    (["create-site", "Valencia Centro", "--name", "X", "--timezone", "Europe/Madrid"], "lower-case letters"),
    (["create-site", "sevilla", "--timezone", "Europe/Madrid"], "--name"),
    (["create-site", "sevilla", "--name", "Clínica Sevilla"], "--timezone"),
    (["create-site", "sevilla", "--name", "Clínica Sevilla", "--timezone", "Europe/Sevilla"], "unknown time zone"),
    (["create-site", "sevilla", "--name", "S", "--timezone", "Europe/Madrid", "--public-url", "sevilla"],
     "public address"),
    (["create-site", "main", "--name", "Otra", "--timezone", "Europe/Madrid"], "already exists"),
    (["edit-site", "bilbao", "--name", "X"], "no site has the code 'bilbao' (sites: main)"),
], ids=["spaces", "no-name", "no-zone", "bad-zone", "bad-url", "taken", "unknown"])
def test_a_wrong_site_command_says_what_to_type(app: Flask, args: list[str], message: str) -> None:
    result = cli(app, *args)
    assert result.exit_code != 0
    assert message in result.output and "Traceback" not in result.output
    assert [s.code for s in db(app).scalars(select(Site))] == ["main"]


def test_a_single_clinics_new_login_works_at_its_one_site_without_being_asked(app: Flask) -> None:
    result = cli(app, "create-user", "solo@x.test", "--role", "frontdesk", "--name", "Sola", stdin=STAFF_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    user = db(app).scalar(select(User).where(User.email == "solo@x.test"))
    assert [s.code for s in user.sites] == ["main"]


def test_in_a_chain_a_new_login_must_say_its_site(app: Flask, chain: dict[str, str]) -> None:
    result = cli(app, "create-user", "new@x.test", "--role", "doctor", "--name", "Nueva", stdin=STAFF_PASSWORD + "\n")
    assert result.exit_code != 0 and "--site CODE (main, valencia)" in result.output
    assert db(app).scalar(select(User).where(User.email == "new@x.test")) is None


def test_a_front_desk_works_at_one_site_and_moves_by_removing_the_first(app: Flask, chain: dict[str, str]) -> None:
    refused = cli(app, "assign-site", chain["desk_madrid"], "valencia")
    assert refused.exit_code != 0 and "works at main" in refused.output
    assert cli(app, "assign-site", chain["desk_madrid"], "main", "--remove").exit_code != 0  # would leave none
    assert cli(app, "assign-site", chain["doctor_madrid"], "valencia").exit_code == 0
    moved = db(app).scalar(select(User).where(User.email == chain["doctor_madrid"]))
    assert [s.code for s in moved.sites] == ["main", "valencia"]
    actions = [e.action for e in db(app).scalars(select(AuditEvent).where(AuditEvent.action.like("site_%")))]
    assert actions.count("site_assigned") == 1 and "site_created" in actions and "site_changed" in actions


def test_sites_lists_each_site_with_its_staff(app: Flask, chain: dict[str, str]) -> None:
    output = cli(app, "sites").output
    assert re.search(r"^main\t" + MADRID[0] + r"\t.*desk_madrid@x\.test", output, re.M)
    assert re.search(r"^valencia\t" + VALENCIA[0] + r"\tEurope/Madrid\t2 staff", output, re.M)


def test_a_single_clinic_prints_its_settings_name_as_before(app: Flask, wizard: WizardDriver) -> None:
    app.config["CLINIC_NAME"] = "Clínica Única"
    assert wizard.complete(app, "chemical_peel", typed_signature="Zoë").status_code == 302
    consent = db(app).scalar(select(Consent))
    assert consent.site.code == "main" and consent.site.name is None
    assert "Clínica Única" in pdf_text(consent.documents[0].pdf)


def test_a_desk_cannot_reach_another_sites_session_by_its_number(app: Flask, chain: dict[str, str]) -> None:
    madrid_desk = login(app, chain["desk_madrid"])
    token = csrf_token(madrid_desk.get("/desk/").get_data(as_text=True))
    started = madrid_desk.post("/desk/", data={"csrf_token": token, "full_name": "Marta Madrid",
                                               "date_of_birth": "1985-02-03", "modality": "", "issue": "y"})
    code_page = started.headers["Location"]
    draft_id = re.search(r"/sessions/(\d+)/", code_page).group(1)  # type: ignore[union-attr]
    other = login(app, chain["desk_valencia"])
    assert other.get(code_page).status_code == 404
    assert other.get(f"/desk/sessions/{draft_id}/cancel").status_code == 404
    token = csrf_token(other.get("/desk/").get_data(as_text=True))
    assert other.post(f"/desk/sessions/{draft_id}/cancel", data={"csrf_token": token}).status_code == 404
    assert other.post(code_page, data={"csrf_token": token}).status_code == 404  # no new code either
    assert madrid_desk.get(code_page).status_code == 200


def test_a_doctor_at_two_clinics_reads_where_each_consent_was_signed(app: Flask, chain: dict[str, str]) -> None:
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    html = login(app, chain["doctor_both"]).get(f"/doctor/consents/{valencia}").get_data(as_text=True)
    assert re.search(r'<dd id="clinic">' + VALENCIA[0] + "</dd>", html)


def test_a_single_clinics_doctor_page_does_not_name_the_clinic_as_a_site(app: Flask, staff: dict[str, str],
                                                                        wizard: WizardDriver) -> None:
    assert wizard.complete(app, "chemical_peel", typed_signature="Zoë").status_code == 302
    document_id = db(app).scalar(select(Consent.document_id))
    html = login(app, staff["doctor"]).get(f"/doctor/consents/{document_id}").get_data(as_text=True)
    assert 'id="clinic"' not in html
    assert not re.search(r"\bsites?\b", re.sub(r"<[^>]+>", " ", html), re.I)


def test_the_upgrade_puts_everything_already_stored_in_one_site(app: Flask, staff: dict[str, str],
                                                               wizard: WizardDriver) -> None:
    from alembic import command

    from kiosk.core.migrate import alembic_config

    assert wizard.complete(app, "chemical_peel", typed_signature="Zoë").status_code == 302
    config = alembic_config(app.config["DATABASE_URL"])
    engine = app.extensions["kiosk_db"].kw["bind"]
    engine.dispose()
    command.downgrade(config, "0015")  # the schema before sites, with a signed consent and three logins in it
    command.upgrade(config, "head")
    session = db(app)
    [site] = session.scalars(select(Site)).all()
    assert site.code == "main" and site.name is None  # follows KIOSK_CLINIC_NAME, as before
    assert session.scalar(select(Consent)).site_id == site.id
    assert {u.email: [s.code for s in u.sites] for u in session.scalars(select(User))} == {
        email: ["main"] for email in staff.values()}


def test_a_chain_refuses_the_downgrade_that_would_mix_its_patients(app: Flask, chain: dict[str, str]) -> None:
    from alembic import command

    from kiosk.core.migrate import alembic_config

    engine = app.extensions["kiosk_db"].kw["bind"]
    engine.dispose()
    with pytest.raises(RuntimeError, match="more than one site"):
        command.downgrade(alembic_config(app.config["DATABASE_URL"]), "0015")
    assert [s.code for s in db(app).scalars(select(Site).order_by(Site.id))] == ["main", "valencia"]


def test_an_archive_of_one_site_holds_that_sites_consents_only(app: Flask, chain: dict[str, str], tmp_path: Path) -> None:
    madrid = sign_at(app, chain["desk_madrid"], "Marta Madrid")
    valencia = sign_at(app, chain["desk_valencia"], "Vicenta València")
    result = cli(app, "archive", str(tmp_path / "valencia"), "--site", "valencia")
    assert result.exit_code == 0, result.output
    written = {p.name for p in (tmp_path / "valencia").glob("*/*") if p.is_dir()}
    assert valencia in written and madrid not in written


def test_a_desk_in_another_time_zone_keeps_its_evening_patients_on_todays_list(app: Flask) -> None:
    """Las Palmas runs an hour behind Madrid: at 23:05 in Las Palmas it is already tomorrow in Madrid."""
    from datetime import UTC, datetime
    from zoneinfo import ZoneInfo

    from kiosk.core.clinic import services_of

    assert cli(app, "create-site", "laspalmas", "--name", "Clínica Las Palmas",
               "--timezone", "Atlantic/Canary").exit_code == 0
    assert cli(app, "create-user", "desk_lp@x.test", "--role", "frontdesk", "--name", "Desk Las Palmas",
               "--site", "laspalmas", stdin=STAFF_PASSWORD + "\n").exit_code == 0
    madrid = ZoneInfo(app.config["CLINIC_TIMEZONE"])
    services_of(app).clock = lambda: datetime(2026, 12, 3, 22, 55, tzinfo=UTC).astimezone(madrid)
    desk = login(app, "desk_lp@x.test")
    token = csrf_token(desk.get("/desk/").get_data(as_text=True))
    started = desk.post("/desk/", data={"csrf_token": token, "full_name": "Nieves Guanche Évora",
                                        "date_of_birth": "1990-05-06", "modality": "", "issue": "y"})
    assert started.status_code == 302
    services_of(app).clock = lambda: datetime(2026, 12, 3, 23, 5, tzinfo=UTC).astimezone(madrid)
    assert "Nieves Guanche Évora" in desk.get("/desk/").get_data(as_text=True)


def _own_texts(tmp_path: Path, title: str) -> Path:
    """A copy of the installation's consent_texts/ whose chemical peel has another English title."""
    import shutil

    from tests.support import ROOT

    folder = tmp_path / "valencia_texts"
    shutil.copytree(ROOT / "consent_texts", folder)
    peel = folder / "en" / "modalities" / "chemical_peel.yaml"
    text = peel.read_text(encoding="utf-8").replace("title: Chemical peel", f"title: {title}", 1)
    peel.write_text(re.sub(r'^version: "[^"]+"', 'version: "2099-01-01.1"', text, count=1, flags=re.M),
                    encoding="utf-8")  # a version of its own, as a clinic's own wording would have
    return folder


def test_a_site_with_its_own_texts_folder_gives_its_patients_those_words_and_no_other_site(
        app: Flask, chain: dict[str, str], tmp_path: Path) -> None:
    folder = _own_texts(tmp_path, "Valencia glycolic peel")
    edited = cli(app, "edit-site", "valencia", "--texts", str(folder))
    assert edited.exit_code == 0 and f"texts: {folder.resolve()}" in edited.output
    assert f"texts: {folder.resolve()}" in cli(app, "sites").output
    checked = cli(app, "check-texts")
    assert checked.exit_code == 0 and f"site valencia: its own texts in {folder.resolve()} OK" in checked.output

    valencia, madrid = sign_at(app, chain["desk_valencia"], "Vera Valencia"), sign_at(app, chain["desk_madrid"], "Mar M")
    stored = {c.document_id: c for c in db(app).scalars(select(Consent))}
    assert stored[valencia].record["treatment"]["modality_title"] == "Valencia glycolic peel"
    assert stored[madrid].record["treatment"]["modality_title"] == "Chemical peel"
    assert "Valencia glycolic peel" in pdf_text(stored[valencia].documents[0].pdf)
    # the course page judges the consent against its own clinic's texts: no re-consent asked of either
    assert stored[valencia].texts_version == "2099-01-01.1" != stored[madrid].texts_version
    # (a doctor at both clinics reads each against its own, though the pages around name no one site)
    for desk, document_id in ((chain["desk_valencia"], valencia), (chain["desk_madrid"], madrid),
                              (chain["doctor_both"], valencia), (chain["doctor_both"], madrid)):
        page = login(app, desk).get(f"/course/{document_id}").get_data(as_text=True)
        assert 'id="validity-reason"' not in page and "Start a check-in" in page, document_id

    back = cli(app, "edit-site", "valencia", "--texts", "")
    assert back.exit_code == 0 and "texts: (the installation texts)" in back.output


def test_a_broken_texts_folder_is_refused_with_every_problem_named(app: Flask, chain: dict[str, str],
                                                                   tmp_path: Path) -> None:
    folder = _own_texts(tmp_path, "Broken")
    (folder / "es" / "modalities" / "chemical_peel.yaml").write_text("title: [unclosed\n", encoding="utf-8")
    result = cli(app, "edit-site", "valencia", "--texts", str(folder))
    assert result.exit_code != 0 and "Traceback" not in result.output
    assert "have errors" in result.output and "chemical_peel.yaml" in result.output
    assert db(app).scalar(select(Site.texts_dir).where(Site.code == "valencia")) is None


def test_a_texts_folder_broken_after_it_was_set_gives_a_clear_page_not_a_stack_trace(
        app: Flask, chain: dict[str, str], tmp_path: Path) -> None:
    folder = _own_texts(tmp_path, "Soon broken")
    assert cli(app, "edit-site", "valencia", "--texts", str(folder)).exit_code == 0
    (folder / "rules.yaml").write_text("version: [\n", encoding="utf-8")  # edited by hand before the app loads it
    desk = login(app, chain["desk_valencia"])
    page = desk.get("/desk/")
    assert page.status_code == 503
    assert "the administrator must correct the texts" in page.get_data(as_text=True)
    assert "Traceback" not in page.get_data(as_text=True)
    assert login(app, chain["desk_madrid"]).get("/desk/").status_code == 200  # the other clinic goes on

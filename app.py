"""Application factory: configuration, extensions, blueprints, error pages and commands, nothing else."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from flask import Flask, has_request_context, request, session

from forms.rendering import use_fast_input_attributes
from kiosk.commands import register_commands
from kiosk.core.config import load_config
from kiosk.core import i18n
from kiosk.core import security, sites, vocabulary, web
from kiosk.core.clinic import ClinicServices, install
from kiosk.documents import signing_keys
from kiosk.documents.record import Clinic
from kiosk.documents.sealing import SealKey
from kiosk.core.extensions import babel, csrf, db, login_manager
from kiosk.core.migrate import upgrade
from kiosk.texts.folders import TextsFolders
from kiosk.texts.loader import load_texts
from kiosk.texts.model import TextsError
from kiosk.documents.paragraphs import paragraphs
from kiosk.core.translation import locale_for
from kiosk.staff import admin_views as admin
from kiosk.staff import views as auth
from kiosk.course import checkin_views as checkin
from kiosk.course import views as course
from kiosk.desk import views as desk
from kiosk.keeping import views as keeping
from kiosk.photos import views as photos
from kiosk.review import views as doctor
from kiosk.tablet import language_views as language
from kiosk.tablet import views as tablet
from kiosk.verify import views as verify
from kiosk.consent import views as wizard
from kiosk.consent import people_views as countersign
from kiosk.core.errors import register_error_handlers


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app; `config` overrides environment settings (tests pass their own)."""
    app = Flask(__name__, instance_relative_config=True)
    load_config(app, config)
    register_texts(app)
    register_languages(app)
    register_clinic(app)
    register_extensions(app)
    vocabulary.register_filters(app)
    app.register_blueprint(wizard.bp)
    app.register_blueprint(countersign.bp)
    app.register_blueprint(language.bp)
    app.register_blueprint(tablet.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(desk.bp)
    app.register_blueprint(doctor.bp)
    app.register_blueprint(admin.bp)
    app.register_blueprint(checkin.bp)
    app.register_blueprint(course.bp)
    app.register_blueprint(keeping.bp)
    app.register_blueprint(photos.bp)
    app.register_blueprint(verify.bp)
    register_error_handlers(app, broken_texts=(TextsError,))
    register_commands(app)
    return app


def register_texts(app: Flask) -> None:
    """Refuse to start on broken consent texts: a patient must never see a half-loaded form."""
    try:
        app.extensions["kiosk_texts"] = load_texts(app.config["CONSENT_TEXTS_DIR"])
    except TextsError as exc:
        raise SystemExit("The consent texts have errors; fix them and start again:\n" + str(exc)) from None
    # a site of a chain with its own folder (flask edit-site --texts) reads it; loaded once, on first use
    app.extensions["kiosk_texts_folders"] = TextsFolders(app.config["CONSENT_TEXTS_DIR"], app.extensions["kiosk_texts"])
    app.add_template_filter(paragraphs)  # `text|paragraphs`: pages cut a text where the PDF does
    app.add_template_filter(web.page_day, "day")  # dates and times as the PDFs write them: kiosk.core.dates
    app.add_template_filter(web.page_moment, "moment")
    app.add_template_filter(web.page_day_time, "day_time")


def register_clinic(app: Flask) -> None:
    """The clinic's clock, identity and seal as every feature reaches them (tests replace the clock there)."""
    config = app.config

    def seal_key(now: datetime) -> SealKey:
        return signing_keys.signing_key(config["SIGNING_KEY_FILE"], config["SIGNING_KEY_PASSPHRASE"],
                                        create_if_missing=config["ENV_NAME"] == "development",
                                        organisation=config["CLINIC_NAME"], now=now)

    install(app, ClinicServices(
        clock=lambda: datetime.now(ZoneInfo(config["CLINIC_TIMEZONE"])),
        # a site's own details where it gives them (a clinic of a chain), else the settings (a single clinic)
        identity=lambda site=None: Clinic(
            name=(site and site.name) or config["CLINIC_NAME"],
            timezone=(site and site.timezone) or config["CLINIC_TIMEZONE"],
            verify_url=((site and site.public_url) or config["PUBLIC_URL"]).rstrip("/") + "/verify",
            address=(site and site.address) or config["CLINIC_ADDRESS"] or None),
        seal_key=seal_key,
        trusted_certificates=lambda key: signing_keys.trusted_certificates(key, config["SIGNING_TRUSTED_CERTS"] or ""),
    ))
    app.add_template_global(web.in_role_group, "in_role_group")


def register_languages(app: Flask) -> None:
    """Compile the catalogues into the instance folder and offer the languages that have texts as well."""
    source = Path(app.config["TRANSLATIONS_DIR"])
    target = Path(app.instance_path) / "translations"
    try:
        i18n.compile_catalogues(source, target)
    except (i18n.CatalogueError, OSError) as exc:
        message = f"The interface translations could not be compiled; fix this and start again:\n{exc}"
        raise SystemExit(message) from None
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(target)
    app.extensions["kiosk_languages"] = i18n.offered_languages(
        app.config["BABEL_DEFAULT_LOCALE"], i18n.catalogue_languages(source),
        list(app.extensions["kiosk_texts"].languages))


def _locale(app: Flask) -> Locale:
    """Signed-in staff's own language, else the patient's choice, if still offered; else the device's language
    (Accept-Language) among those offered, so a phone set to Spanish starts in Spanish; the clinic default otherwise."""
    default = app.config["BABEL_DEFAULT_LOCALE"]
    offered = app.extensions["kiosk_languages"]
    if not has_request_context():
        return locale_for(default)
    chosen = web.staff_language() or session.get("lang")
    if chosen not in offered:
        chosen = i18n.device_language(request.accept_languages, offered)
    return locale_for(chosen if chosen in offered else default)


def register_extensions(app: Flask) -> None:
    db.init_app(app)
    if app.config["AUTO_MIGRATE"]:
        upgrade(app.config["DATABASE_URL"])
    csrf.init_app(app)
    use_fast_input_attributes()
    babel.init_app(app, locale_selector=lambda: _locale(app))
    login_manager.init_app(app)
    auth.init_login(login_manager)
    sites.install_guard()
    app.before_request(web.limit_to_staff_sites)
    security.init_app(app)

"""What every blueprint needs from the web layer: the clinic's clock and services, session keys, role groups, safe redirects."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from zoneinfo import ZoneInfo
from functools import wraps
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import urlsplit

from flask import abort, current_app, g, request, session, url_for
from flask_babel import get_locale, refresh
from flask_login import current_user, login_required, logout_user

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from kiosk.core import sites
from kiosk.core.dates import format_day, format_moment
from kiosk.core.audit import Who
from kiosk.core.extensions import db
from kiosk.core.models import Checkin, Consent, Site, TreatmentSession
from kiosk.core.clinic import services_of

if TYPE_CHECKING:
    from asn1crypto.x509 import Certificate

    from kiosk.documents.record import Clinic
    from kiosk.documents.sealing import SealKey
    from kiosk.texts.model import Texts

# The signed session cookie's keys for a patient on this browser: an open consent draft, an open check-in.
DRAFT_KEY = "draft"
CHECKIN_KEY = "checkin"
# kept by the done page so the patient who has just signed can give the optional photo consent, once
PHOTO_CONSENT_KEY = "photo_consent"
# a signed draft's token on its done page, so the patient can ask for their copy; dropped by "Finish" or a reset
COPY_KEY = "copy"
# what a browser keeps when it is handed to a patient: the device's own settings, never a staff sign-in
DEVICE_KEYS = ("lang", "device_label", "text_size", "_remember")


def read_in(language: str) -> None:
    """Show this page in the patient's consent language, so the page, its texts and the record always agree."""
    if language in offered_languages() and session.get("lang") != language:
        session["lang"] = language
        refresh()


def forget_chosen_language() -> None:
    """After a signature the next patient starts in the device's language (or the clinic's), not this patient's."""
    session.pop("lang", None)


def hand_to_patient(key: str, token: str) -> None:
    """Give this browser to a patient's draft, signing out any staff member first: a patient never holds a staff login.

    Used when the desk opens a session on its own device and when a code is typed in a browser where
    staff were signed in; only the device's settings survive (DEVICE_KEYS).
    """
    keep = {name: session[name] for name in DEVICE_KEYS if name in session}
    logout_user()
    session.clear()
    session.update(keep)
    session[key] = token

# Who may do what, by role group: the one policy views (roles_required) and templates (in_role_group) ask.
ROLE_GROUPS: dict[str, tuple[str, ...]] = {
    "staff": ("frontdesk", "doctor", "admin"),
    "desk": ("frontdesk", "admin"),
    "doctor": ("doctor", "admin"),
    "admin": ("admin",),
}


def group_roles(group: str) -> tuple[str, ...]:
    """The roles of a group; "photos" (who takes and sees treatment photos) is the clinic's KIOSK_PHOTO_ROLES, and admins."""
    if group == "photos":
        named = (r.strip() for r in str(current_app.config["PHOTO_ROLES"]).split(","))
        return tuple({r for r in named if r} | {"admin"})
    return ROLE_GROUPS[group]


def in_role_group(group: str) -> bool:
    """Whether the signed-in staff member belongs to this role group (False for anyone else)."""
    return bool(current_user and current_user.is_authenticated and current_user.role in group_roles(group))


def staff_language() -> str | None:
    """The language the signed-in member of staff chose for the staff pages, or None (then the page's default)."""
    user = current_user._get_current_object() if current_user else None
    return getattr(user, "language", None) if user is not None and user.is_authenticated else None


def roles_required(group: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only this role group in; others get a 403 page, anonymous visitors the login page."""
    if group != "photos" and group not in ROLE_GROUPS:  # a typo fails when the view is defined, not when visited
        raise KeyError(group)

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in group_roles(group):
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


def clinic_now() -> datetime:
    """Now in the clinic's time zone, so every stored time reads as the clinic's wall clock with its offset."""
    return services_of(current_app).clock()


def request_site(draft: Any = None) -> Site | None:
    """The clinic this request serves: the patient's own on a tablet (their draft's), else the staff member's one site.

    None for a visitor of no site, or staff of several (a doctor of two clinics, an admin): the settings' clinic.
    """
    site = getattr(draft if draft is not None else g.get("draft"), "site", None) or g.get("site")
    if site is None:
        user = current_user if current_user and current_user.is_authenticated else None
        if user is not None and len(user.sites) == 1:
            site = user.sites[0]
    return site


def header_clinic_name(draft: Any = None) -> str:
    """The clinic a page's header names: the patient's own clinic on a tablet, the staff member's one site, else the setting."""
    try:
        site = request_site(draft)
        return (site and site.name) or current_app.config["CLINIC_NAME"]
    except SQLAlchemyError:  # the "database unavailable" page itself must not need the database
        return current_app.config["CLINIC_NAME"]


def staff_timezone() -> ZoneInfo:
    """The wall clock of the signed-in staff member's site (when all their sites share one), else the clinic's."""
    default = current_app.config["CLINIC_TIMEZONE"]
    user = current_user if current_user and current_user.is_authenticated else None
    zones = {site.timezone or default for site in getattr(user, "sites", ())}
    return ZoneInfo(zones.pop() if len(zones) == 1 else default)


def staff_now() -> datetime:
    """Now on the staff member's site's wall clock: what "today" means on the desk's list and in date filters."""
    return clinic_now().astimezone(staff_timezone())


def current_texts() -> Texts:
    """The texts this request's clinic uses (request_site): a site's own folder where it has one, else the installation's."""
    return texts_of(request_site())


def texts_of(site: Site | None) -> Texts:
    """A site's consent texts: its own folder (loaded and validated once), else those validated at start-up."""
    folder = getattr(site, "texts_dir", None)
    if not folder:
        return current_app.extensions["kiosk_texts"]
    return current_app.extensions["kiosk_texts_folders"].get(folder)


def session_texts(session_id: int) -> Texts:
    """The texts of the site whose consent a recorded treatment session belongs to (its aftercare advice)."""
    return texts_of(db.session.scalar(select(Site).join(Consent, Consent.site_id == Site.id)
                                      .join(TreatmentSession, TreatmentSession.consent_id == Consent.id)
                                      .where(TreatmentSession.id == session_id)))


def document_texts(document_id: str) -> Texts:
    """The texts of the site a consent belongs to: what its re-consent and aftercare are judged against."""
    return texts_of(db.session.scalar(select(Site).join(Consent, Consent.site_id == Site.id)
                                      .where(Consent.document_id == document_id.strip())))


def offered_languages() -> list[str]:
    """The languages a patient may choose: a catalogue and consent texts for each (see app.register_languages)."""
    return current_app.extensions["kiosk_languages"]


def safe_next(target: str | None) -> str | None:
    """Only a path on this site; an off-site or malformed `next` (//host, a scheme, \\, control characters) is None."""
    if not target or any(ord(ch) < 33 or ord(ch) == 127 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


class Progress(NamedTuple):
    """"Step N of M" in a patient page's header (attributes, so the template reads them without a dict fallback)."""

    number: int
    total: int
    part: int = 0  # within a step of several pages (risk 3 of 14): the page and how many there are
    parts: int = 0

    @property
    def value(self) -> float:
        """Where the bar stands: a step of several pages fills its share page by page."""
        return self.number - 1 + (self.part / self.parts if self.parts else 1)


def template_url_for(endpoint: str, **values: Any) -> str:
    """url_for for templates, remembering the address of an endpoint without arguments or of a static file.

    Those addresses depend only on the URL map, fixed once the app is built, and on where the app is
    mounted; every patient page draws seven of them (stylesheet, scripts, header and idle-dialog forms).
    """
    if values and (endpoint != "static" or len(values) != 1 or "filename" not in values):
        return url_for(endpoint, **values)
    known: dict[tuple[str, str, str | None], str] = current_app.extensions.setdefault("kiosk_template_urls", {})
    key = (request.script_root, endpoint, values.get("filename"))
    address = known.get(key)
    if address is None:
        address = known[key] = url_for(endpoint, **values)
    return address


def this_page() -> str:
    """Where a header form (language, text size) comes back to: this page, or the start when it only takes POSTs."""
    if request.method == "GET":
        try:
            return request.full_path.rstrip("?")
        except UnicodeDecodeError:  # the "could not be read" page for a query string that is not UTF-8
            return request.path
    rule = request.url_rule
    return request.path if rule is not None and "GET" in (rule.methods or ()) else url_for("wizard.start")


def who(actor: str | None = None) -> Who:
    """The audit actor for this request: the signed-in staff member, or the label given (tablet, patient)."""
    user = current_user if current_user and current_user.is_authenticated else None
    return Who(
        actor=actor or (user.email if user else "anonymous"),
        actor_id=user.id if user and not actor else None,
        ip_address=request.remote_addr,
        user_agent=request.headers.get("User-Agent"),
    )


def seal_key() -> SealKey:
    """The clinic's seal from the configuration, parsed once per process; development makes a demo key."""
    return services_of(current_app).seal_key(clinic_now())


def trusted_certificates() -> list[Certificate]:
    """The certificates whose seals count as this installation's."""
    return services_of(current_app).trusted_certificates(seal_key())


def clinic(site: Site | None = None) -> Clinic:
    """The clinic's name, address, time zone and public verification address (a site's own, where it gives them)."""
    return services_of(current_app).identity(site)


def limit_to_staff_sites() -> None:
    """Before each request: signed-in staff of a chain see their own sites' records only (kiosk.core.sites)."""
    user = current_user if current_user and current_user.is_authenticated else None
    sites.limit_session(db.session, sites.scope_of(db.session, user) if user is not None else sites.EVERY_SITE)


def document_clinic(document_id: str) -> Clinic:
    """The clinic of the site a consent or check-in belongs to: who seals a decision or a withdrawal on it."""
    site = db.session.scalar(select(Site).join(Consent, Consent.site_id == Site.id)
                             .where(Consent.document_id == document_id.strip())) or db.session.scalar(
        select(Site).join(Checkin, Checkin.site_id == Site.id).where(Checkin.document_id == document_id.strip()))
    return clinic(site)


def modality_titles() -> dict[str, str]:
    """Treatment ids to their titles in the reader's language, for filters and tables (never the raw id)."""
    texts = current_texts()
    language = str(get_locale() or "en")
    return {m: texts.modality(language, m).title for m in texts.rules.modalities}


def page_day(value: date | str | None) -> str:
    """`value|day`: a calendar day the way the page's language writes it (kiosk.core.dates), as the PDF does."""
    return format_day(value, str(get_locale() or "en"))


def page_day_time(value: datetime | None) -> str:
    """`value|day_time`: a day and its hour and minute on a staff list, the day as the page's language writes it."""
    return f"{page_day(value)} {value.strftime('%H:%M')}" if value is not None else ""


def page_moment(value: datetime | str | None) -> str:
    """`value|moment`: a time in the clinic's zone with its UTC offset, the way the page's language writes it."""
    return format_moment(value, str(get_locale() or "en"), ZoneInfo(current_app.config["CLINIC_TIMEZONE"]))

"""Photo pages: the patient's photo consent on the tablet, the desk's change of it, and the doctor's treatment photos.

Treatment photos are served only to signed-in staff whose role the clinic allows (KIOSK_PHOTO_ROLES, admins
always) and only for consents of their own sites, never cached (Cache-Control: no-store, as every page).
"""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, g, redirect, render_template, request, send_file, url_for
from flask import session as browser
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from forms.base import EmptyForm
from forms.photos import PhotoChoiceForm, PhotoForm
from kiosk.consent import queries as consents
from kiosk.core import web as common
from kiosk.core.extensions import csrf, db
from kiosk.core.models import Consent
from kiosk.core.vocabulary import PHOTO_VIEW_LABELS, label
from kiosk.core.web import PHOTO_CONSENT_KEY, roles_required
from kiosk.photos import choices, treatment
from kiosk.photos.images import PhotoRefused
from kiosk.photos.storage import DatabaseStore, PhotoNotStored
from kiosk.texts.model import PHOTO_USES

bp = Blueprint("photos", __name__, url_prefix="/photos")

CHOICE_MESSAGES = {
    "withdrawn": lambda: _("This consent is withdrawn, so its photo consent cannot change here."),
    "not_sealed": lambda: _("The photo consent could not be added to the consent's sealed PDF. Nothing was saved."),
    "clash": lambda: _("Another change to this consent was saved at the same moment. Please try again."),
    "unknown_use": lambda: _("Please choose only from the uses listed."),
}


def _photo_messages() -> dict[str, str]:
    """Why a photo was refused, in words a person can act on."""
    megabytes = int(current_app.config["PHOTO_MAX_BYTES"]) // (1024 * 1024)
    return {
        "too_large": _("This photo is larger than %(mb)d MB. Please take it again at a lower resolution.",
                       mb=megabytes),
        "too_many_pixels": _("This image has too many pixels to be a camera photo. Please take the photo again."),
        "not_an_image": _("This file is not a photo. Please take a photo with the camera (JPEG, PNG or WebP)."),
        "unusable": _("This photo could not be read; the file may be damaged or incomplete. Please take it again."),
        "no_consent": _("The patient's photo consent does not allow photos for the clinical record, so none can "
                        "be taken. The front desk can record a change if the patient asks."),
        "label": _("Please choose one of the consent's areas and one of the views."),
    }


def _user() -> Any:
    return current_user._get_current_object()


def _use_words(language: str) -> list[tuple[str, str]]:
    """Each use's tick in the reader's language, from consent_texts/."""
    words = common.current_texts().language(language).common.photo_consent
    return [(u, words.uses[u] if words else u) for u in PHOTO_USES]


def _language() -> str:
    return str(get_locale() or "en")


def _record(consent: Consent, form: PhotoChoiceForm, staff: Any) -> choices.ChoiceRefused | None:
    """Record the choice for the patient (staff=None) or at the desk; the refusal, when there is one."""
    try:
        choices.record_choice(db.session, common.who("patient" if staff is None else None), consent, form.chosen(),
                              staff=staff, texts=common.current_texts(), now=common.clinic_now(),
                              timezone_name=current_app.config["CLINIC_TIMEZONE"], seal_key=common.seal_key(),
                              clinic_name=common.document_clinic(consent.document_id).name)
    except choices.ChoiceRefused as exc:
        form.uses.errors = [*form.uses.errors, CHOICE_MESSAGES[exc.reason]()]
        return exc
    return None


@bp.route("/choice", methods=["GET", "POST"])
def patient_choice() -> Any:
    """The patient's photo consent, offered on the done page right after signing."""
    consent = choices.consent_of_draft(db.session, browser.get(PHOTO_CONSENT_KEY))
    if consent is None:
        browser.pop(PHOTO_CONSENT_KEY, None)
        return redirect(url_for("wizard.start"))
    common.read_in(consent.language)  # the done page forgot the patient's language for the next patient
    g.site = consent.site  # the patient's clinic: its texts (kiosk.core.web.request_site)
    words = common.current_texts().language(_language()).common.photo_consent
    form = PhotoChoiceForm(uses=_use_words(_language()))
    if form.validate_on_submit() and _record(consent, form, None) is None:
        browser.pop(PHOTO_CONSENT_KEY, None)  # one choice per signing; later changes are made at the desk
        page = render_template("photos/choice_done.html", words=words, chosen=form.chosen())
    else:
        page = render_template("photos/choice.html", form=form, words=words)
    common.forget_chosen_language()  # ...and forgets it again, as the done page does
    return page


@bp.route("/<document_id>/choice", methods=["GET", "POST"])
@roles_required("desk")
def desk_choice(document_id: str) -> Any:
    """The desk records a change to the photo consent (or its withdrawal: nothing ticked), as the patient asks."""
    try:
        consent = choices.find_consent(db.session, document_id)
    except consents.ConsentNotFound:
        abort(404)
    current = choices.current_choice(db.session, consent, common.clinic_now().tzinfo)
    form = PhotoChoiceForm(uses=_use_words(_language()),
                           data={"uses": list(current.uses) if current else []})
    if form.validate_on_submit() and _record(consent, form, _user()) is None:
        flash(_("The photo consent is recorded in PDF revision %(n)d.", n=consent.documents[-1].revision), "info")
        return redirect(url_for("photos.desk_choice", document_id=document_id))
    return render_template("photos/desk_choice.html", form=form, consent=consent, current=current,
                           action_form=EmptyForm())


@bp.route("/<document_id>/choice/on-this-device", methods=["POST"])
@roles_required("desk")
def hand_over(document_id: str) -> Any:
    """The desk hands this device to the patient for the photo consent: the desk user is signed out of it first."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        consent = choices.find_consent(db.session, document_id)
    except consents.ConsentNotFound:
        abort(404)
    common.hand_to_patient(PHOTO_CONSENT_KEY, consent.draft.token)
    return redirect(url_for("photos.patient_choice"))


@bp.route("/<document_id>", methods=["GET"])
@roles_required("photos")
def overview(document_id: str) -> Any:
    """Before and after: each area and view side by side across the sessions, and a link to each session's photos."""
    try:
        page = treatment.compare(db.session, document_id, common.clinic_now().tzinfo)
    except consents.ConsentNotFound:
        abort(404)
    return render_template("photos/compare.html", page=page, areas=_area_words(page.consent))


def _area_words(consent: Consent) -> dict[str, str]:
    """The consent's areas in the reader's language (the words the patient chose where the texts lack one)."""
    areas = common.current_texts().language(_language()).common.areas
    return {a: areas.get(a, label) for a, label in treatment.consent_areas(consent)}


def _session_page(session_id: int, form: PhotoForm | None = None, status: int = 200) -> Any:
    try:
        page = treatment.session_photos(db.session, session_id, common.clinic_now().tzinfo)
    except treatment.SessionNotFound:
        abort(404)
    areas = _area_words(page.consent)
    form = form if form is not None else PhotoForm(areas=list(areas.items()))
    return render_template("photos/session.html", page=page, form=form, areas=areas, action_form=EmptyForm(formdata=None),
                           max_mb=int(current_app.config["PHOTO_MAX_BYTES"]) // (1024 * 1024)), status


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Any:
    """A photo past the limit, refused before it is read, with the session's page and a clear message."""
    session_id = (request.view_args or {}).get("session_id")
    if request.endpoint != "photos.session" or session_id is None:
        return render_template("error.html", title=_("Too large"), message=_photo_messages()["too_large"]), 413
    try:
        page = treatment.session_photos(db.session, int(session_id), common.clinic_now().tzinfo)
    except treatment.SessionNotFound:
        abort(404)
    form = PhotoForm(formdata=None, areas=list(_area_words(page.consent).items()))
    form.photo.errors = [_photo_messages()["too_large"]]
    return _session_page(int(session_id), form, 413)


@bp.route("/sessions/<int:session_id>", methods=["GET", "POST"], endpoint="session")
@csrf.exempt  # the form's own token is checked below, after the photo's size limit (CSRFProtect reads it first)
@roles_required("photos")
def session_photos(session_id: int) -> Any:
    """A session's photos with their SHA-256 and allowed uses, and the camera form to take more."""
    if request.method == "GET":
        return _session_page(session_id)
    try:
        page = treatment.session_photos(db.session, session_id, common.clinic_now().tzinfo)
    except treatment.SessionNotFound:
        abort(404)
    csrf.protect()  # checked here, after the size limit: a missing or stale token reads as every expired page does
    form = PhotoForm(areas=list(_area_words(page.consent).items()))
    if not form.validate_on_submit():
        return _session_page(session_id, form, 400 if "csrf_token" in form.errors else 200)
    limit = int(current_app.config["PHOTO_MAX_BYTES"])
    raw = form.photo.data.read(limit + 1)
    try:
        photo = treatment.take_photo(db.session, DatabaseStore(db.session), common.who(), _user(), session_id, raw,
                                     area=form.area.data, view=form.view.data, now=common.clinic_now(),
                                     max_bytes=limit, max_pixels=int(current_app.config["PHOTO_MAX_PIXELS"]))
    except PhotoRefused as exc:
        target = form.photo if exc.reason not in ("label",) else form.area
        target.errors = [*target.errors, _photo_messages()[exc.reason]]
        return _session_page(session_id, form, 200 if exc.reason == "no_consent" else 400)
    flash(_("Photo saved (%(area)s, %(view)s).", area=_area_words(page.consent).get(photo.area, photo.area),
            view=label(PHOTO_VIEW_LABELS, photo.view)), "info")
    return redirect(url_for("photos.session", session_id=session_id) + f"#photo-{photo.id}")


@bp.route("/image/<int:photo_id>.jpg", methods=["GET"])
@roles_required("photos")
def image(photo_id: int) -> Any:
    """A photo's stored JPEG; never cached (the app sends no-store on every response); the view is audited."""
    try:
        data = treatment.open_photo(db.session, DatabaseStore(db.session), common.who(), photo_id,
                                    now=common.clinic_now())
    except (treatment.PhotoNotFound, PhotoNotStored):
        abort(404)
    return send_file(io.BytesIO(data), mimetype="image/jpeg", max_age=0, etag=False, conditional=False,
                     download_name=f"photo-{photo_id}.jpg")


@bp.route("/image/<int:photo_id>/delete", methods=["POST"])
@roles_required("photos")
def delete(photo_id: int) -> Any:
    """Delete a photo's bytes (its row and SHA-256 stay in the session's record), once confirmed."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        photo = treatment.delete_photo(db.session, DatabaseStore(db.session), common.who(), _user(), photo_id,
                                       now=common.clinic_now())
    except treatment.PhotoAlreadyDeleted as exc:
        flash(_("This photo was already deleted."), "info")
        return redirect(url_for("photos.session", session_id=exc.session_id))
    except (treatment.PhotoNotFound, consents.ConsentNotFound):
        abort(404)
    flash(_("The photo was deleted. Its SHA-256 stays in the session's record."), "info")
    return redirect(url_for("photos.session", session_id=photo.session_id))

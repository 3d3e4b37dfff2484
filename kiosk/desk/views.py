"""Front-desk pages: start a patient's session, read its code aloud or open it here, follow and cancel today's."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from forms.base import EmptyForm
from forms.desk import StartSessionForm
from forms.people import PeopleForm
from kiosk.desk import sessions as desk
from kiosk.desk import today
from kiosk.staff import sites
from kiosk.core.extensions import db
from kiosk.consent import people
from kiosk.consent.steps import STEPS
from kiosk.core.web import DRAFT_KEY, current_texts, hand_to_patient, roles_required, staff_now, who

bp = Blueprint("desk", __name__, url_prefix="/desk")

def _locale() -> str:
    return str(get_locale() or "en")


def _modalities() -> list[tuple[str, str]]:
    return [(m.id, m.title) for m in current_texts().language(_locale()).modalities.values()]


@bp.route("/", methods=["GET", "POST"])
@roles_required("desk")
def home() -> Any:
    form = StartSessionForm(today=staff_now().date(), modalities=_modalities(),
                            minor=people.minor_on(current_texts(), staff_now().date()))
    if form.validate_on_submit():
        try:
            if form.open_here.data:
                draft = desk.open_here(db.session, form.patient(), issued_by=current_user, who=who(),
                                       language=_locale(), device_label=session.get("device_label"), now=staff_now())
                return _hand_over(draft.token)
            issued = desk.issue_session(db.session, form.patient(), issued_by=current_user, who=who(),
                                        language=_locale(), now=staff_now())
        except sites.SiteError:
            flash(_("This login works at several clinics of the chain, or at none, so a session would not know "
                    "whose patient it is. Ask an administrator to give the login one clinic."), "error")
        else:
            return redirect(url_for("desk.code", draft_id=issued.draft.id))
    rows = today.desk_day(db.session, now=staff_now())
    return render_template("desk/home.html", form=form, rows=rows, action_form=EmptyForm(),
                           modality_titles=dict(_modalities()), step_count=len(STEPS),
                           waiting_signers=people.awaiting(db.session, [r.session.draft_id for r in rows]))


@bp.route("/sessions/<int:draft_id>/people", methods=["GET", "POST"])
@roles_required("desk")
def people_page(draft_id: int) -> Any:
    """Name (or change) the representative, interpreter and witness of an open session, before they sign."""
    try:
        draft = people.open_session(db.session, draft_id)
    except people.SessionNotOpen:
        flash(_("That session is already signed or cancelled, so it cannot be changed here."), "error")
        return redirect(url_for("desk.home"))
    minor = people.draft_patient_is_minor(draft, texts=current_texts(), today=staff_now().date())
    form = PeopleForm(minor=lambda _born: minor)
    if form.validate_on_submit():
        people.name_people(db.session, draft_id, form.named(), who=who(), now=staff_now())
        flash(_("Saved. The people named sign on the patient's tablet after the patient."), "info")
        return redirect(url_for("desk.home"))
    if request.method == "GET":
        form.fill(people.named(draft))
    state = people.waiting(draft, texts=current_texts(), today=staff_now().date())
    return render_template("people/desk_people.html", form=form, row=desk.session_row(draft, staff_now()),
                           missing=bool(state.missing_at_desk), signed=state.signed)


@bp.route("/sessions/<int:draft_id>/code", methods=["GET"])
@roles_required("desk")
def code(draft_id: int) -> Any:
    try:
        draft, issued = desk.current_code(db.session, draft_id, now=staff_now())
    except desk.SessionNotFound:
        abort(404)
    return render_template("desk/code.html", draft=draft, issued=issued, action_form=EmptyForm(),
                           modality_titles=dict(_modalities()))


@bp.route("/sessions/<int:draft_id>/code", methods=["POST"])
@roles_required("desk")
def new_code(draft_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        desk.reissue_code(db.session, draft_id, issued_by=current_user, who=who(), now=staff_now())
    except desk.SessionNotFound:
        abort(404)
    except desk.SessionClosed as exc:
        flash(_closed_message(exc.status), "error")
        return redirect(url_for("desk.home"))
    return redirect(url_for("desk.code", draft_id=draft_id))


@bp.route("/sessions/<int:draft_id>/cancel", methods=["GET"])
@roles_required("desk")
def confirm_cancel(draft_id: int) -> Any:
    """Ask before cancelling: a cancelled session cannot be opened again, so one click must not do it."""
    try:
        draft, _issued = desk.current_code(db.session, draft_id, now=staff_now())
    except desk.SessionNotFound:
        abort(404)
    if draft.status != "open":
        flash(_closed_message(draft.status), "error")
        return redirect(url_for("desk.home"))
    row = desk.session_row(draft, staff_now())
    return render_template("desk/cancel.html", row=row, action_form=EmptyForm(),
                           modality_titles=dict(_modalities()))


@bp.route("/sessions/<int:draft_id>/cancel", methods=["POST"])
@roles_required("desk")
def cancel(draft_id: int) -> Response:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        desk.cancel_session(db.session, draft_id, who=who(), now=staff_now())
    except desk.SessionNotFound:
        abort(404)
    except desk.SessionClosed as exc:
        flash(_closed_message(exc.status), "error")
        return redirect(url_for("desk.home"))
    # no patient name here: flashed messages travel in the cookie
    flash(_("The session was cancelled. Its code no longer works, and its tablet went back to the start."), "info")
    return redirect(url_for("desk.home"))


@bp.route("/sessions/<int:draft_id>/copy", methods=["POST"])
@roles_required("desk")
def print_copy(draft_id: int) -> Any:
    """The patient's copy of a session signed today, as the sealed PDF to print (audited)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        revision = today.print_copy(db.session, draft_id, who=who(), now=staff_now())
    except today.NoCopyToPrint:
        flash(_("That session is not signed today, so there is no copy to print."), "error")
        return redirect(url_for("desk.home"))
    return send_file(io.BytesIO(revision.pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=f"{revision.document_id}-r{revision.revision}.pdf")


def _closed_message(status: str) -> str:
    if status == "submitted":
        return _("That session is already signed, so it cannot be changed here.")
    return _("That session was already cancelled.")


def _hand_over(token: str) -> Response:
    """Sign the staff member out of this browser and give it the patient's draft instead."""
    hand_to_patient(DRAFT_KEY, token)
    return redirect(url_for("wizard.identity"))
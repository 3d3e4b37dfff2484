"""Staff pages of a treatment course: the desk finds a consent, starts a check-in, a renewal or records a
withdrawal; the doctor decides flagged check-ins and records each session that took place."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forms.base import EmptyForm
from forms.course import CourseSearchForm, SessionForm, WithdrawForm
from forms.review import CheckinDecisionForm
from kiosk.course import aftercare, checkins
from kiosk.consent import queries as consents
from kiosk.course import history as course
from kiosk.review import decisions as reviews
from kiosk.course import withdrawal
from kiosk.core import mail
from kiosk.core.extensions import db
from kiosk.core.vocabulary import ANSWER_LABELS, DECISION_LABELS, VALIDITY_REASON_LABELS, label
from kiosk.documents.record import describe_answer
from kiosk.core import web as common
from kiosk.core.web import roles_required

bp = Blueprint("course", __name__, url_prefix="/course")

AFTERCARE_NOT_SENT = {
    "no_mail_server": lambda: _("Email is not set up for this clinic, so the aftercare sheet cannot be emailed. "
                                "Please print it for the patient."),
    "no_email": lambda: _("The patient gave no email address in their consent, so the aftercare sheet cannot be "
                          "emailed. Please print it for the patient."),
    "already_sent": lambda: _("The aftercare sheet of this session was already emailed to the patient. Print it if "
                              "they need another copy."),
    "mail_failed": lambda: _("The email could not be sent just now. Please print the aftercare sheet for the patient, "
                             "or try again later."),
}

WITHDRAWAL_MESSAGES = {
    "already_withdrawn": lambda: _("This consent is already withdrawn."),
    "how": lambda: _("Please say how the patient withdrew."),
    "too_long": lambda: _("Please keep the reason shorter."),
    "clash": lambda: _("Another change to this consent was saved at the same moment. Please try again."),
    "not_sealed": lambda: _("The withdrawal could not be added to the consent's sealed PDF. Nothing was saved."),
}


def _months() -> int:
    return int(current_app.config["CONSENT_VALID_MONTHS"])


def _user() -> Any:
    return current_user._get_current_object()


def _render(document_id: str, **forms: Any) -> Any:
    """The course page with its forms (fresh ones unless a form with errors is passed in)."""
    texts = common.document_texts(document_id)  # the consent's own clinic's texts
    try:
        page = course.course(db.session, document_id, texts=texts, now=common.clinic_now(), months=_months())
    except consents.ConsentNotFound:
        abort(404)
    forms.setdefault("withdraw_form", WithdrawForm())
    forms.setdefault("session_form", SessionForm(today=common.staff_now().date(),
                                                 data={"session_date": common.staff_now().date()}))
    titles = {m: texts.modality(str(get_locale() or "en"), m).title for m in texts.rules.modalities}
    return render_template("course/course.html", page=page, action_form=EmptyForm(), titles=titles,
                           mail_ready=mail.settings_from(current_app.config) is not None,
                           recorded=request.args.get("recorded", type=int), **forms)


@bp.route("/find", methods=["GET"])
@roles_required("staff")
def find() -> Any:
    form = CourseSearchForm(request.args)
    rows = course.find(db.session, form.q.data) if request.args and form.validate() else []
    return render_template("course/find.html", form=form, rows=rows, searched=bool(request.args))


@bp.route("/<document_id>", methods=["GET"])
@roles_required("staff")
def show(document_id: str) -> Any:
    return _render(document_id)


@bp.route("/<document_id>/checkin", methods=["POST"])
@roles_required("desk")
def start_checkin(document_id: str) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = checkins.start_checkin(db.session, document_id, texts=common.document_texts(document_id), issued_by=_user(),
                                        who=common.who(), now=common.clinic_now(), months=_months())
    except consents.ConsentNotFound:
        abort(404)
    except checkins.CheckinRefused as exc:
        assert exc.validity.reason is not None  # start_checkin refuses only a consent that is not valid, saying why
        flash(_("A check-in cannot start: %(reason)s.", reason=label(VALIDITY_REASON_LABELS, exc.validity.reason)),
              "error")
        return redirect(url_for("course.show", document_id=document_id))
    return redirect(url_for("desk.code", draft_id=issued.draft.id))


@bp.route("/<document_id>/renew", methods=["POST"])
@roles_required("desk")
def renew(document_id: str) -> Any:
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        issued = checkins.start_renewal(db.session, document_id, texts=common.document_texts(document_id), issued_by=_user(),
                                        who=common.who(), language=str(get_locale() or "en"),
                                        now=common.clinic_now(), months=_months())
    except consents.ConsentNotFound:
        abort(404)
    except checkins.CheckinRefused:
        flash(_("This consent still covers the course, so no new consent is needed."), "error")
        return redirect(url_for("course.show", document_id=document_id))
    return redirect(url_for("desk.code", draft_id=issued.draft.id))


@bp.route("/<document_id>/withdraw", methods=["POST"])
@roles_required("desk")
def withdraw(document_id: str) -> Any:
    form = WithdrawForm()
    if not form.validate_on_submit():
        return _render(document_id, withdraw_form=form)
    if form.confirmed.data != "yes":  # a withdrawal cannot be undone: ask once, without JavaScript
        try:
            found = consents.get_consent(db.session, document_id)
        except consents.ConsentNotFound:
            abort(404)
        return render_template("course/withdraw_confirm.html", consent=found, form=form)
    where = common.document_clinic(document_id)  # the site whose wall clock and name the seal carries
    try:
        document = withdrawal.withdraw(db.session, common.who(), _user(), document_id, how=form.how.data,
                                       reason=form.reason.data, now=common.clinic_now(), timezone_name=where.timezone,
                                       seal_key=common.seal_key(), clinic_name=where.name,
                                       texts=common.document_texts(document_id))
    except consents.ConsentNotFound:
        abort(404)
    except withdrawal.WithdrawalRefused as exc:
        form[exc.field].errors = [*form[exc.field].errors, WITHDRAWAL_MESSAGES[exc.message]()]
        return _render(document_id, withdraw_form=form)
    flash(_("The withdrawal is recorded in PDF revision %(n)d. Nothing was deleted.", n=document.revision), "info")
    return redirect(url_for("course.show", document_id=document_id))


@bp.route("/<document_id>/sessions", methods=["POST"])
@roles_required("doctor")
def record_session(document_id: str) -> Any:
    form = SessionForm(today=common.staff_now().date())
    if not form.validate_on_submit():
        return _render(document_id, session_form=form)
    try:
        row = checkins.record_session(db.session, common.who(), _user(), document_id, form.values(),
                                      texts=common.document_texts(document_id), now=common.clinic_now(),
                                      months=_months())
    except consents.ConsentNotFound:
        abort(404)
    except checkins.SessionRefused as exc:
        for name, message in exc.errors.items():
            target = form[name] if name in form else form.session_date
            target.errors = [*target.errors, message]
        return _render(document_id, session_form=form)
    flash(_("Session %(n)d is recorded.", n=row.number), "info")
    return redirect(url_for("course.show", document_id=document_id, recorded=row.id, _anchor="aftercare"))


@bp.route("/sessions/<int:session_id>/aftercare.pdf", methods=["GET"])
@roles_required("staff")
def aftercare_pdf(session_id: int) -> Any:
    """A session's one-page aftercare sheet in the patient's language, inline for printing (audited)."""
    try:
        sheet = aftercare.print_sheet(db.session, common.who(), session_id, texts=common.session_texts(session_id),
                                      clinic_of=common.clinic, now=common.clinic_now())
    except aftercare.SessionNotFound:
        abort(404)
    return send_file(io.BytesIO(sheet.pdf), mimetype="application/pdf", as_attachment=False,
                     download_name=sheet.filename)


@bp.route("/sessions/<int:session_id>/aftercare/email", methods=["POST"])
@roles_required("staff")
def email_aftercare(session_id: int) -> Any:
    """Email a session's aftercare sheet to the address the patient gave in their consent (once; audited)."""
    if not EmptyForm().validate_on_submit():
        abort(400)
    try:
        sheet = aftercare.email_sheet(db.session, common.who(), session_id, texts=common.session_texts(session_id),
                                      clinic_of=common.clinic, settings=mail.settings_from(current_app.config),
                                      now=common.clinic_now())
    except aftercare.SessionNotFound:
        abort(404)
    except aftercare.SheetNotSent as exc:
        flash(AFTERCARE_NOT_SENT[exc.reason](), "error")
        return redirect(url_for("course.show", document_id=exc.document_id))  # the message at the top, in view
    flash(_("The aftercare sheet of session %(n)d was emailed to the address the patient gave.",
            n=sheet.session.number), "info")
    return redirect(url_for("course.show", document_id=sheet.consent.document_id))


@bp.route("/checkins/<checkin_id>", methods=["GET", "POST"])
@roles_required("doctor")
def checkin(checkin_id: str) -> Any:
    form = CheckinDecisionForm()
    try:
        if form.validate_on_submit():
            where = common.document_clinic(checkin_id)  # the site whose wall clock and name the seal carries
            try:
                review = checkins.decide(db.session, common.who(), _user(), checkin_id, **form.values(),
                                         now=common.clinic_now(), timezone_name=where.timezone,
                                         seal_key=common.seal_key(), clinic_name=where.name)
            except reviews.DecisionRefused as exc:
                for name, message in exc.errors.items():
                    form[name].errors = [*form[name].errors, message]
            else:
                flash(_("Decision on the check-in saved and signed: %(decision)s.",
                        decision=label(DECISION_LABELS, review.decision)), "success")
                return redirect(url_for("course.checkin", checkin_id=checkin_id))
        found = checkins.get_checkin(db.session, checkin_id)
    except consents.ConsentNotFound:
        abort(404)
    tz = common.staff_timezone()
    return render_template("course/checkin.html", checkin=found, form=form, tz=tz,
                           readiness=checkins.checkin_readiness(found),
                           answers=[(a, describe_answer(a, ANSWER_LABELS))
                                    for a in (found.record or {}).get("answers", [])])


@bp.route("/checkins/<checkin_id>.pdf", methods=["GET"])
@bp.route("/checkins/<checkin_id>/revisions/<int:revision>.pdf", methods=["GET"])
@roles_required("doctor")
def checkin_pdf(checkin_id: str, revision: int | None = None) -> Any:
    """A check-in's newest PDF revision, or the one named, byte for byte; the download is audited."""
    try:
        found = checkins.open_pdf(db.session, common.who(), checkin_id, now=common.clinic_now(), revision=revision)
    except (consents.ConsentNotFound, reviews.DocumentNotFound):
        abort(404)
    return send_file(io.BytesIO(found.pdf), mimetype="application/pdf",
                     download_name=f"{checkin_id}-r{found.revision}.pdf")


"""The patient's check-in on the tablet before a later session: questions, signature, done.

The tablet holds only the check-in draft's random token (under its own session key, so the consent wizard
never opens it); the desk's one-time code puts it there (kiosk.consent.views.begin).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.consent import SignForm, screening_form
from kiosk.course import checkins
from kiosk.core.extensions import db
from kiosk.consent.records import SignatureInput
from kiosk.core.web import CHECKIN_KEY, Progress, clinic, clinic_now, current_texts, forget_chosen_language, seal_key

bp = Blueprint("checkin", __name__, url_prefix="/checkin")

STEPS = ("questions", "sign")  # shown as "Step 1 of 2" in the header, like the wizard's steps


def _progress(step: str) -> Progress:
    return Progress(STEPS.index(step) + 1, len(STEPS))


def _closed() -> Response:
    session.pop(CHECKIN_KEY, None)
    flash(_("This check-in was closed by the front desk. Please ask them for help."))
    return redirect(url_for("wizard.start"))


def checkin_page(page: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load this tablet's open check-in, send a signed one to its done page, and note when the page was shown."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            checkin = checkins.find_by_token(db.session, session.get(CHECKIN_KEY))
            if checkin is None:
                session.pop(CHECKIN_KEY, None)
                return redirect(url_for("wizard.start"))
            if checkin.status != "open":
                return redirect(url_for("checkin.done"))
            if checkin.draft.status != "open":
                return _closed()
            if request.method == "GET":
                checkins.mark_shown(db.session, checkin, page, clinic_now())
            g.draft = checkin.draft  # the patient's clinic: its header and its texts (kiosk.core.web.request_site)
            return view(checkin, *args, **kwargs)

        return wrapper

    return decorator


@bp.route("", methods=["GET", "POST"])
@checkin_page("questions")
def questions(checkin: Any) -> Any:
    texts = current_texts()
    words = texts.checkin_text(checkin.draft.language)
    asked = texts.rules.checkin_for(checkin.modality)
    form = screening_form(asked, today=clinic_now().date(), data=checkins.saved_answers(checkin),
                          labels=words.questions)
    if form.validate_on_submit():
        try:
            checkins.save_answers(db.session, checkin, form.answers(), clinic_now())
        except checkins.CheckinClosed:
            return _closed()
        return redirect(url_for("checkin.sign"))
    return render_template("course/tablet/questions.html", form=form, questions=asked, words=words,
                           modality_title=texts.modality(words.language, checkin.modality).title,
                           progress=_progress("questions"))


@bp.route("/sign", methods=["GET", "POST"])
@checkin_page("sign")
def sign(checkin: Any) -> Any:
    if not checkins.saved_answers(checkin).get("answers"):
        return redirect(url_for("checkin.questions"))
    form = SignForm(data={"printed_name": checkin.consent.patient_name})  # the name is typed once, at the consent
    words = current_texts().checkin_text(checkin.draft.language)
    if form.validate_on_submit():
        try:
            checkins.submit(db.session, checkin, SignatureInput(**form.values()), texts=current_texts(),
                            clinic=clinic(checkin.site), seal_key=seal_key(), now=clinic_now())
        except checkins.AnswersMissing:
            return redirect(url_for("checkin.questions"))
        except checkins.CheckinClosed:
            return _closed()
        return redirect(url_for("checkin.done"))
    return render_template("course/tablet/sign.html", form=form, words=words, progress=_progress("sign"))


@bp.route("/done", methods=["GET"])
def done() -> Any:
    checkin = checkins.find_by_token(db.session, session.get(CHECKIN_KEY))
    if checkin is not None and checkin.status == "open" and checkin.draft.status == "open":
        return redirect(url_for("checkin.questions"))
    session.pop(CHECKIN_KEY, None)
    if checkin is None or checkin.status == "open":
        return redirect(url_for("wizard.start"))
    g.draft = checkin.draft  # the patient's clinic's words, to the end
    words = current_texts().checkin_text(checkin.draft.language)
    page = render_template("course/tablet/done.html", words=words,
                           notice=words.flagged_notice if checkin.severity_rank <= 1 else words.clean_notice)
    forget_chosen_language()
    return page

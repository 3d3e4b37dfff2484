"""The doctors' pages: the review queue, one consent with its flagged answers, and the signed decision."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from forms.review import DecisionForm, QueueFilterForm
from kiosk.course import checkins
from kiosk.consent import queries as consents
from kiosk.review import queue as review_queue
from kiosk.review import consent_page as consent_pages
from kiosk.review import decisions as reviews
from kiosk.core.extensions import db
from kiosk.core.vocabulary import DECISION_LABELS, label
from kiosk.core import web as common
from kiosk.core.web import roles_required
from kiosk.documents.pdf.labels import labels_for
from kiosk.documents.pdf.text import identity_check
from kiosk.texts.model import LanguageTexts

bp = Blueprint("doctor", __name__, url_prefix="/doctor")


def page_window(page: int, pages: int, radius: int = 2) -> list[int | None]:
    """Page numbers to link: first, last and a few around the current one; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - radius), min(pages, page + radius) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


@bp.route("/queue", methods=["GET"])
@roles_required("doctor")
def queue() -> Any:
    """The review queue; unusable filter values are dropped and named on the page, never a 500."""
    titles = common.modality_titles()
    form = QueueFilterForm(request.args, modalities=list(titles.items()))
    values, problems = form.filters()
    page_number, page_problem = form.page_number()
    result = review_queue.queue(db.session, review_queue.QueueFilter(**values), page=page_number, tz=common.staff_timezone())
    if page_problem:
        problems.append(page_problem)
    elif result.page != result.asked_page:
        problems.append(_("There is no page %(asked)d, so page %(page)d of %(pages)d is shown.",
                          asked=result.asked_page, page=result.page, pages=result.pages))
    question_words = {qid: q.short or q.text for qid, q in _reader_texts().questions.items()}
    return render_template("review/queue.html", form=form, result=result, problems=problems, titles=titles,
                           question_words=question_words,
                           args=form.query_args(values), window=page_window(result.page, result.pages),
                           checkins=checkins.pending_review(db.session), tz=common.staff_timezone())



@bp.app_template_filter("identity_check_words")
def identity_check_words(value: str | None) -> str | None:
    """How the desk checked an identity (stored in English), in the page's language, as the consent's PDF prints it."""
    return identity_check(value, labels_for(str(get_locale() or "en")))

def _reader_texts() -> LanguageTexts:
    """The consent texts in the language this page is shown in, for translating a consent signed in another."""
    return common.current_texts().language(str(get_locale()))


@bp.route("/consents/<document_id>", methods=["GET", "POST"])
@roles_required("doctor")
def consent(document_id: str) -> Any:
    """One consent for the doctor (GET, audited as a view) and the signed decision on it (POST)."""
    form = DecisionForm()
    try:
        if request.method == "GET":
            page = consent_pages.open_consent(db.session, common.who(), document_id, common.staff_timezone(),
                                        common.clinic_now(), _reader_texts())
            return render_template("review/consent.html", page=page, form=form, titles=common.modality_titles())
        if form.validate_on_submit():
            where = common.document_clinic(document_id)  # the site whose wall clock and name the seal carries
            try:
                review = reviews.decide(db.session, common.who(), current_user._get_current_object(), document_id,
                                        **form.values(), now=common.clinic_now(),
                                        timezone_name=where.timezone, seal_key=common.seal_key(), clinic_name=where.name,
                                        texts=common.current_texts())
            except reviews.DecisionRefused as exc:
                for name, message in exc.errors.items():
                    form[name].errors = [*form[name].errors, message]
            else:
                flash(_("Decision saved and signed: %(decision)s. The PDF now has revision %(revision)d; "
                        "the patient-signed original is unchanged.",
                        decision=label(DECISION_LABELS, review.decision), revision=review.document_revision),
                      "success")
                return redirect(url_for("doctor.consent", document_id=document_id))
        page = consent_pages.consent_page(db.session, document_id, common.staff_timezone(), _reader_texts())  # not a new view
        return render_template("review/consent.html", page=page, form=form, titles=common.modality_titles())
    except consents.ConsentNotFound:
        abort(404)


@bp.route("/consents/<document_id>/revisions/<int:revision>.pdf", methods=["GET"])
@roles_required("doctor")
def revision_pdf(document_id: str, revision: int) -> Any:
    """Any stored PDF revision, byte for byte; the download is audited."""
    try:
        document = reviews.open_pdf(db.session, common.who(), document_id, revision, common.clinic_now())
    except (consents.ConsentNotFound, reviews.DocumentNotFound):
        abort(404)
    return send_file(io.BytesIO(document.pdf), mimetype="application/pdf",
                     download_name=f"{document_id}-r{document.revision}.pdf")

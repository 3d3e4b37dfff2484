"""The public /verify page: anyone may check a consent PDF or a printed code; no sign-in, no JavaScript."""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import ngettext
from flask_babel import gettext as _
from werkzeug.exceptions import RequestEntityTooLarge

from forms.verify import VerifyCodeForm, VerifyFileForm
from kiosk.verify import service as public_verify
from kiosk.core.extensions import db
from kiosk.core.web import clinic_now, trusted_certificates

bp = Blueprint("verify", __name__)


@bp.route("/verify", methods=["GET"])
def page() -> Any:
    """The two forms; with ?code=... (from the footer or the QR code) the document that code belongs to."""
    code_form = VerifyCodeForm(request.args)
    if "code" not in request.args:
        return _render(code_form=VerifyCodeForm(formdata=None))
    if not code_form.validate():
        return _render(code_form=code_form)
    try:
        known = public_verify.check_code(db.session, code_form.code.data, ip_address=request.remote_addr,
                                         now=clinic_now())
    except public_verify.TooManyChecks as exc:
        return _too_many(exc, code_form=code_form)
    if known is None:
        code_form.code.errors.append(_("No consent has this code. Please check the code on the page and type it again."))
    return _render(code_form=code_form, known=known)


@bp.route("/verify", methods=["POST"])
def upload() -> Any:
    """Check an uploaded PDF: intact, modified, unknown or not a PDF."""
    form = VerifyFileForm()
    if not form.validate_on_submit():
        return _render(file_form=form)
    data = form.document.data.read()
    try:
        result = public_verify.check_file(db.session, data, trusted_certificates(), ip_address=request.remote_addr,
                                          now=clinic_now())
    except public_verify.TooManyChecks as exc:
        return _too_many(exc, file_form=form)
    # a stored file also gets its document's list of revisions (fingerprints only), the matching one marked
    return _render(file_form=VerifyFileForm(formdata=None), result=result, known=result.known if result.stored else None,
                   filename=(form.document.data.filename or "")[:120])


@bp.errorhandler(RequestEntityTooLarge)
def too_large(_exc: RequestEntityTooLarge) -> Any:
    """Raised while the upload is read (the CSRF check reads it first): the page again, with the reason."""
    form = VerifyFileForm(formdata=None)
    form.document.errors = [_("This file is larger than 3 MB, so it cannot be a consent from this clinic.")]
    return _render(file_form=form), 413


def _too_many(exc: public_verify.TooManyChecks, **forms: Any) -> Any:
    minutes = max(1, math.ceil(exc.retry_after.total_seconds() / 60))
    message = ngettext("Too many checks were made from this address. Please wait %(num)d minute and try again.",
                       "Too many checks were made from this address. Please wait %(num)d minutes and try again.",
                       minutes)
    return _render(limit_message=message, **forms), 429, {"Retry-After": str(minutes * 60)}


def _render(**context: Any) -> str:
    context.setdefault("file_form", VerifyFileForm(formdata=None))
    context.setdefault("code_form", VerifyCodeForm(formdata=None))
    context.setdefault("clinic_tz", current_app.config["CLINIC_TIMEZONE"])
    return render_template("verify/page.html", **context)

"""The patient's own data from the course page: staff of the doctor group produce one zip, asked once, audited."""

from __future__ import annotations

import io
from typing import Any

from flask import Blueprint, abort, current_app, render_template, send_file

from forms.keeping import PatientDataForm
from kiosk.consent import queries as consents
from kiosk.core import web as common
from kiosk.core.extensions import db
from kiosk.core.web import roles_required
from kiosk.course.history import patient_consents
from kiosk.keeping import archive

bp = Blueprint("keeping", __name__, url_prefix="/course")


@bp.route("/<document_id>/patient-data", methods=["POST"])
@roles_required("doctor")  # the zip holds health answers and doctors' notes: the doctors' pages' group
def patient_data(document_id: str) -> Any:
    """First post: what the zip will hold, to confirm; second (confirmed=yes): the zip itself, as a download."""
    form = PatientDataForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirmed.data != "yes":
        try:
            found = patient_consents(db.session, document_id)
        except consents.ConsentNotFound:
            abort(404)
        return render_template("keeping/patient_data_confirm.html", document_id=document_id, consents=found,
                               form=form)
    context = archive.Context(texts=common.current_texts(), now=common.clinic_now(),
                              months=int(current_app.config["CONSENT_VALID_MONTHS"]))
    try:
        data = archive.patient_archive(db.session, document_id, context, common.who())
    except consents.ConsentNotFound:
        abort(404)
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"patient-data-{document_id}.zip")

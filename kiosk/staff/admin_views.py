"""Administrators' pages: the audit log with filters."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from flask_babel import gettext as _

from forms.staff import AuditFilterForm
from kiosk.core import audit
from kiosk.core.dates import clinic_day_range
from kiosk.consent import queries as consents
from kiosk.core.extensions import db
from kiosk.core.web import roles_required, staff_timezone, who

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


@bp.route("/audit", methods=["GET"])
@roles_required("admin")
def audit_log() -> Any:
    form = AuditFilterForm(request.args, actions=audit.ACTIONS)
    filters, problems = _filters(form)
    page = request.args.get("page", "1")
    page_number = int(page) if page.isdigit() and 0 < int(page) < 100_000 else 1
    rows, total = audit.events(db.session, filters, page=page_number, per_page=PER_PAGE)
    audit.record(db.session, who(), "audit_viewed", detail={k: v for k, v in request.args.items() if v})
    pages = max(1, -(-total // PER_PAGE))
    return render_template("staff/audit.html", form=form, rows=rows, total=total, page=min(page_number, pages),
                           pages=pages, problems=problems, query={k: v for k, v in request.args.items() if k != "page"})


def _filters(form: AuditFilterForm) -> tuple[audit.AuditFilter, list[str]]:
    """Turn the form into filters; a bad value is dropped and reported, never an error page."""
    problems: list[str] = []
    if not form.validate():
        problems = [f"{form[name].label.text}: {errors[0]}" for name, errors in form.errors.items()]
    tz = staff_timezone()
    consent_id = None
    if form.document.data and not form.document.errors:
        try:
            consent_id = consents.get_consent(db.session, form.document.data).id
        except consents.ConsentNotFound:
            problems.append(_("No consent with document id “%(id)s”.", id=form.document.data))
            consent_id = -1
    since, until = clinic_day_range(form.since.data if not form.since.errors else None,
                                    form.until.data if not form.until.errors else None, tz)
    action = form.action.data if form.action.data in audit.ACTIONS else None
    return audit.AuditFilter(action=action, actor=(form.actor.data or None) if not form.actor.errors else None,
                             consent_id=consent_id, since=since, until=until), problems

"""Staff sign-in and sign-out, the idle timeout, and the signed-consents list where doctors open each consent's PDF."""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

from flask import (Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, session,
                   url_for)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import LoginManager, current_user, login_user, logout_user, user_logged_out

from forms.staff import LoginForm
from forms.base import LanguageForm
from forms.base import EmptyForm
from kiosk.staff import accounts
from kiosk.staff import sessions as staff_sessions
from kiosk.core import audit
from kiosk.consent import queries as consents
from kiosk.review import queue as review_queue
from kiosk.review import decisions as reviews
from kiosk.core.extensions import db
from kiosk.core.security import renew_csrf_token
from kiosk.core.translation import lazy_gettext as _l
from kiosk.core.vocabulary import ROLE_LABELS, label
from kiosk.core import web as common
from kiosk.core.web import roles_required

bp = Blueprint("auth", __name__)


def init_login(manager: LoginManager) -> None:
    """Tell Flask-Login how to load staff and where to send anonymous visitors."""
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.user_loader(lambda user_id: staff_sessions.signed_in_user(db.session, user_id, session.get(SIGN_IN_KEY)))
    user_logged_out.connect(_end_server_session, weak=False)


SIGN_IN_KEY = "staff_sign_in"  # the cookie's half of the sign-in (a random value); the server's half is a staff_sessions row


def _end_server_session(_app: Any, user: Any = None, **_extra: Any) -> None:
    """Every sign-out (the button, idle expiry, handing a browser to a patient) ends the sign-in for every copy."""
    staff_sessions.end(db.session, session.get(SIGN_IN_KEY), reason="signed_out", now=common.clinic_now())
    session.pop(SIGN_IN_KEY, None)


# Each role's pages: (endpoint, label). The first is where the role lands after signing in.
ROLE_PAGES: dict[str, tuple[tuple[str, Any], ...]] = {
    "frontdesk": (("desk.home", _l("Today's sessions")),),
    "doctor": (("doctor.queue", _l("Review queue")), ("auth.staff_home", _l("All consents"))),
    "admin": (("admin.audit_log", _l("Audit log")), ("doctor.queue", _l("Review queue")),
              ("desk.home", _l("Front desk")), ("auth.staff_home", _l("All consents"))),
}


def home_for(role: str) -> str:
    """The URL a role lands on after signing in."""
    for endpoint, _label in ROLE_PAGES.get(role, ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("auth.staff_home")


@bp.route("/staff/language", methods=["POST"])
@roles_required("staff")
def language() -> Any:
    """The staff pages in the chosen language, remembered for this account; back to the same page."""
    form = LanguageForm(languages=common.offered_languages())
    if not form.validate_on_submit():
        abort(400)
    accounts.set_language(db.session, current_user._get_current_object(), form.lang.data)
    return redirect(common.safe_next(form.next.data) or home_for(current_user.role))


@bp.app_context_processor
def staff_context() -> dict[str, Any]:
    """The staff bar's links and sign-out form, for signed-in staff only."""
    if not current_user.is_authenticated:
        return {}
    links = [
        {"url": url_for(endpoint), "label": str(label), "current": request.endpoint == endpoint}
        for endpoint, label in ROLE_PAGES.get(current_user.role, ())
        if endpoint in current_app.view_functions
    ]
    role = label(ROLE_LABELS, current_user.role)
    # formdata=None: the sign-out form is only drawn here, and reading this request's body could fail
    # again inside an error page (a body over the size limit would turn the 413 page into a 500)
    return {"staff_links": links, "logout_form": EmptyForm(formdata=None), "staff_role": role}


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Sign staff in; wrong and locked tries get a message, and the service records every try."""
    form = LoginForm()
    if form.validate_on_submit():
        now = common.clinic_now()
        result = accounts.authenticate(db.session, form.email.data, form.password.data,
                                       ip_address=request.remote_addr, user_agent=request.headers.get("User-Agent"),
                                       now=now)
        if result.user is not None:
            login_user(result.user)
            renew_csrf_token()
            session[SIGN_IN_KEY] = staff_sessions.start(db.session, result.user, now)
            return redirect(common.safe_next(request.args.get("next")) or home_for(result.user.role))
        if result.outcome == "locked":
            refusal = ngettext("Too many attempts. Try again in %(num)d minute.",
                               "Too many attempts. Try again in %(num)d minutes.", result.retry_minutes)
            return (render_template("staff/login.html", form=form, refusal=refusal), 429,
                    {"Retry-After": str(result.retry_minutes * 60)})
        form.password.errors.append(_("That email and password do not match an active account."))
    return render_template("staff/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """Sign out, written to the audit log."""
    if EmptyForm().validate_on_submit() and current_user.is_authenticated:
        audit.record(db.session, common.who(), "logout", at=common.clinic_now())
        logout_user()
    return redirect(url_for("auth.login"))


# The idle timeout: each sign-in's last request is noted on the server; one that comes too late signs the user out.
TABLET_BLUEPRINTS = frozenset({"wizard", "checkin"})  # the patient's pages: never timed out, never keep a staff login alive


@bp.before_app_request
def end_idle_staff_session() -> Any:
    """Sign staff out after STAFF_IDLE_MINUTES without a request, so an unattended screen does not stay signed in."""
    if request.endpoint in (None, "static") or request.blueprint in TABLET_BLUEPRINTS:
        return None
    if not current_user.is_authenticated:
        return None
    now = common.clinic_now()
    minutes = int(current_app.config.get("STAFF_IDLE_MINUTES", 15))
    token = session.get(SIGN_IN_KEY)
    if staff_sessions.still_active(db.session, token, now=now, idle=timedelta(minutes=minutes)):
        return None
    idle = staff_sessions.idle_for(db.session, token, now) or timedelta(minutes=minutes)
    audit.record(db.session, common.who(), "session_expired", at=now,
                 detail={"idle_minutes": int(idle.total_seconds() // 60), "limit_minutes": minutes})
    logout_user()
    flash(ngettext("You were signed out after %(num)d minute without activity.",
                   "You were signed out after %(num)d minutes without activity.", minutes))
    back = request.full_path.rstrip("?") if request.method == "GET" and request.endpoint != "auth.login" else None
    return redirect(url_for("auth.login", next=back))


@bp.route("/staff", methods=["GET"])
@roles_required("staff")
def staff_home() -> Any:
    return render_template("staff/consents.html", rows=review_queue.staff_list(db.session, limit=200),
                           titles=common.modality_titles())


@bp.route("/staff/consents/<document_id>.pdf", methods=["GET"])
@roles_required("doctor")
def consent_pdf(document_id: str) -> Any:
    try:  # the newest revision; the download is written to the audit log
        document = reviews.open_pdf(db.session, common.who(), document_id, now=common.clinic_now())
    except consents.ConsentNotFound:
        abort(404)
    return send_file(io.BytesIO(document.pdf), mimetype="application/pdf", download_name=f"{document_id}.pdf")

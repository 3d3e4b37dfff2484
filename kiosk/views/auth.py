"""Staff sign-in and the signed-consents list, where doctors open each consent's PDF."""

from __future__ import annotations

import io
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlsplit

from flask import Blueprint, abort, current_app, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import LoginManager, current_user, login_required, login_user, logout_user


from forms.auth import LoginForm
from forms.base import EmptyForm
from kiosk import accounts, consents
from kiosk.extensions import db

bp = Blueprint("auth", __name__)


def init_login(manager: LoginManager) -> None:
    """Tell Flask-Login how to load staff and where to send anonymous visitors."""
    manager.login_view = "auth.login"
    manager.login_message = None
    manager.user_loader(lambda user_id: accounts.get_user(db.session, user_id))


def roles_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Let only these staff roles in; others get a 403 page, anonymous visitors the login page."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        @login_required
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapper

    return decorator


# Each role's pages: (endpoint, label). The first is where the role lands after signing in.
ROLE_PAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "frontdesk": (("desk.home", "Today's sessions"),),
    "doctor": (("doctor.queue", "Review queue"), ("auth.staff_home", "All consents")),
    "admin": (("admin.audit", "Audit log"), ("doctor.queue", "Review queue"), ("auth.staff_home", "All consents")),
}


def home_for(role: str) -> str:
    """The URL a role lands on after signing in."""
    for endpoint, _label in ROLE_PAGES.get(role, ()):
        if endpoint in current_app.view_functions:
            return url_for(endpoint)
    return url_for("auth.staff_home")


@bp.app_context_processor
def staff_context() -> dict[str, Any]:
    """The staff bar's links and sign-out form, for signed-in staff only."""
    if not current_user.is_authenticated:
        return {}
    links = [
        {"url": url_for(endpoint), "label": _(label), "current": request.endpoint == endpoint}
        for endpoint, label in ROLE_PAGES.get(current_user.role, ())
        if endpoint in current_app.view_functions
    ]
    return {"staff_links": links, "logout_form": EmptyForm()}


def _safe_next(target: str | None) -> str | None:
    """Only same-site paths; an off-site `next` is ignored."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    form = LoginForm()
    if form.validate_on_submit():
        user = accounts.authenticate(db.session, form.email.data, form.password.data)
        if user is not None:
            login_user(user)
            return redirect(_safe_next(request.args.get("next")) or home_for(user.role))
        form.password.errors.append(_("That email and password do not match an active account."))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    if EmptyForm().validate_on_submit():
        logout_user()
    return redirect(url_for("auth.login"))


@bp.route("/staff", methods=["GET"])
@roles_required("frontdesk", "doctor", "admin")
def staff_home() -> Any:
    return render_template("auth/consents.html", rows=consents.list_consents(db.session, limit=200))


@bp.route("/staff/consents/<document_id>.pdf", methods=["GET"])
@roles_required("doctor", "admin")
def consent_pdf(document_id: str) -> Any:
    try:
        document = consents.latest_document(consents.get_consent(db.session, document_id))
    except consents.ConsentNotFound:
        abort(404)
    return send_file(io.BytesIO(document.pdf), mimetype="application/pdf", download_name=f"{document_id}.pdf")

"""The shared tablet itself: text size and the idle reset, kept in the Flask session and never in patient data.

A tablet left alone forgets its patient: the page's script asks "Are you still there?" after
KIOSK_IDLE_SECONDS and resets after a further KIOSK_IDLE_COUNTDOWN_SECONDS; the server does the same on
the next request when the script could not (no JavaScript, a closed lid). The draft itself stays on the
server, so the front desk can issue a new code and the patient carries on where they left off.
"""

from __future__ import annotations

import time
from typing import Any, NamedTuple

from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from forms.tablet import TEXT_SIZES, TextSizeForm
from kiosk.core.web import CHECKIN_KEY, COPY_KEY, DRAFT_KEY, PHOTO_CONSENT_KEY, safe_next, this_page

bp = Blueprint("tablet", __name__)

TEXT_SIZE_KEY = "text_size"
SEEN_KEY = "patient_seen"  # epoch seconds of this browser's last request while it held a draft token
# what a reset forgets: the patient's draft token and their choices for this screen
PATIENT_KEYS = (DRAFT_KEY, CHECKIN_KEY, COPY_KEY, PHOTO_CONSENT_KEY, SEEN_KEY, TEXT_SIZE_KEY, "lang")


def _idle_limit() -> int:
    """Seconds without a request after which the server forgets the draft token: the dialog's idle time plus its countdown."""
    return int(current_app.config["IDLE_SECONDS"]) + int(current_app.config["IDLE_COUNTDOWN_SECONDS"])


def _in_progress() -> bool:
    """This browser is part-way through a consent or a check-in."""
    return DRAFT_KEY in session or CHECKIN_KEY in session or PHOTO_CONSENT_KEY in session


def _holds_a_patient() -> bool:
    """Part-way through, or on the done page still offering the patient's copy: the idle reset forgets either."""
    return _in_progress() or COPY_KEY in session


def forget_patient() -> None:
    """Drop everything of the patient from this browser's session; the draft itself stays on the server."""
    for key in PATIENT_KEYS:
        session.pop(key, None)


@bp.before_app_request
def forget_an_idle_patient() -> None:
    """Server-side idle reset: a draft token untouched for longer than the dialog allows is forgotten."""
    if request.endpoint == "static":
        return
    if not _holds_a_patient():
        session.pop(SEEN_KEY, None)  # a signed or reset patient's clock must not count against the next one
        return
    now = int(time.time())
    seen = session.get(SEEN_KEY)
    if isinstance(seen, int) and now - seen > _idle_limit():
        forget_patient()
        flash(_reset_message())
        return
    session[SEEN_KEY] = now


def _reset_message() -> str:
    return _("For your privacy, the screen went back to the start. Your answers are saved: "
             "the front desk can give you a new code to carry on.")


class IdleTimer(NamedTuple):
    """What the idle dialog's script needs: when to ask, how long to count down, and whether to keep the clock going."""

    seconds: int
    countdown: int
    keepalive: bool

    @property
    def countdown_label(self) -> str:
        """The countdown's starting figure as the dialog shows it, minutes:seconds."""
        return f"{self.countdown // 60}:{self.countdown % 60:02d}"


def _idle_timer() -> IdleTimer:
    config = current_app.config
    # the done page resets but keeps nothing alive: only a consent in progress keeps the idle clock going
    return IdleTimer(int(config["IDLE_SECONDS"]), int(config["IDLE_COUNTDOWN_SECONDS"]), _in_progress())


@bp.app_context_processor
def tablet_context() -> dict[str, Any]:
    """The text-size control for patient pages, and the idle timer for pages that belong to a patient."""
    staff = bool(current_user and current_user.is_authenticated)
    size = session.get(TEXT_SIZE_KEY, "normal")
    idle = not staff and (_holds_a_patient() or request.endpoint in ("wizard.done", "checkin.done"))
    return {
        "text_size": size if size in dict(TEXT_SIZES) else "normal",
        "text_sizes": TEXT_SIZES,
        "text_size_next": None if staff else this_page(),  # the text-size form, back to this page
        "idle_timer": _idle_timer() if idle else None,
    }


@bp.route("/tablet/text-size", methods=["POST"])
def text_size() -> Response:
    """Remember the chosen text size for this browser session and show the same page again."""
    form = TextSizeForm()
    if form.validate_on_submit():
        session[TEXT_SIZE_KEY] = form.size.data
    return redirect(safe_next(form.next.data) or url_for("wizard.start"), 303)


@bp.route("/tablet/reset", methods=["POST"])
def reset() -> Response:
    """Nobody answered the idle dialog: forget the patient here and go back to the start page."""
    had_patient = _holds_a_patient()
    forget_patient()
    if had_patient:
        flash(_reset_message())
    return redirect(url_for("wizard.start"), 303)


@bp.route("/tablet/still-here", methods=["POST"])
def still_here() -> tuple[str, int]:
    """The patient is active on the page (or pressed Continue): the request itself refreshes the idle clock."""
    return "", 204 if _holds_a_patient() else 410

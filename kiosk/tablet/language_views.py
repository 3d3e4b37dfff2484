"""The language switch: a small POST form on every patient page that works without JavaScript."""

from __future__ import annotations

from typing import Any, NamedTuple

from flask import Blueprint, abort, redirect, request, session, url_for
from flask_babel import get_locale
from werkzeug.wrappers import Response

from forms.base import LanguageForm
from kiosk.consent import drafts
from kiosk.core import i18n
from kiosk.core.extensions import db
from kiosk.core.web import CHECKIN_KEY, DRAFT_KEY, clinic_now, offered_languages, safe_next, this_page

bp = Blueprint("language", __name__)


class LanguageChoice(NamedTuple):
    """One button of the language switch: the code it sends and the language's own name."""

    code: str
    name: str


@bp.app_context_processor
def language_context() -> dict[str, Any]:
    """The other languages to offer, the page to return to, and whether a patient may read this page (the switch shows)."""
    current = str(get_locale() or "en")
    choices = [LanguageChoice(code, i18n.language_name(code)) for code in offered_languages() if code != current]
    return {"language_choices": choices, "language_next": this_page(), "patient_page": request.blueprint in ("wizard", "checkin", "verify")
            or request.endpoint == "photos.patient_choice"}


@bp.route("/language", methods=["POST"])
def switch() -> Response:
    """Interface and consent texts in the chosen language; answers already given stay as they are."""
    form = LanguageForm(languages=offered_languages())
    if not form.validate_on_submit():
        abort(400)
    session["lang"] = form.lang.data
    draft = drafts.find_draft(db.session, session.get(DRAFT_KEY) or session.get(CHECKIN_KEY))
    if draft is not None:
        drafts.set_language(db.session, draft, form.lang.data, clinic_now())
    return redirect(safe_next(form.next.data) or url_for("wizard.start"))

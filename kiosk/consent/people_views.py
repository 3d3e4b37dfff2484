"""The tablet pages where a representative, an interpreter and a witness sign, one after another, after the patient."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, session, url_for
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.consent import SignForm
from kiosk.consent import drafts, people, steps, submission
from kiosk.core.extensions import db
from kiosk.core.vocabulary import SIGNER_ROLE_LABELS
from kiosk.core.web import DRAFT_KEY, clinic, clinic_now, current_texts, seal_key, who
from kiosk.rules.people import ROLES

bp = Blueprint("countersign", __name__, url_prefix="/consent/countersign")


def _draft_or_redirect() -> tuple[Any, Response | None]:
    """The patient's open draft, or where to go instead (start, the done page, the step still open)."""
    draft = drafts.find_draft(db.session, session.get(DRAFT_KEY))
    if draft is None:
        return None, redirect(url_for("wizard.start"))
    if draft.status != "open":
        return None, redirect(url_for("wizard.done"))
    open_step = steps.first_open(drafts.completed(draft))
    if open_step != "sign":
        return None, redirect(url_for(f"wizard.{open_step}"))
    g.draft = draft  # the patient's clinic: its header and its texts (kiosk.core.web.request_site)
    return draft, None


@bp.route("", methods=["GET"])
def next_signer() -> Any:
    """The page of whoever signs next; a page asking for the desk when the session names no one for that role."""
    draft, elsewhere = _draft_or_redirect()
    if elsewhere is not None:
        return elsewhere
    state = people.waiting(draft, texts=current_texts(), today=clinic_now().date())
    if not people.patient_signed(draft):
        return redirect(url_for("wizard.sign"))
    if state.next_role is None:
        return redirect(url_for("wizard.sign"))
    if state.next_role in state.missing_at_desk:
        return render_template("people/ask_desk.html", role=state.next_role)
    return _page(draft, state.next_role, SignForm())


@bp.route("/<role>", methods=["POST"])
def sign(role: str) -> Any:
    if role not in ROLES:
        return redirect(url_for("countersign.next_signer"))
    draft, elsewhere = _draft_or_redirect()
    if elsewhere is not None:
        return elsewhere
    form = SignForm()
    if not form.validate_on_submit():
        return _page(draft, role, form)
    try:
        consent = people.countersign(db.session, draft, role, submission.SignatureInput(**form.values()),
                                     texts=current_texts(), clinic=clinic(draft.site), seal_key=seal_key(),
                                     who=who("tablet"), now=clinic_now())
    except people.AlreadySigned:
        flash(_("The %(role)s has already signed this consent. Their first signature is kept.",
                role=SIGNER_ROLE_LABELS[role]), "error")
        return redirect(url_for("countersign.next_signer"))
    except (people.NotNamed, people.NotSignedByPatient):
        return redirect(url_for("countersign.next_signer"))
    except submission.NotReadyToSign as exc:
        return redirect(url_for(f"wizard.{exc.first_open}"))
    except submission.DraftClosed:
        session.pop(DRAFT_KEY, None)
        return redirect(url_for("wizard.start"))
    if consent is not None:
        return redirect(url_for("wizard.done"))
    return redirect(url_for("countersign.next_signer"))


def _page(draft: Any, role: str, form: SignForm) -> Any:
    """One person's statement and signature fields, with their name as the desk entered it."""
    statement = people.statement(draft, role, texts=current_texts())
    if statement is None:  # named by no one (the desk changed it meanwhile): the next page says what is needed
        return redirect(url_for("countersign.next_signer"))
    if not form.is_submitted():
        form.printed_name.data = statement.name
    return render_template("people/countersign.html", form=form, role=role, statement=statement)

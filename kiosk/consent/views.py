"""The patient's tablet wizard. Each view parses its form, calls one service, and renders or redirects."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from functools import wraps
from typing import Any

from flask import Blueprint, current_app, flash, g, redirect, render_template, request, session, url_for
from flask_babel import get_locale, ngettext
from flask_login import current_user
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from forms.consent import (
    ExplanationForm,
    IdentityForm,
    ReviewForm,
    RiskForm,
    SignForm,
    TreatmentForm,
    comprehension_form,
    screening_form,
)
from forms.base import EmptyForm
from forms.desk import TabletCodeForm
from kiosk.course import checkins
from kiosk.rules import comprehension as checks
from kiosk.rules import initials as initials_rules
from kiosk.desk import sessions as desk
from kiosk.consent import drafts
from kiosk.consent import steps
from kiosk.consent import patient_copy, records, submission
from kiosk.core import audit, mail
from kiosk.core.extensions import db
from kiosk.core.vocabulary import ANSWER_LABELS
from kiosk.core.web import (CHECKIN_KEY, COPY_KEY, DRAFT_KEY, PHOTO_CONSENT_KEY, Progress, clinic, clinic_now,
                            current_texts, forget_chosen_language, hand_to_patient, header_clinic_name,
                            page_day, read_in, seal_key, template_url_for, who)
from kiosk.documents.record import answer_as_read, describe_answer

bp = Blueprint("wizard", __name__)



@bp.app_context_processor
def layout_context() -> dict[str, Any]:
    """What the base layout shows on every page: clinic name, language, and the step indicator."""
    step = g.get("step")
    progress = Progress(steps.number(step), len(steps.STEPS), *g.get("within", (0, 0))) if step else None
    return {"clinic_name": header_clinic_name(g.get("draft")), "page_lang": str(get_locale() or "en"),
            "progress": progress}


bp.add_app_template_global(template_url_for, "url_for")


def _redirect_to(step: str) -> Response:
    return redirect(url_for(f"wizard.{step}"))


def draft_step(step: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the patient's draft, keep steps in order, and note when each page was shown."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            draft = drafts.find_draft(db.session, session.get(DRAFT_KEY))
            if draft is None:
                session.pop(DRAFT_KEY, None)
                return redirect(url_for("wizard.start"))
            if draft.status != "open":
                if draft.status == "cancelled":  # the desk closed it: this tablet goes back to the code page
                    session.pop(DRAFT_KEY, None)
                    flash(_("This session was closed by the front desk. Please ask them for help."))
                    return redirect(url_for("wizard.start"))
                return redirect(url_for("wizard.done"))
            done = drafts.completed(draft)
            if not steps.may_visit(step, done):
                return _redirect_to(steps.first_open(done))
            read_in(draft.language)
            g.draft = draft
            g.step = step
            if request.method == "GET":
                drafts.mark_shown(db.session, draft, step, clinic_now())
            try:
                return view(draft, *args, **kwargs)
            except drafts.StepNotAllowed as exc:
                return _redirect_to(exc.first_open)

        return wrapper

    return decorator


def _after_save(draft: Any) -> Response:
    return _redirect_to(steps.first_open(drafts.completed(draft)))


@bp.route("/", methods=["GET"])
def start() -> Any:
    if "device" in request.args:
        session["device_label"] = request.args["device"][:80]
    session.pop(COPY_KEY, None)  # "Finish" on the done page: the next patient can no longer ask for that copy
    # a tablet still holding an open draft (say, back from an error page) gets a way back into it
    draft = drafts.find_draft(db.session, session.get(DRAFT_KEY))
    resume = url_for(f"wizard.{steps.first_open(drafts.completed(draft))}") if draft and draft.status == "open" else None
    return render_template("consent/start.html", form=TabletCodeForm(), resume=resume)


@bp.route("/consent/start", methods=["POST"])
def begin() -> Any:
    form = TabletCodeForm()
    if not form.validate_on_submit():
        return _start_page(form)
    try:
        draft = desk.redeem_code(db.session, form.code.data, who=who("tablet"), device_label=session.get("device_label"),
                                 language=str(get_locale() or "en"), now=clinic_now())
    except desk.TooManyTries as exc:
        minutes = max(1, math.ceil(exc.retry_after.total_seconds() / 60))
        form.code.errors.append(ngettext(
            "Too many wrong codes were typed on this tablet. Please wait %(num)d minute and try again, "
            "or ask the front desk for help.",
            "Too many wrong codes were typed on this tablet. Please wait %(num)d minutes and try again, "
            "or ask the front desk for help.", minutes))
        return _start_page(form, 429, {"Retry-After": str(minutes * 60)})
    except desk.InvalidCode:
        form.code.errors.append(_("That code is not valid. Please ask the front desk for a new one."))
        return _start_page(form)
    key = CHECKIN_KEY if checkins.is_checkin_draft(draft) else DRAFT_KEY  # a check-in has its own pages and key
    if current_user.is_authenticated:  # a code typed where staff were signed in: the patient gets no staff pages
        audit.record(db.session, who(), "logout", at=clinic_now(), detail={"reason": "tablet_code_redeemed"})
        hand_to_patient(key, draft.token)
    else:
        session[key] = draft.token
    if key == CHECKIN_KEY:
        return redirect(url_for("checkin.questions"))
    read_in(draft.language)  # a patient resuming on another tablet goes on in the language they were reading
    return _after_save(draft)


def _start_page(form: TabletCodeForm, status: int = 200, headers: dict[str, str] | None = None) -> Any:
    """The code form again, with its message."""
    return render_template("consent/start.html", form=form, resume=None), status, headers or {}


@bp.route("/consent/identity", methods=["GET", "POST"])
@draft_step("identity")
def identity(draft: Any) -> Any:
    saved = drafts.step_data(draft, "identity") or draft.data.get("prefill") or {}
    form = IdentityForm(data=_with_date(saved, "date_of_birth"), today=clinic_now().date())
    if form.validate_on_submit():
        drafts.save_step(db.session, draft, "identity", form.values(), clinic_now())
        return _after_save(draft)
    return render_template("consent/identity.html", form=form)


@bp.route("/consent/treatment", methods=["GET", "POST"])
@draft_step("treatment")
def treatment(draft: Any) -> Any:
    lang = current_texts().language(draft.language)
    planned = (draft.data.get("prefill") or {}).get("modality")  # the desk's plan, until the patient saves a choice
    saved = drafts.step_data(draft, "treatment")
    form = TreatmentForm(
        data=({**saved, "confirm_other": saved.get("confirmed_other_than_plan")} if saved
              else {"modality": planned} if planned else {}),
        modalities=[(m.id, m.title) for m in lang.modalities.values()],
        areas=list(lang.common.areas.items()),
        planned=planned,
    )
    if form.validate_on_submit():
        drafts.save_step(db.session, draft, "treatment", form.values(), clinic_now())
        return _after_save(draft)
    summaries = {m.id: m.summary for m in lang.modalities.values()}
    other_id = next((option.id for option in form.areas if option.data == "other"), "")
    return render_template("consent/treatment.html", form=form, summaries=summaries, other_id=other_id,
                           asks_to_confirm=form.differs_from_plan())


@bp.route("/consent/explanation", methods=["GET", "POST"])
@draft_step("explanation")
def explanation(draft: Any) -> Any:
    form = ExplanationForm(data=drafts.step_data(draft, "explanation"))
    if form.validate_on_submit():
        drafts.save_step(db.session, draft, "explanation", form.values(), clinic_now())
        return _after_save(draft)
    ref = current_texts().reference(draft.language, draft.data["treatment"]["modality"])
    return render_template("consent/explanation.html", form=form, shown=ref["shown"])


def _risk_ids(draft: Any) -> list[str]:
    ref = current_texts().reference(draft.language, draft.data["treatment"]["modality"])
    return [r["id"] for r in ref["shown"]["risks"]]


@bp.route("/consent/risks", methods=["GET"])
@draft_step("risks")
def risks(draft: Any) -> Any:
    index = drafts.next_risk_index(draft, _risk_ids(draft))
    return redirect(url_for("wizard.risk", index=(index if index is not None else 0) + 1))


@bp.route("/consent/risks/<int:index>", methods=["GET", "POST"])
@draft_step("risks")
def risk(draft: Any, index: int) -> Any:
    ref = current_texts().reference(draft.language, draft.data["treatment"]["modality"])
    all_risks = ref["shown"]["risks"]
    ids = [r["id"] for r in all_risks]
    first_missing = drafts.next_risk_index(draft, ids)
    if not 1 <= index <= len(all_risks) or (first_missing is not None and index - 1 > first_missing):
        return redirect(url_for("wizard.risk", index=(first_missing or 0) + 1))
    item = all_risks[index - 1]
    if request.method == "GET":
        drafts.mark_shown(db.session, draft, f"risk:{item['id']}", clinic_now())
    g.within = (index, len(all_risks))  # the progress bar moves with each risk
    adopted = drafts.initials(draft)
    full_name = draft.data["identity"]["full_name"]
    asks_initials = adopted is None or "change" in request.args
    form = RiskForm(data={"initials": adopted or initials_rules.propose(full_name)}, asks_initials=asks_initials,
                    full_name=full_name)
    if form.validate_on_submit():
        if asks_initials:
            drafts.adopt_initials(db.session, draft, form.initials.data, clinic_now())
        drafts.acknowledge_risk(db.session, draft, item["id"], drafts.initials(draft) or "", ids, clinic_now())
        following = drafts.next_risk_index(draft, ids)
        if following is None:
            return _after_save(draft)
        return redirect(url_for("wizard.risk", index=following + 1))
    saved = (draft.data.get("risks") or {}).get(item["id"])
    return render_template("consent/risk.html", form=form, risk=item, index=index, total=len(all_risks),
                           asks_initials=asks_initials, adopted=adopted, saved=saved)


@bp.route("/consent/comprehension", methods=["GET", "POST"])
@draft_step("comprehension")
def comprehension(draft: Any) -> Any:
    """A few questions on the risks, options in this patient's order. A wrong answer shows the right one with its
    explanation and asks the same question again in a new order (teach-back); both answers are kept, nothing blocks."""
    shown = current_texts().reference(draft.language, draft.data["treatment"]["modality"])["shown"]["comprehension"]
    seed = drafts.comprehension_seed(draft)
    saved = drafts.step_data(draft, "comprehension")
    if saved.get("answers") is not None:
        if request.method == "POST":
            return _after_save(draft)
        return render_template("consent/comprehension_result.html", results=checks.grade_saved(shown, saved),
                               form=None, asked={})
    held = drafts.step_data(draft, drafts.CHECK_HELD)
    if held:
        results = checks.grade_saved(shown, held)
        wrong = {r["question"] for r in results if not r["correct"]}
        asked = [checks.in_order(c, checks.option_order(c, seed, 2)) for c in shown if c["id"] in wrong]
        form = comprehension_form(asked)
        if form.validate_on_submit():
            drafts.answer_check_again(db.session, draft, form.choices()["answers"], _orders(asked), clinic_now())
            return _after_save(draft)
        return render_template("consent/comprehension_result.html", results=results, form=form,
                               asked={c["id"]: c for c in asked})
    asked = [checks.in_order(c, checks.option_order(c, seed)) for c in shown]
    form = comprehension_form(asked)
    if form.validate_on_submit():
        values = {**form.choices(), "order": _orders(asked)}
        all_right = all(r["correct"] for r in checks.grade(shown, values["answers"]))
        drafts.answer_check(db.session, draft, values, all_right, clinic_now())
        return _after_save(draft) if all_right else redirect(url_for("wizard.comprehension"))
    return render_template("consent/comprehension.html", form=form, questions=asked)


def _orders(asked: list[Any]) -> dict[str, list[str]]:
    """The option ids of each question in the order shown, to be stored and printed."""
    return {c["id"]: [o["id"] for o in c["options"]] for c in asked}


@bp.route("/consent/screening", methods=["GET", "POST"])
@draft_step("screening")
def screening(draft: Any) -> Any:
    texts = current_texts()
    modality = draft.data["treatment"]["modality"]
    questions = texts.rules.questions_for(modality)
    labels = texts.language(draft.language).questions
    form = screening_form(questions, today=clinic_now().date(), data=drafts.step_data(draft, "screening"), labels=labels)
    if form.validate_on_submit():
        drafts.save_step(db.session, draft, "screening", form.answers(), clinic_now())
        return _after_save(draft)
    return render_template("consent/screening.html", form=form, questions=questions)


@bp.route("/consent/review", methods=["GET", "POST"])
@draft_step("review")
def review(draft: Any) -> Any:
    form = ReviewForm()
    if form.validate_on_submit():
        drafts.save_step(db.session, draft, "review", form.values(), clinic_now())
        return _after_save(draft)
    texts = current_texts()
    modality = draft.data["treatment"]["modality"]
    ref = texts.reference(draft.language, modality)
    return render_template(
        "consent/review.html", form=form, data=draft.data, shown=ref["shown"],
        areas=records.area_names(texts, draft),
        date_of_birth=page_day(draft.data["identity"]["date_of_birth"]),
        answers=_answer_rows(ref["shown"]["questions"], draft.data["screening"]),
    )


def _answer_rows(questions: list[Any], screening: dict[str, Any]) -> list[dict[str, Any]]:
    """Each question asked, with its answer as the patient should read it back: yes answers marked, follow-ups under
    their question, a choice in the words of its option."""
    rows = []
    for q in questions:
        if q["id"] not in screening["answers"]:
            continue  # a follow-up not asked
        answer = answer_as_read(q, screening["answers"][q["id"]], screening.get("details") or {}, "")
        shown = describe_answer(answer, ANSWER_LABELS, day=page_day)
        yes = q["type"] != "choice" and answer["value"] not in (False, None)
        rows.append({"text": q["text"], "answer": shown, "yes": yes, "detail": answer["detail"],
                     "follow_up": bool(q.get("asked_if"))})
    return rows


@bp.route("/consent/sign", methods=["GET", "POST"])
@draft_step("sign")
def sign(draft: Any) -> Any:
    form = SignForm(data={"printed_name": draft.data["identity"]["full_name"]})  # typed once, at "About you"
    texts = current_texts()
    if form.validate_on_submit():
        try:
            submission.submit(
                db.session, draft, submission.SignatureInput(**form.values()),
                texts=texts, clinic=clinic(draft.site), seal_key=seal_key(), now=clinic_now(),
            )
        except submission.NotReadyToSign as exc:
            return _redirect_to(exc.first_open)
        except submission.AwaitingSigners:  # a representative, interpreter or witness signs next
            return redirect(url_for("countersign.next_signer"))
        except submission.DraftClosed:
            session.pop(DRAFT_KEY, None)
            return redirect(url_for("wizard.start"))
        return redirect(url_for("wizard.done"))
    ref = texts.reference(draft.language, draft.data["treatment"]["modality"])
    return render_template("consent/sign.html", form=form, shown=ref["shown"],
                           statement=records.signed_statement(texts, draft))


@bp.route("/consent/done", methods=["GET"])
def done() -> Any:
    draft = drafts.find_draft(db.session, session.get(DRAFT_KEY) or session.get(COPY_KEY))
    if draft is not None and draft.status == "open":
        return _after_save(draft)
    session.pop(DRAFT_KEY, None)
    if draft is None or draft.status != "submitted":
        session.pop(COPY_KEY, None)
        return redirect(url_for("wizard.start"))
    if draft.consent is not None:
        session[PHOTO_CONSENT_KEY] = draft.token  # the photo consent may follow (kiosk.photos), once
    session[COPY_KEY] = draft.token  # the copy offer, until "Finish" or the idle reset; never the patient's data
    notice = None
    if draft.consent is not None and draft.consent.flags:
        notice = current_texts().language(draft.language).common.flagged_notice
    read_in(draft.language)
    g.draft = draft  # the header names the patient's own clinic, as on every step before
    offer = patient_copy.copy_offer(db.session, draft.token, mail_configured=mail.settings_from(current_app.config)
                                    is not None, now=clinic_now())
    page = render_template("consent/done.html", notice=notice, offer=offer, form=EmptyForm())
    forget_chosen_language()  # the next patient starts in the device's own language
    return page


@bp.route("/consent/copy", methods=["POST"])
def email_copy() -> Response:
    """The patient asked for their copy by email: send it to the address they gave, or say why not."""
    settings = mail.settings_from(current_app.config)
    draft = drafts.find_draft(db.session, session.get(COPY_KEY))
    if draft is None:  # only a browser on its done page holds a copy offer
        return redirect(url_for("wizard.start"))
    if not EmptyForm().validate_on_submit() or settings is None:
        return redirect(url_for("wizard.done"))
    read_in(draft.language)  # the message below is in the patient's language (the done page forgot it)
    try:
        patient_copy.email_copy(db.session, draft.token, settings=settings, clinic_name=clinic(draft.site).name,
                                who=who("patient"), now=clinic_now())
    except patient_copy.CopyNotSent as exc:
        flash(_COPY_PROBLEMS.get(exc.reason, _COPY_PROBLEMS["mail_failed"])(), "error")
    else:
        flash(_("Your copy is on its way to the email address you gave. Please give the tablet back to the front "
                "desk."), "info")
    return redirect(url_for("wizard.done"))


# why an emailed copy did not go, in the patient's words; the desk can always print one
_COPY_PROBLEMS: dict[str, Callable[[], str]] = {
    "mail_failed": lambda: _("We could not send the email just now. The front desk can print your copy for you."),
    "already_sent": lambda: _("Your copy was already sent to the email address you gave. The front desk can print "
                              "another one for you."),
    "expired": lambda: _("It is too late to send the copy from this tablet. The front desk can print it for you."),
    "no_email": lambda: _("No email address was given. The front desk can print your copy for you."),
    "not_signed": lambda: _("The front desk can print your copy for you."),
}


def _with_date(data: dict[str, Any], key: str) -> dict[str, Any]:
    """Saved dates are ISO strings; the date field wants a date to refill itself."""
    out = dict(data)
    if isinstance(out.get(key), str):
        try:
            out[key] = date.fromisoformat(out[key])
        except ValueError:
            out.pop(key)
    return out

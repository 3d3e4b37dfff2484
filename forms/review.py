"""The doctor's forms: queue filters (read from the URL) and the signed decision on a consent."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from wtforms import BooleanField, DateField, IntegerField, PasswordField, RadioField, SelectField, StringField
from wtforms import TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional

from forms.base import KioskForm, QueryForm
from forms.consent import clean_text
from kiosk.review.decisions import NOTE_MAX
from kiosk.core.translation import lazy_gettext as _l
from kiosk.core.vocabulary import DECISION_LABELS, QUEUE_STATUS_LABELS
from kiosk.rules.readiness import CHECKIN_DECISIONS

NAME_SEARCH_MAX = 200
SIGNATURE_MEANING = _l("By signing I confirm that I reviewed the patient's answers and made this decision.")


class QueueFilterForm(QueryForm):
    """GET filters: a value that cannot be used is dropped with a message, never an error page."""

    status = SelectField(_l("Status"), default="submitted",
                         choices=[SelectChoice(code, words) for code, words in QUEUE_STATUS_LABELS.items()])
    modality = SelectField(_l("Treatment"), default="")
    date_from = DateField(_l("Signed from"), validators=[Optional()])
    date_to = DateField(_l("Signed to"), validators=[Optional()])
    q = StringField(_l("Patient name"), filters=[clean_text], validators=[Length(max=NAME_SEARCH_MAX)])
    page = IntegerField(_l("Page"), validators=[Optional()])

    def __init__(self, formdata: Any, *, modalities: list[tuple[str, str]]) -> None:
        super().__init__(formdata)
        self.modality.choices = [SelectChoice("", _l("All treatments")),
                                 *(SelectChoice(value, label) for value, label in modalities)]

    def filters(self) -> tuple[dict[str, Any], list[str]]:
        """The usable filter values, and one message per value that was ignored."""
        self.validate()
        problems: list[str] = []
        values: dict[str, Any] = {}
        for field in (self.status, self.modality, self.date_from, self.date_to, self.q):
            if field.errors:
                raw = " ".join(field.raw_data or [])[:60]
                problems.append(_("“%(value)s” is not a valid value for “%(field)s”, so that filter was ignored.",
                                  value=raw, field=field.label.text))
                if field.name == "status":
                    values["status"] = "submitted"
                continue
            values[field.name] = field.data or None
        values["status"] = values.get("status") or "submitted"
        start, end = values.get("date_from"), values.get("date_to")
        if isinstance(start, date) and isinstance(end, date) and start > end:
            problems.append(_("“Signed from” is after “Signed to”, so the dates were ignored."))
            values["date_from"] = values["date_to"] = None
        values["name"] = values.pop("q", None)
        return values, problems

    def page_number(self) -> tuple[int, str | None]:
        """The page asked for (1 when missing or unreadable), and a message when it was unreadable."""
        if self.page.errors or (self.page.raw_data and self.page.raw_data[0] and self.page.data is None):
            raw = " ".join(self.page.raw_data or [])[:30]
            return 1, _("“%(value)s” is not a page number, so the first page is shown.", value=raw)
        return (self.page.data if isinstance(self.page.data, int) else 1), None

    @staticmethod
    def query_args(values: dict[str, Any]) -> dict[str, str]:
        """The usable filters (from filters()) as URL arguments, so page links keep them and drop bad ones."""
        args = {"status": values.get("status") or "", "modality": values.get("modality") or "",
                "date_from": values["date_from"].isoformat() if values.get("date_from") else "",
                "date_to": values["date_to"].isoformat() if values.get("date_to") else "",
                "q": values.get("name") or ""}
        return {k: v for k, v in args.items() if v}


class DecisionForm(KioskForm):
    """The doctor's decision; the password check and the note rule need the database, so the service does them."""

    decision = RadioField(_l("Decision"),
                          choices=[SelectChoice(code, words) for code, words in DECISION_LABELS.items()],
                          validators=[InputRequired(_l("Please choose a decision."))])
    note = TextAreaField(
        _l("Note"), filters=[clean_text],
        validators=[Length(max=NOTE_MAX, message=_l("Please keep the note under %(max)d characters.", max=NOTE_MAX))],
        description=_l("Required to clear answers with a stop flag: say why treatment may go ahead."),
    )
    meaning = BooleanField(SIGNATURE_MEANING,
                           validators=[DataRequired(_l("Please tick the statement to sign your decision."))])
    password = PasswordField(_l("Your password"),
                             validators=[DataRequired(_l("Please enter your password to sign the decision.")),
                                         Length(max=256)],
                             description=_l("Your password signs the decision, as on paper."),
                             render_kw={"autocomplete": "current-password"})

    def values(self) -> dict[str, Any]:
        """Plain values for reviews.decide, including the statement exactly as the doctor read it."""
        return {"decision": self.decision.data, "note": self.note.data or None, "password": self.password.data,
                "meaning": str(SIGNATURE_MEANING) if self.meaning.data else ""}


class CheckinDecisionForm(DecisionForm):
    """A check-in's decision: "cannot decide alone" belongs to the consent, which a representative must sign again."""

    decision = RadioField(_l("Decision"),
                          choices=[SelectChoice(code, DECISION_LABELS[code]) for code in CHECKIN_DECISIONS],
                          validators=[InputRequired(_l("Please choose a decision."))])

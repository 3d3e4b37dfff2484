"""Forms of a treatment course: withdrawal at the desk, the session record, the desk's course search.

The tablet's check-in reuses the wizard's question form (`screening_form`) and signature form; the doctor's
decision on a check-in reuses the consent decision form. Database checks belong to kiosk.course.checkins.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import DateField, HiddenField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from forms.base import KioskForm, QueryForm
from forms.consent import NAME_MAX, clean_text
from kiosk.course.checkins import SessionInput
from kiosk.core.translation import lazy_gettext as _l
from kiosk.core.vocabulary import WITHDRAWAL_METHOD_LABELS
from kiosk.course.withdrawal import REASON_MAX

TEXT_MAX = 2000

NUMBING_CREAM_HELP = _l(
    "Who put the numbing (anaesthetic) cream on, which cream, and how many minutes it stayed on before the "
    "session. The US FDA warns that numbing creams spread over large areas of skin, left on for a long time, "
    "covered with plastic wrap or warmed can cause serious reactions such as an irregular heartbeat, seizures "
    "or trouble breathing: use the smallest amount on the smallest area, for the shortest time.")


class CourseSearchForm(QueryForm):
    """The desk looks up a patient's consent by name (GET, so the list can be bookmarked and reloaded)."""

    q = StringField(_l("Patient name"), filters=[clean_text],
                    validators=[DataRequired(_l("Please type part of the patient's name.")), Length(max=NAME_MAX)])


class WithdrawForm(KioskForm):
    """The patient's withdrawal as the desk records it; the signed-in staff member is who recorded it."""

    how = RadioField(_l("How did the patient tell the clinic?"),
                     choices=[SelectChoice(code, words) for code, words in WITHDRAWAL_METHOD_LABELS.items()],
                     validators=[InputRequired(_l("Please say how the patient withdrew."))])
    reason = TextAreaField(
        _l("Reason the patient gave (optional)"), filters=[clean_text],
        validators=[Length(max=REASON_MAX, message=_l("Please use at most %(max)d characters.", max=REASON_MAX))],
        description=_l("A patient need not give a reason. Nothing is deleted: the consent stays on record as "
                       "withdrawn."))
    # "yes" once the desk has read the confirmation page; until then the view asks before recording
    confirmed = HiddenField()


class SessionForm(KioskForm):
    """A session that took place, as consent-record.md asks: date, area, settings, and the numbing cream."""

    session_date = DateField(_l("Date of the session"), validators=[InputRequired(_l("Please enter the date."))])
    area = StringField(_l("Area treated"), filters=[clean_text],
                       validators=[DataRequired(_l("Please say which area was treated.")), Length(max=TEXT_MAX)])
    settings = TextAreaField(_l("Settings, or product and dose"), filters=[clean_text],
                             validators=[DataRequired(_l("Please record the settings or the product used.")),
                                         Length(max=TEXT_MAX)])
    anaesthetic_applied_by = StringField(_l("Numbing cream put on by (optional)"), filters=[clean_text],
                                         validators=[Optional(), Length(max=NAME_MAX)],
                                         description=NUMBING_CREAM_HELP)
    anaesthetic_product = StringField(_l("Numbing cream used (optional)"), filters=[clean_text],
                                      validators=[Optional(), Length(max=NAME_MAX)])
    anaesthetic_minutes = IntegerField(
        _l("Minutes the numbing cream stayed on (optional)"),
        validators=[Optional(), NumberRange(min=0, max=240, message=_l("Please enter minutes from 0 to 240."))])
    notes = TextAreaField(_l("Notes (optional)"), filters=[clean_text], validators=[Optional(), Length(max=TEXT_MAX)])

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_session_date(self, field: DateField) -> None:
        if field.data and field.data > self.today:
            raise ValidationError(_l("A session is recorded after it took place, so the date cannot be in the future."))

    def validate_anaesthetic_minutes(self, field: IntegerField) -> None:
        if field.data is not None and not self.anaesthetic_applied_by.data:
            raise ValidationError(_l("Please also say who put the numbing cream on."))

    def values(self) -> SessionInput:
        return SessionInput(session_date=self.session_date.data, area=self.area.data, settings=self.settings.data,
                            anaesthetic_applied_by=self.anaesthetic_applied_by.data or None,
                            anaesthetic_minutes=self.anaesthetic_minutes.data,
                            anaesthetic_product=self.anaesthetic_product.data or None, notes=self.notes.data or None)

"""Front-desk forms and the tablet's code form: each checks its own fields; codes are checked by kiosk.desk.sessions."""

from __future__ import annotations

from datetime import date
from typing import Any

from wtforms import SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from forms.base import DayMonthYearField, KioskForm
from forms.consent import NAME_MAX, IdentityForm, clean_text
from forms.people import IDENTITY_CHECKS, PeopleForm
from kiosk.desk.sessions import NewPatient
from kiosk.core.translation import lazy_gettext as _l


class StartSessionForm(PeopleForm):
    """The patient the desk starts a session for (and who signs after them); the pressed button says code or this device."""

    full_name = StringField(
        _l("Patient's full name"),
        validators=[DataRequired(_l("Please enter the patient's full name.")),
                    Length(max=NAME_MAX, message=_l("Please use at most %(max)d characters.", max=NAME_MAX))],
        filters=[clean_text],
        render_kw={"autocomplete": "off"},
    )
    # day, month by name and year, as the patient's own identity step asks it: no mm/dd/yyyy to misread
    date_of_birth = DayMonthYearField(_l("Date of birth"),
                                      required_message=_l("Please enter the patient's date of birth."),
                                      render_kw={"autocomplete": "off"})
    modality = SelectField(_l("Treatment the doctor planned (optional)"))
    identity_check = SelectField(_l("How was the patient's identity checked?"), choices=IDENTITY_CHECKS, default="",
                                 description=_l("Printed on the consent as it is chosen here."))
    issue = SubmitField(_l("Get a code for the tablet"))
    open_here = SubmitField(_l("Open on this device"))

    def __init__(self, *args: Any, today: date, modalities: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today
        self.modality.choices = [SelectChoice("", _l("Not decided: the patient chooses"))] + [
            SelectChoice(value, label) for value, label in modalities]

    # the same limits as the patient's own identity step
    validate_date_of_birth = IdentityForm.validate_date_of_birth

    def patient(self) -> NewPatient:
        """The patient as entered, read once the form has validated (a date of birth is then always there)."""
        born = self.date_of_birth.data
        if born is None:
            raise ValueError("StartSessionForm.patient() is read only after validate()")
        return NewPatient(full_name=self.full_name.data, date_of_birth=born,
                          modality=self.modality.data or None, identity_check=self.identity_check.data or None,
                          people=self.named())


class TabletCodeForm(KioskForm):
    """The code the front desk reads out; whether it is valid is the service's call."""

    code = StringField(
        _l("Your code from the front desk"),
        description=_l("6 letters and numbers. Capitals, spaces and the dash do not matter."),
        validators=[DataRequired(_l("Please type the code the front desk gave you.")),
                    Length(max=24, message=_l("That is too long for a code. Please check it."))],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "autocorrect": "off",
                   "spellcheck": "false", "maxlength": 24},
    )

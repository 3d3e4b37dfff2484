"""Forms for the people who sign after the patient: the desk names them, each signs on the tablet."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from wtforms import BooleanField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional, ValidationError

from forms.base import KioskForm
from forms.consent import NAME_MAX, clean_text
from kiosk.core.translation import lazy_gettext as _l

LANGUAGE_MAX = 60
# how the desk checked a person's identity: the values printed on the consent, the same for the patient and the
# representative (forms.desk.StartSessionForm.identity_check offers these)
IDENTITY_CHECKS = [
    SelectChoice("", _l("Not checked")),
    SelectChoice("ID card shown at the front desk", _l("ID card shown")),
    SelectChoice("Passport shown at the front desk", _l("Passport shown")),
    SelectChoice("Driving licence shown at the front desk", _l("Driving licence shown")),
    SelectChoice("Known to the front desk from earlier visits", _l("Known from earlier visits")),
]
_TOO_LONG = _l("Please use at most %(max)d characters.", max=NAME_MAX)


def _name_field(label: Any) -> StringField:
    # no Optional(): it would stop the check that a minor's representative is named
    return StringField(label, validators=[Length(max=NAME_MAX, message=_TOO_LONG)], filters=[clean_text],
                       render_kw={"autocomplete": "off", "maxlength": NAME_MAX})


class PeopleForm(KioskForm):
    """Who signs after the patient: a representative (needed for a minor), an interpreter, a witness; all optional."""

    cannot_decide_alone = BooleanField(
        _l("The patient cannot decide alone: a representative consents for them"),
        description=_l("A patient under 18 always needs a representative; tick this for an adult who needs one."))
    representative_name = _name_field(_l("Representative's full name"))
    representative_relationship = SelectField(_l("Relationship to the patient"), choices=[
        SelectChoice("", _l("Choose one")),
        SelectChoice("parent", _l("Parent")),
        SelectChoice("legal_guardian", _l("Legal guardian")),
        SelectChoice("other_legal_representative", _l("Other legal representative")),
    ], default="")
    representative_identity_check = SelectField(_l("How was the representative's identity checked?"),
                                                choices=IDENTITY_CHECKS, default="")
    interpreter_name = _name_field(_l("Interpreter's full name"))
    interpreter_language = StringField(
        _l("Language the interpreter translates into"),
        validators=[Optional(), Length(max=LANGUAGE_MAX, message=_l("Please use at most %(max)d characters.",
                                                                    max=LANGUAGE_MAX))],
        filters=[clean_text], render_kw={"autocomplete": "off", "maxlength": LANGUAGE_MAX})
    witness_name = _name_field(_l("Witness's full name"))

    def __init__(self, *args: Any, minor: Callable[[date | None], bool] | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.minor = minor  # whether the patient (born then, if this form asks) is a minor

    def patient_birth_date(self) -> date | None:
        """The patient's birth date where this form asks it (the desk's start form); None on the people page."""
        field = getattr(self, "date_of_birth", None)
        return field.data if field is not None and isinstance(field.data, date) else None

    def validate_representative_name(self, field: StringField) -> None:
        if field.data or self.minor is None:
            return
        born = self.patient_birth_date()
        if self.minor(born):
            raise ValidationError(_l("This patient is under 18: please enter a parent or legal guardian as the "
                                     "representative, who signs on the tablet after the patient."))

    def validate_representative_relationship(self, field: SelectField) -> None:
        if self.representative_name.data and not field.data:
            raise ValidationError(_l("Please choose the representative's relationship to the patient."))
        if field.data and not self.representative_name.data:
            raise ValidationError(_l("Please enter the representative's full name, or choose no relationship."))
        if self.cannot_decide_alone.data and not self.representative_name.data:
            raise ValidationError(_l("A patient who cannot decide alone needs a representative: please enter one."))

    def validate_interpreter_language(self, field: StringField) -> None:
        if self.interpreter_name.data and not field.data:
            raise ValidationError(_l("Please enter the language the interpreter translates into."))
        if field.data and not self.interpreter_name.data:
            raise ValidationError(_l("Please enter the interpreter's full name, or leave the language empty."))

    def named(self) -> dict[str, Any]:
        """The people as the draft keeps them (kiosk.consent.signers.people)."""
        out: dict[str, Any] = {"cannot_decide_alone": bool(self.cannot_decide_alone.data)}
        if self.representative_name.data:
            out["representative"] = {"full_name": self.representative_name.data,
                                     "relationship": self.representative_relationship.data,
                                     "identity_check": self.representative_identity_check.data or None}
        if self.interpreter_name.data:
            out["interpreter"] = {"full_name": self.interpreter_name.data, "language": self.interpreter_language.data}
        if self.witness_name.data:
            out["witness"] = {"full_name": self.witness_name.data}
        return out

    def fill(self, named: dict[str, Any]) -> None:
        """Show what the desk named before, on a GET."""
        rep = named.get("representative") or {}
        self.cannot_decide_alone.data = bool(named.get("cannot_decide_alone"))
        self.representative_name.data = rep.get("full_name", "")
        self.representative_relationship.data = rep.get("relationship", "")
        self.representative_identity_check.data = rep.get("identity_check") or ""
        self.interpreter_name.data = (named.get("interpreter") or {}).get("full_name", "")
        self.interpreter_language.data = (named.get("interpreter") or {}).get("language", "")
        self.witness_name.data = (named.get("witness") or {}).get("full_name", "")

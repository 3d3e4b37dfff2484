"""The patient wizard's forms: each validates its own fields and hands back plain values for the service."""

from __future__ import annotations

import base64
import binascii
import io
import re
import unicodedata
from datetime import date
from typing import Any

from PIL import Image, UnidentifiedImageError
from wtforms import BooleanField, DateField, HiddenField, RadioField, SelectMultipleField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from forms.base import DayMonthYearField, KioskForm
from kiosk.rules import initials
from kiosk.core.translation import lazy_gettext as _l

NAME_MAX = 200
DETAIL_MAX = 500
SIGNATURE_MAX_BYTES = 1024 * 1024
SIGNATURE_PREFIX = "data:image/png;base64,"
SIGNATURE_DATA_MAX = (SIGNATURE_MAX_BYTES * 4) // 3 + len(SIGNATURE_PREFIX) + 4  # the base64 of the largest PNG
SIGNATURE_TOO_LARGE = _l("The signature image is too large. Please clear it and sign again.")
_PHONE = re.compile(r"^\+?[0-9 ()./-]{6,30}$")
# one or two letters, then up to initials.MAX_LETTERS in all, each after an optional space, dot, hyphen or apostrophe
_INITIALS = re.compile(rf"^[^\W\d_]{{1,2}}([ .\-']?[^\W\d_]){{0,{initials.MAX_LETTERS - 2}}}\.?$")


def clean_text(value: str | None) -> str:
    """Trim, normalise Unicode and drop control characters, so names print and compare reliably."""
    value = unicodedata.normalize("NFC", value or "")
    value = "".join(ch for ch in value if unicodedata.category(ch)[0] != "C" or ch in "\n")
    return " ".join(value.split()) if "\n" not in value else value.strip()


class IdentityForm(KioskForm):
    full_name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Please enter your full name.")),
                    Length(max=NAME_MAX, message=_l("Please use at most %(max)d characters.", max=NAME_MAX))],
        filters=[clean_text],
        render_kw={"autocomplete": "name"},
    )
    date_of_birth = DayMonthYearField(_l("Date of birth"))
    phone = StringField(
        _l("Phone (optional)"), validators=[Optional(), Length(max=30)], filters=[clean_text],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    email = StringField(
        _l("Email (optional)"),
        validators=[Optional(), Length(max=254), Email(_l("Please enter a valid email address, or leave it empty."))],
        filters=[clean_text],
        render_kw={"autocomplete": "email", "inputmode": "email"},
    )

    def __init__(self, *args: Any, today: date, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.today = today

    def validate_date_of_birth(self, field: DayMonthYearField) -> None:
        if field.data is None:
            return
        if field.data > self.today:
            raise ValidationError(_l("The date of birth cannot be in the future."))
        if field.data.year < self.today.year - 120 or (self.today.year - field.data.year == 120 and (
                field.data.month, field.data.day) < (self.today.month, self.today.day)):
            raise ValidationError(_l("Please check the year: that is more than 120 years ago."))

    def validate_phone(self, field: StringField) -> None:
        if field.data and not _PHONE.match(field.data):
            raise ValidationError(_l("Please enter a phone number using digits, spaces and an optional +."))

    def values(self) -> dict[str, Any]:
        return {
            "full_name": self.full_name.data,
            "date_of_birth": self.date_of_birth.data.isoformat() if self.date_of_birth.data else None,
            "phone": self.phone.data or None,
            "email": self.email.data or None,
        }


class _Checkboxes(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


Checkboxes = _Checkboxes  # the public name other features' forms use (templates know the field by its class name)


class TreatmentForm(KioskForm):
    modality = RadioField(_l("Treatment"), validators=[InputRequired(_l("Please choose a treatment."))])
    areas = _Checkboxes(_l("Areas to treat"), validators=[DataRequired(_l("Please choose at least one area."))])
    # no Optional(): it would stop the chain before validate_area_other can require it
    area_other = StringField(_l("Where else?"), validators=[Length(max=200)], filters=[clean_text])
    # asked only when the patient chose another treatment than the one the doctor planned (kept by the desk)
    confirm_other = BooleanField(_l("Yes, I want this treatment and not the one the doctor planned."))

    def __init__(self, *args: Any, modalities: list[tuple[str, str]], areas: list[tuple[str, str]],
                 planned: str | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.modality.choices = [SelectChoice(value, label) for value, label in modalities]
        self.areas.choices = [SelectChoice(value, label) for value, label in areas]
        self.planned = planned if planned in dict(modalities) else None
        self.titles = dict(modalities)

    def differs_from_plan(self) -> bool:
        """The chosen treatment is not the one planned (only when a plan was recorded)."""
        return bool(self.planned and self.modality.data and self.modality.data != self.planned)

    def validate_confirm_other(self, field: BooleanField) -> None:
        if self.differs_from_plan() and not field.data:
            raise ValidationError(_l(
                "The doctor planned %(planned)s, but you chose %(chosen)s. Tick the box to confirm your choice, "
                "or choose the planned treatment.", planned=self.titles.get(self.planned or "", ""),
                chosen=self.titles.get(self.modality.data, self.modality.data)))

    def validate_area_other(self, field: StringField) -> None:
        if "other" in (self.areas.data or []) and not field.data:
            raise ValidationError(_l("Please say which other area."))

    def values(self) -> dict[str, Any]:
        areas = list(self.areas.data)
        return {"modality": self.modality.data, "areas": areas,
                "area_other": self.area_other.data if "other" in areas else None,
                "confirmed_other_than_plan": self.differs_from_plan()}


class ExplanationForm(KioskForm):
    understood = BooleanField(
        _l("I have read this and I understand it"),
        validators=[DataRequired(_l("Please say with the button below that you have read this. If something is "
                                    "unclear, ask the staff."))],
    )

    def values(self) -> dict[str, Any]:
        return {"understood": True}


class RiskForm(KioskForm):
    """One tap acknowledges a risk with the adopted initials; at the first risk (or on "change") they are adopted."""

    initials = StringField(
        _l("Your initials"),
        description=_l("We suggest them from your name. Change them if you write them differently."),
        filters=[clean_text],
        render_kw={"autocomplete": "off", "autocapitalize": "characters", "maxlength": 12},
    )
    initials_confirmed = BooleanField(_l("Yes, these are my initials"))

    def __init__(self, *args: Any, asks_initials: bool, full_name: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.asks_initials = asks_initials
        self.full_name = full_name
        self.asks_to_confirm = False

    def validate_initials(self, field: StringField) -> None:
        if not self.asks_initials:
            return
        if not field.data:
            raise ValidationError(_l("Please write your initials."))
        if not _INITIALS.match(field.data):
            raise ValidationError(_l("Please write only the first letters of your names, for example: AB."))
        if not initials.fit(field.data, self.full_name) and not self.initials_confirmed.data:
            self.asks_to_confirm = True
            raise ValidationError(_l("These initials do not match your name, %(name)s. Please check them, or tick "
                                     "the box below if they are right.", name=self.full_name))

    def confirmed_mismatch(self) -> bool:
        """The patient kept initials that do not fit their name (the doctor gets an `info` flag)."""
        return bool(self.initials.data) and not initials.fit(self.initials.data, self.full_name)


class ReviewForm(KioskForm):
    esign_agree = BooleanField(
        _l("I agree to sign on this screen"),
        validators=[DataRequired(_l("Please agree to sign on screen with the button below, or ask the front desk for a "
                                    "paper form."))],
    )

    def values(self) -> dict[str, Any]:
        return {"esign_agree": True}


class SignForm(KioskForm):
    consent_agree = BooleanField(
        _l("I agree to this statement and sign"),
        validators=[DataRequired(_l("Please give your consent with the button below."))],
    )
    signature_data = HiddenField(_l("Signature"),
                                 validators=[Length(max=SIGNATURE_DATA_MAX, message=SIGNATURE_TOO_LARGE)])
    printed_name = StringField(
        _l("Your full name, printed under your signature"),
        validators=[DataRequired(_l("Please write your name.")), Length(max=NAME_MAX)],
        filters=[clean_text],
    )
    # a typed signature is the printed name above, typed once: the tick says so (any value posted counts as a tick)
    typed_signature = BooleanField(_l("I cannot sign with a finger: my printed name above is my signature"))
    signature_png: bytes | None = None
    signature_image: Image.Image | None = None

    def validate_signature_data(self, field: HiddenField) -> None:
        self.signature_png = self.signature_image = None
        if field.errors:
            return  # too long to be a signature: said once already
        if not field.data:
            if not self.typed_signature.data:
                raise ValidationError(_l("Please sign in the box with your finger, or tick the box below to sign "
                                         "with your printed name."))
            return
        self.signature_png, self.signature_image = decode_signature(field.data)

    def values(self) -> dict[str, Any]:
        drawn = self.signature_png is not None
        return {
            "method": "drawn" if drawn else "typed",
            "png": self.signature_png,
            "image": self.signature_image,  # decoded once here; the PDF draws these pixels
            "typed_name": None if drawn else self.printed_name.data,
            "printed_name": self.printed_name.data,
        }


def decode_signature(data_url: str) -> tuple[bytes, Image.Image]:
    """Accept only a real, non-empty PNG of at most 1 MB, so the PDF never embeds junk; the pixels are kept for it."""
    prefix = SIGNATURE_PREFIX
    if not data_url.startswith(prefix):
        raise ValidationError(_l("The signature was not received as an image. Please clear it and sign again."))
    if len(data_url) > SIGNATURE_DATA_MAX:
        raise ValidationError(SIGNATURE_TOO_LARGE)
    try:
        png = base64.b64decode(data_url[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError(_l("The signature image is damaged. Please clear it and sign again.")) from None
    if len(png) > SIGNATURE_MAX_BYTES:
        raise ValidationError(SIGNATURE_TOO_LARGE)
    try:
        # Pillow refuses a header claiming more than twice MAX_IMAGE_PIXELS (about 179 million) with
        # DecompressionBombError, and warns past MAX_IMAGE_PIXELS (an error where warnings are errors):
        # both are a picture no tablet draws, refused here like any other signature too large to use.
        image = Image.open(io.BytesIO(png))  # in memory: nothing to close, and the pixels stay for the PDF
        if image.format != "PNG":
            raise ValidationError(_l("The signature was not received as an image. Please clear it and sign again."))
        if image.width > 4000 or image.height > 4000:
            raise ValidationError(SIGNATURE_TOO_LARGE)
        image.load()
        if _blank(image):
            raise ValidationError(_l("The signature box is empty. Please sign with your finger."))
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(SIGNATURE_TOO_LARGE) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        if isinstance(exc, ValidationError):
            raise
        raise ValidationError(_l("The signature image is damaged. Please clear it and sign again.")) from None
    return png, image


def _blank(image: Image.Image) -> bool:
    """True when nothing was drawn: fully transparent, or one flat colour (without copying a canvas's pixels)."""
    rgba = image if image.mode == "RGBA" else image.convert("RGBA")
    inked = rgba.getbbox(alpha_only=True)  # the pixels that are not fully transparent
    if inked is None:
        return True
    if inked != (0, 0, rgba.width, rgba.height):
        return False  # transparent around the ink and not on it: the alpha alone is not one flat value
    # RGBA has four bands, so getextrema gives a (low, high) pair per band, never the single-band pair of floats
    return all(isinstance(band, tuple) and band[0] == band[1] for band in rgba.getextrema())


class ScreeningFormBase(KioskForm):
    """Fields are added per treatment by `screening_form`; answers() turns them into engine input."""

    # (id, type, asked_if) of each question, in asking order
    question_ids: list[tuple[str, str, str | None]] = []
    today: date

    def asks(self, qid: str) -> bool:
        """A question is on the page: always, or for a follow-up once its question is answered yes."""
        parent = next((p for q, _, p in self.question_ids if q == qid), None)
        return parent is None or (self.asks(parent) and self[f"q_{parent}"].data == "yes")

    def answers(self) -> dict[str, Any]:
        answers: dict[str, Any] = {}
        details: dict[str, str] = {}
        for qid, qtype, _ in self.question_ids:
            if not self.asks(qid):
                continue  # a follow-up whose question was answered no is not asked, whatever the page sent
            value = self[f"q_{qid}"].data
            if qtype == "choice":
                answers[qid] = value
                continue
            yes = value == "yes"
            if qtype == "date":
                answers[qid] = self[f"date_{qid}"].data.isoformat() if yes else None
            else:
                answers[qid] = yes
            detail = self[f"detail_{qid}"].data
            if yes and detail:
                details[qid] = detail
        return {"answers": answers, "details": details}

    def validate(self, extra_validators: Any = None) -> bool:
        ok = super().validate(extra_validators)
        for qid, qtype, parent in self.question_ids:
            field = self[f"q_{qid}"]
            if parent is not None:
                if not self.asks(qid):
                    field.errors = []  # not asked: nothing to check
                elif field.data not in ("yes", "no"):
                    field.errors = [_l("Please answer this question too.")]
                    ok = False
            if qtype != "date" or field.data != "yes" or not self.asks(qid):
                continue
            date_field = self[f"date_{qid}"]
            if date_field.data is None:
                if not date_field.errors:
                    date_field.errors = [_l("Please enter the date of the last dose.")]
                ok = False
            elif date_field.data > self.today:
                date_field.errors = [_l("The date cannot be in the future.")]
                ok = False
        return ok


def screening_form(questions: list[Any], *, today: date, formdata: Any = None, data: dict[str, Any] | None = None,
                   labels: dict[str, Any]) -> ScreeningFormBase:
    """Build the form for the questions this treatment asks (in asking order), refilled from saved answers."""

    class ScreeningForm(ScreeningFormBase):
        pass

    yes_no = [SelectChoice("yes", _l("Yes")), SelectChoice("no", _l("No"))]
    for q in questions:
        label = labels[q.id]
        if q.type == "choice":
            setattr(ScreeningForm, f"q_{q.id}", RadioField(
                label.text, choices=[SelectChoice(o, label.options.get(o, o)) for o in q.options],
                validators=[InputRequired(_l("Please choose one answer."))], description=label.help or ""))
            continue
        required = [Optional()] if q.asked_if else [InputRequired(_l("Please answer yes or no."))]
        setattr(ScreeningForm, f"q_{q.id}", RadioField(label.text, choices=yes_no, validators=required,
                                                       description=label.help or ""))
        if q.type == "date":
            setattr(ScreeningForm, f"date_{q.id}", DateField(
                label.detail_label or _l("Date of the last dose"), validators=[Optional()]))
        setattr(ScreeningForm, f"detail_{q.id}", TextAreaField(
            label.detail_label if q.type == "bool" and label.detail_label else _l("Anything the doctor should know (optional)"),
            validators=[Optional(), Length(max=DETAIL_MAX)], filters=[clean_text]))
    ScreeningForm.question_ids = [(q.id, q.type, q.asked_if) for q in questions]
    types = {q.id: q.type for q in questions}
    initial: dict[str, Any] = {}
    if data:
        for qid, value in (data.get("answers") or {}).items():
            if types.get(qid) == "choice":
                initial[f"q_{qid}"] = value
                continue
            initial[f"q_{qid}"] = "yes" if value not in (False, None) else "no"
            if isinstance(value, str):
                initial[f"date_{qid}"] = date.fromisoformat(value)
        for qid, detail in (data.get("details") or {}).items():
            initial[f"detail_{qid}"] = detail
    form = ScreeningForm(formdata=formdata, data=initial) if formdata is not None else ScreeningForm(data=initial)
    form.today = today
    return form


class ComprehensionFormBase(KioskForm):
    """Fields are added per treatment by `comprehension_form`; choices() gives the chosen option ids."""

    question_ids: list[str] = []

    def choices(self) -> dict[str, Any]:
        return {"answers": {qid: self[f"c_{qid}"].data for qid in self.question_ids}}


def comprehension_form(questions: list[Any], *, formdata: Any = None) -> ComprehensionFormBase:
    """One multiple-choice field per comprehension question shown (kiosk.documents.record.CheckShown)."""

    class ComprehensionForm(ComprehensionFormBase):
        pass

    for q in questions:
        setattr(ComprehensionForm, f"c_{q['id']}", RadioField(
            q["text"], choices=[SelectChoice(o["id"], o["text"]) for o in q["options"]],
            validators=[InputRequired(_l("Please choose an answer."))]))
    ComprehensionForm.question_ids = [q["id"] for q in questions]
    return ComprehensionForm(formdata=formdata) if formdata is not None else ComprehensionForm()

"""The base every form shares, and forms shared by several pages.

Every text field of every form (KioskForm, and QueryForm for the GET filters) has its value checked as
it arrived, before any filter normalises it (issue 14): NFC on a post of 300,000 combining marks froze a
worker for a minute, because normalisation reorders a run of marks in quadratic time and ran before the
field's length was checked. The check is one filter put first and one validator put first on each
field, by the forms' Meta, so a new field cannot miss it.
"""

from __future__ import annotations

import unicodedata
from datetime import date
from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms import Field, Form, HiddenField, SelectField, StringField
from wtforms.utils import unset_value
from wtforms.i18n import messages_path
from wtforms.meta import DefaultMeta
from wtforms.validators import InputRequired, Length, StopValidation, ValidationError

from kiosk.core.dates import month_names
from kiosk.core.translation import lazy_gettext as _l

# NFC turns at most 4 code points into one character (UAX #15: NFD's largest expansion is 4), so a raw value
# longer than 4 x a field's limit can never fit it, whatever normalisation and trimming do to it.
RAW_FACTOR = 4
# a text field without a Length(max=...) of its own is checked against this one (WTForms' own message)
DEFAULT_LENGTH = Length(max=1000)
# Unicode's stream-safe text format (UAX #15) allows at most 30 combining marks in a row; no language needs more
MAX_MARK_RUN = 30
TOO_MANY_MARKS = _l("This text has too many accent marks on one letter. Please type it again.")


def longest_mark_run(value: str) -> int:
    """The longest run of combining marks (non-starters, which NFC reorders) in a text, counted up to the limit."""
    run = longest = 0
    combining = unicodedata.combining
    for character in value:
        if combining(character):
            run += 1
            if run > longest:
                longest = run
                if longest > MAX_MARK_RUN:
                    break
        else:
            run = 0
    return longest


def cut_mark_runs(value: str) -> str:
    """The text with every run of combining marks cut to MAX_MARK_RUN, so what is shown again stays cheap."""
    out: list[str] = []
    run = 0
    combining = unicodedata.combining
    for character in value:
        run = run + 1 if combining(character) else 0
        if run <= MAX_MARK_RUN:
            out.append(character)
    return "".join(out)


class RawTextCheck:
    """One text field's check of its raw value: a filter that runs before every other, and a validator first in line.

    Refused input (longer than RAW_FACTOR x the field's limit, or a run of more than MAX_MARK_RUN combining
    marks) is cut before the field's own filters see it, so they stay cheap, and the cut text is what the
    page shows again; the validator then stops the field's validation with the field's normal "too long"
    message (its Length validator's), or TOO_MANY_MARKS.
    """

    __slots__ = ("field", "length", "refusal")

    def __init__(self, field: Field, length: Length) -> None:
        self.field = field
        self.length = length
        self.refusal: Any = None  # the message (a lazy string) when the raw value was refused

    def filter(self, value: Any) -> Any:
        """Runs on the value exactly as posted (the field's data is still that value while filters run)."""
        self.refusal = None
        if not isinstance(value, str):
            return value
        if len(value) > RAW_FACTOR * self.length.max:
            try:
                self.length(None, self.field)  # its own message, worded and translated as for any long value
            except ValidationError as exc:
                self.refusal = exc.args[0]
            value = value[:self.length.max]
        elif not value.isascii() and longest_mark_run(value) > MAX_MARK_RUN:
            self.refusal = TOO_MANY_MARKS
            value = cut_mark_runs(value)
        else:
            return value
        self.field.raw_data = [value]
        return value

    def validate(self, _form: Any, _field: Field) -> None:
        """First in the field's chain: a refused value gets one message and no other validator runs on it."""
        if self.refusal is not None:
            raise StopValidation(self.refusal)


class CheckedTextMeta(DefaultMeta):
    """Binds every text field (StringField and its kinds: text areas, passwords, emails, hidden) with a RawTextCheck."""

    def bind_field(self, form: Any, unbound_field: Any, options: dict[str, Any]) -> Field:
        field = super().bind_field(form, unbound_field, options)
        if isinstance(field, StringField):
            length = next((v for v in field.validators if isinstance(v, Length) and v.max >= 0), DEFAULT_LENGTH)
            check = RawTextCheck(field, length)
            field.filters = (check.filter, *field.filters)
            field.validators = (check.validate, *field.validators)
        return field


@lru_cache(maxsize=None)
def wtforms_messages(locale: str) -> NullTranslations:
    """WTForms' own messages ("Not a valid choice.") in one language, read from disk once per process.

    Flask-WTF reads and parses the catalogue again on every request that builds a form;
    a catalogue never changes while the process runs, so one parsed copy serves every request.
    """
    return Translations.load(messages_path(), [locale], domain="wtforms")


class QueryForm(Form):
    """A GET filter form (no CSRF token, nothing changes), with the same raw text checks as every other form."""

    class Meta(CheckedTextMeta):
        pass


class KioskForm(FlaskForm):
    """Flask-WTF's form, with WTForms' messages in the page's language from a per-process catalogue."""

    class Meta(CheckedTextMeta, FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True) or not has_request_context():
                return super().get_translations(form)
            locale = get_locale()
            return wtforms_messages(str(locale)) if locale is not None else None


class EmptyForm(KioskForm):
    """A button-only form: carries the CSRF token for actions that post nothing else."""


class LanguageForm(KioskForm):
    """A language offered on this site (the patient's switch and the staff's alike); `next` is checked by the view."""

    lang = SelectField(validators=[InputRequired()])
    next = HiddenField()

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, code) for code in languages]


DATE_PARTS = ("day", "month", "year")
_PART_MAX = 8  # more than any day, month or year: a longer post is cut before it is read


class DayMonthYearField(Field):
    """A date as a day, a month chosen by name in the page's language, and a four-digit year: three controls nobody
    misreads (is 07/03 March or July?), the same with or without JavaScript, and every part checked with a message
    that names what is wrong ("February 2023 has no day 31"). Posted as <name>-day, <name>-month, <name>-year; a
    single ISO <name>=YYYY-MM-DD (a page from before this field) is read too."""

    required_message = _l("Please enter your date of birth.")
    missing_message = _l("Please enter the day, choose the month and enter the year.")
    day_message = _l("Please enter the day as a number from 1 to 31.")
    year_message = _l("Please enter the year with four digits, for example 1985.")
    no_such_day_message = _l("%(month)s %(year)d has no day %(day)d. Please check the day.")

    def __init__(self, label: Any = None, validators: Any = None, *, required_message: Any = None,
                 **kwargs: Any) -> None:
        super().__init__(label, validators, **kwargs)
        if required_message is not None:  # the desk asks for "the patient's" date, not "your" date
            self.required_message = required_message
        self.parts: dict[str, str] = dict.fromkeys(DATE_PARTS, "")
        self.data: date | None = None
        self.part_error: Any = None

    def process(self, formdata: Any, data: Any = unset_value, extra_filters: Any = None) -> None:
        """Read the three parts (or the saved date) into `data`; what does not make a date is kept as typed."""
        self.process_errors: list[Any] = []
        if data is unset_value:
            data = self.default() if callable(self.default) else self.default
        self.object_data = data
        self.data = data if isinstance(data, date) else None
        self.raw_data = None
        self.part_error = None
        self.parts = ({"day": str(data.day), "month": str(data.month), "year": str(data.year)}
                      if isinstance(data, date) else dict.fromkeys(DATE_PARTS, ""))
        if formdata is None:
            return
        posted = {part: str(formdata.get(f"{self.name}-{part}", ""))[:_PART_MAX].strip() for part in DATE_PARTS}
        iso = str(formdata.get(self.name, ""))[:_PART_MAX + 4].strip()
        if not any(posted.values()) and iso:
            try:
                parsed = date.fromisoformat(iso) if len(iso) == 10 else None
            except ValueError:
                parsed = None
            posted = ({"day": str(parsed.day), "month": str(parsed.month), "year": str(parsed.year)} if parsed
                      else {"day": "", "month": "", "year": iso})
        self.parts = posted
        self.raw_data = [posted[part] for part in DATE_PARTS]
        self.data, self.part_error = _read_date(posted)

    def pre_validate(self, form: Any) -> None:
        """The parts' own checks come first: nothing entered, a part missing, a day the month does not have."""
        if self.raw_data is not None and not any(self.raw_data):
            raise StopValidation(self.required_message)
        if self.part_error is not None:
            key, values = self.part_error
            message = getattr(self, f"{key}_message")
            raise StopValidation(message % values if values else message)
        if self.data is None:
            raise StopValidation(self.required_message)

    def months(self) -> list[tuple[str, str]]:
        """The month choices in the page's language, as value and name, for the template."""
        return [(str(number), name) for number, name in enumerate(month_names(str(get_locale() or "en")), start=1)]


def _read_date(parts: dict[str, str]) -> tuple[date | None, tuple[str, dict[str, Any] | None] | None]:
    """The date the parts make, or which part is wrong (a message key and its values)."""
    if not all(parts.values()):
        return None, ("missing", None)
    day, month, year = parts["day"], parts["month"], parts["year"]
    if not (day.isdigit() and 1 <= int(day) <= 31):
        return None, ("day", None)
    if not (month.isdigit() and 1 <= int(month) <= 12):
        return None, ("missing", None)
    if not (year.isdigit() and len(year) == 4):
        return None, ("year", None)
    try:
        return date(int(year), int(month), int(day)), None
    except ValueError:
        name = month_names(str(get_locale() or "en"))[int(month) - 1]
        return None, ("no_such_day", {"month": name, "year": int(year), "day": int(day)})

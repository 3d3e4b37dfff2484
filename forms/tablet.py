"""The tablet's own settings forms: a text size or a language and where to go back to, never patient data."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from forms.base import KioskForm
from kiosk.core.translation import lazy_gettext as _l

# session value -> the button's accessible name; the CSS class on <html> is "text-<value>"
TEXT_SIZES: tuple[tuple[str, object], ...] = (
    ("normal", _l("Normal text")),
    ("large", _l("Large text")),
    ("xlarge", _l("Extra large text")),
)


class TextSizeForm(KioskForm):
    """Posted by one of three buttons (name="size"); `next` is the page to show again, checked by the view."""

    size = SelectField(choices=[value for value, _label in TEXT_SIZES], validators=[InputRequired()])
    next = HiddenField()


class LanguageForm(KioskForm):
    """A language offered on this site; `next` is checked by the view, which decides where to go."""

    lang = SelectField(validators=[InputRequired()])
    next = HiddenField()

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, code) for code in languages]

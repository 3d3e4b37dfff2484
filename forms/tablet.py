"""The tablet's own settings forms: a text size or a language and where to go back to, never patient data."""

from __future__ import annotations


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

"""The tablet's own settings forms: a text size and where to go back to, never patient data."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

# session value -> the button's accessible name; the CSS class on <html> is "text-<value>"
TEXT_SIZES: tuple[tuple[str, object], ...] = (
    ("normal", _l("Normal text")),
    ("large", _l("Large text")),
    ("xlarge", _l("Extra large text")),
)


class TextSizeForm(FlaskForm):
    """Posted by one of three buttons (name="size"); `next` is the page to show again, checked by the view."""

    size = SelectField(choices=[value for value, _label in TEXT_SIZES], validators=[InputRequired()])
    next = HiddenField()

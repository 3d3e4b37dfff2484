"""The language switch on every patient page: which language, and the page to come back to."""

from __future__ import annotations

from typing import Any

from wtforms import HiddenField, SelectField
from wtforms.validators import InputRequired

from forms.base import KioskForm


class LanguageForm(KioskForm):
    """A language offered on this site; `next` is checked by the view, which decides where to go."""

    lang = SelectField(validators=[InputRequired()])
    next = HiddenField()

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.lang.choices = [(code, code) for code in languages]

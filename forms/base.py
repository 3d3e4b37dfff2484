"""The base every form shares, and forms shared by several pages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from babel.support import NullTranslations, Translations
from flask import current_app, has_request_context
from flask_babel import get_locale
from flask_wtf import FlaskForm
from wtforms.i18n import messages_path


@lru_cache(maxsize=None)
def wtforms_messages(locale: str) -> NullTranslations:
    """WTForms' own messages ("Not a valid choice.") in one language, read from disk once per process.

    Flask-WTF reads and parses the catalogue again on every request that builds a form;
    a catalogue never changes while the process runs, so one parsed copy serves every request.
    """
    return Translations.load(messages_path(), [locale], domain="wtforms")


class KioskForm(FlaskForm):
    """Flask-WTF's form, with WTForms' messages in the page's language from a per-process catalogue."""

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True) or not has_request_context():
                return super().get_translations(form)
            locale = get_locale()
            return wtforms_messages(str(locale)) if locale is not None else None


class EmptyForm(KioskForm):
    """A button-only form: carries the CSRF token for actions that post nothing else."""

"""Interface translations looked up once per request: the message domain, gettext for templates, lazy strings for forms.

Flask-Babel finds the request, its locale and the catalogue again for every translated string, through
several context-local look-ups each; a patient page has dozens of strings, and that search was a tenth
of the page's time. Here the catalogue found first in a request is kept for the rest of it.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import Locale
from babel.support import NullTranslations
from flask import Flask
from flask.globals import _cv_app
from flask_babel import Babel, Domain, get_locale
from flask_babel.speaklater import LazyString
from jinja2 import pass_eval_context
from jinja2.nodes import EvalContext
from markupsafe import Markup


@cache
def locale_for(code: str) -> Locale:
    """One parsed Locale per language and process: Flask-Babel would parse the code again on every request."""
    return Locale.parse(code)


class RequestDomain(Domain):
    """Flask-Babel's message domain, keeping the catalogue it found beside the locale it found it for.

    `flask_babel.refresh()` (a language switch mid-request) drops the request's locale, so the next
    string finds the new locale's catalogue.
    """

    def get_translations(self) -> NullTranslations:
        app_context = _cv_app.get(None)
        state = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
        kept = getattr(state, "kiosk_translations", None)
        if kept is not None and kept[0] is getattr(state, "babel_locale", None):
            return kept[1]
        translations = super().get_translations()
        state = getattr(app_context.g, "_flask_babel", None) if app_context is not None else None
        if state is not None:
            state.kiosk_translations = (get_locale(), translations)
        return translations


# the app's one message domain ("messages"); it reads the catalogues from the current app's settings
DOMAIN = RequestDomain()


def gettext(string: str, **variables: Any) -> str:
    """flask_babel.gettext, going to the app's domain directly instead of looking it up per string."""
    text = DOMAIN.get_translations().ugettext(string)
    return text % variables if variables else text


def lazy_gettext(string: str, **variables: Any) -> LazyString:
    """A string translated when shown (form labels and messages are defined before any request)."""
    return LazyString(gettext, string, **variables)


@pass_eval_context
def template_gettext(eval_context: EvalContext, string: str, **variables: Any) -> str:
    """`_()` in a template: Jinja's newstyle gettext (escaped, always %-formatted) in one call instead of three."""
    text = DOMAIN.get_translations().ugettext(string)
    if eval_context.autoescape:
        # the clinic's own message catalogue, as Jinja's i18n extension trusts it; the values are escaped by %
        text = Markup(text)  # nosec B704
    return text % variables


class KioskBabel(Babel):
    """Flask-Babel using the request-cached domain, in Python code and in templates."""

    @property
    def domain_instance(self) -> RequestDomain:
        return DOMAIN

    def init_app(self, app: Flask, *args: Any, **kwargs: Any) -> None:
        super().init_app(app, *args, **kwargs)
        # Flask-Babel's template callables look the domain up again for each string; these go to it directly
        app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by jinja2.ext.i18n at run time
            gettext=lambda s: DOMAIN.get_translations().ugettext(s),
            ngettext=lambda s, p, n: DOMAIN.get_translations().ungettext(s, p, n),
            pgettext=lambda c, s: DOMAIN.get_translations().upgettext(c, s),
            npgettext=lambda c, s, p, n: DOMAIN.get_translations().unpgettext(c, s, p, n),
            newstyle=True,
        )
        app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)

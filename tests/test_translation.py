"""Interface strings follow the request's language, including a language switched part-way through a request."""

from __future__ import annotations

from flask import Flask, render_template_string, session
from flask_babel import refresh

from forms.consent import IdentityForm
from kiosk.core.translation import gettext, lazy_gettext


def test_a_language_switched_mid_request_is_used_for_every_later_string(app: Flask) -> None:
    later = lazy_gettext("Next")
    with app.test_request_context("/consent/identity"):
        assert gettext("Next") == "Next" and render_template_string("{{ _('Next') }}") == "Next"
        session["lang"] = "es"
        refresh()  # what the wizard does when a draft was started in another language
        assert gettext("Next") == "Siguiente"
        assert str(later) == "Siguiente"
        assert render_template_string("{{ _('Next') }}") == "Siguiente"
        assert str(IdentityForm.full_name.args[0]) == "Nombre y apellidos"


def test_each_request_starts_from_its_own_language(app: Flask) -> None:
    with app.test_request_context("/"):
        session["lang"] = "es"
        refresh()
        assert gettext("Language") == "Idioma"
    with app.test_request_context("/"):  # a new request, no language chosen: the clinic's default
        assert gettext("Language") == "Language"


def test_template_strings_escape_their_values_and_read_percent_signs_as_jinja_does(app: Flask) -> None:
    with app.test_request_context("/"):
        assert render_template_string("{{ _('Step %(n)d of %(total)d', n=2, total=8) }}") == "Step 2 of 8"
        assert render_template_string("{{ _('%(who)s said', who='<b>A&B</b>') }}") == "&lt;b&gt;A&amp;B&lt;/b&gt; said"
        assert render_template_string("{{ _('100%% sure') }}") == "100% sure"  # always a format string
        assert render_template_string("{{ _('<em>%(x)s</em>', x='<i>') }}") == "<em>&lt;i&gt;</em>"

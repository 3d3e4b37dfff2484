"""Templates' addresses stay right when remembered: per mount point, and never for addresses with arguments."""

from __future__ import annotations

import pytest
from flask import Flask, render_template_string
from werkzeug.routing import BuildError

PAGE = ("{{ url_for('static', filename='css/kiosk.css') }} {{ url_for('wizard.start') }} "
        "{{ url_for('doctor.consent', document_id=doc) }}")


def test_remembered_addresses_follow_where_the_app_is_mounted_and_their_arguments(app: Flask) -> None:
    with app.test_request_context("/", base_url="http://clinic.test/kiosk/"):
        assert render_template_string(PAGE, doc="A1") == "/kiosk/static/css/kiosk.css /kiosk/ /kiosk/doctor/consents/A1"
    with app.test_request_context("/"):
        assert render_template_string(PAGE, doc="B2") == "/static/css/kiosk.css / /doctor/consents/B2"
    with app.test_request_context("/", base_url="http://clinic.test/kiosk/"):
        assert render_template_string(PAGE, doc="C3") == "/kiosk/static/css/kiosk.css /kiosk/ /kiosk/doctor/consents/C3"


def test_an_unknown_endpoint_still_fails_loudly(app: Flask) -> None:
    with app.test_request_context("/"), pytest.raises(BuildError):
        render_template_string("{{ url_for('no.such_page') }}")

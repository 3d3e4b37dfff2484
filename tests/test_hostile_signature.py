"""Decompression bombs as a drawn signature (issue 14, finding 8): the message any unusable signature gets.

Before the fix, a 201-byte PNG whose header claims 100000 x 100000 pixels made Pillow raise its
DecompressionBombError before the signature's size was checked: a 500 on the consent's and the check-in's
sign steps. Both steps decode the signature in one place (forms.consent.decode_signature).
"""

from __future__ import annotations

import re
import warnings

import pytest
from flask import Flask
from PIL import Image
from sqlalchemy import func, select

from kiosk.core.models import Checkin, Consent
from tests import hostile
from tests.support import WizardDriver
from tests.test_course import make_consent, post, signed_in, start_checkin

TOO_LARGE = "The signature image is too large. Please clear it and sign again."
SIGNED = {"consent_agree": "y", "typed_signature": "", "printed_name": "ZOË ÑÚÑEZ"}


def test_the_bomb_is_a_couple_of_hundred_bytes() -> None:
    assert len(hostile.png_claiming(100_000, 100_000)) <= 201


@pytest.mark.parametrize("size", [(100_000, 100_000), (20_000, 20_000), (4001, 10), (10, 4001)])
def test_a_png_claiming_a_huge_size_on_the_consent_sign_step_is_refused_with_a_message(
        app: Flask, wizard: WizardDriver, size: tuple[int, int]) -> None:
    wizard.ready_to_sign(app, "co2_laser")
    response = wizard.sign(signature_data=hostile.png_data_url(hostile.png_claiming(*size)), **SIGNED)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert TOO_LARGE in response.get_data(as_text=True)
    with app.extensions["kiosk_db"]() as session:
        assert session.scalar(select(func.count()).select_from(Consent)) == 0  # nothing signed


def test_pillows_warning_turned_into_an_error_gets_the_same_message(app: Flask, wizard: WizardDriver) -> None:
    """Between MAX_IMAGE_PIXELS and twice that Pillow only warns; where warnings are errors it raises that warning."""
    wizard.ready_to_sign(app, "co2_laser")
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        response = wizard.sign(signature_data=hostile.png_data_url(hostile.png_claiming(10_000, 10_000)), **SIGNED)
    assert response.status_code == 200
    assert TOO_LARGE in response.get_data(as_text=True)


def test_a_png_claiming_a_huge_size_on_the_check_in_sign_step_is_refused_with_a_message(
        app: Flask, staff: dict[str, str]) -> None:
    document_id = make_consent(app)
    code = start_checkin(signed_in(app, staff["frontdesk"]), document_id)
    tablet = app.test_client()
    assert post(tablet, "/", "/consent/start", {"code": code}).headers["Location"] == "/checkin"
    page = tablet.get("/checkin").get_data(as_text=True)
    answers = {name: "no" for name in set(re.findall(r'name="(q_[a-z_0-9]+)"', page))}
    assert post(tablet, "/checkin", "/checkin", answers).headers["Location"] == "/checkin/sign"
    response = post(tablet, "/checkin/sign", "/checkin/sign",
                    {**SIGNED, "signature_data": hostile.png_data_url(hostile.png_claiming(100_000, 100_000))})
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    assert TOO_LARGE in response.get_data(as_text=True)
    with app.extensions["kiosk_db"]() as session:
        [checkin] = session.scalars(select(Checkin)).all()
        assert checkin.status == "open" and checkin.pdf is None

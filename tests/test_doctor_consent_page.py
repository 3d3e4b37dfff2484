"""The doctor's consent page reads as a doctor needs it: the identity check, the signature, the trail in words,
and, for a consent signed in another language, each question also in the doctor's words, marked as a translation.
"""

from __future__ import annotations

import html as html_lib
from typing import Any

from flask import Flask

from tests.support import WizardDriver
from tests.test_doctor import STOP_AND_REVIEW, decide, doctor_client, queue_html, signed_consent
from tests.test_spanish import switch


def _page(app: Flask, document_id: str) -> str:
    return html_lib.unescape(doctor_client(app).get(f"/doctor/consents/{document_id}").get_data(as_text=True))


def test_a_spanish_consent_shows_each_question_as_read_then_its_translation(app: Flask, wizard: WizardDriver,
                                                                          staff: dict[str, str]) -> None:
    wizard.get("/")
    switch(wizard, "es", "/")
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Begoña Núñez")
    texts = app.extensions["kiosk_texts"]
    page = _page(app, document_id)
    spanish, english = texts.language("es").questions["pregnant"].text, texts.language("en").questions["pregnant"].text
    assert f'<span class="question" lang="es">{spanish}</span>' in page
    assert f"Translation: {english}" in page
    assert page.index(spanish) < page.index(f"Translation: {english}")  # the words the patient read come first


def test_an_english_consent_read_in_english_has_no_translation(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    page = _page(app, signed_consent(app, wizard, yes=STOP_AND_REVIEW))
    assert "Translation:" not in page


def test_the_page_shows_the_desk_identity_check_and_the_patients_signature(app: Flask, wizard: Any,
                                                                          staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Zoë Ñúñez")
    page = _page(app, document_id)
    assert "Identity check at the front desk" in page
    assert "The patient's signature" in page
    assert 'class="typed-signature">ZOË ÑÚÑEZ' in page  # a typed signature is the printed name, typed once
    assert "Printed name</dt><dd>ZOË ÑÚÑEZ" in page


def test_the_audit_trail_reads_in_words_without_internal_row_ids(app: Flask, wizard: Any,
                                                                 staff: dict[str, str]) -> None:
    document_id = signed_consent(app, wizard, yes=STOP_AND_REVIEW)
    assert decide(doctor_client(app), document_id, decision="consultation", note="See her first.").status_code == 302
    page = _page(app, document_id)
    trail = page[page.index('id="trail-heading"'):]
    assert "draft_id" not in trail and "code_id" not in trail
    assert "decision: Needs a consultation" in trail and "revision: 2" in trail


def test_a_queue_row_names_the_flagged_answers_in_short_words(app: Flask, wizard: Any, staff: dict[str, str]) -> None:
    signed_consent(app, wizard, yes=STOP_AND_REVIEW, name="Ana Banderas")
    texts = app.extensions["kiosk_texts"]
    html = html_lib.unescape(queue_html(doctor_client(app)))
    row = html[html.index("Ana Banderas") - 900:html.index("Ana Banderas")]
    pregnant, heart = texts.language("en").questions["pregnant"].short, texts.language("en").questions["heart_disease"].short
    assert pregnant and heart
    assert f'<span class="help flagged-names">{pregnant}; {heart}</span>' in row  # the stop first, then the review

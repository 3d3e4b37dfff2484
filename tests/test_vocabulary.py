"""The vocabulary: every stored code has words for staff, in their language, and an unknown code never breaks a page."""

from __future__ import annotations

import pytest
from flask import Flask, session

from kiosk.core import audit, vocabulary
from kiosk.documents.record import SEVERITY_ORDER
from kiosk.rules import validity
from kiosk.rules.readiness import DECISIONS, READINESS_KEYS
from tests.helpers import staff_login


def _render(app: Flask, source: str, language: str = "en", **values: object) -> str:
    with app.test_request_context():
        session["lang"] = language
        return app.jinja_env.from_string(source).render(**values)


@pytest.mark.parametrize(("codes", "words"), [
    (audit.ACTIONS, vocabulary.AUDIT_ACTION_LABELS),
    (DECISIONS, vocabulary.DECISION_LABELS),
    (READINESS_KEYS, vocabulary.READINESS_LABELS),
    (validity.BLOCK_REASONS, vocabulary.VALIDITY_REASON_LABELS),
    ((*SEVERITY_ORDER, "none"), vocabulary.SEVERITY_LABELS),
])
def test_every_code_the_app_stores_has_words_so_no_page_shows_a_raw_code(codes: tuple[str, ...],
                                                                         words: vocabulary.Words) -> None:
    assert set(codes) == set(words)


def test_a_code_the_vocabulary_does_not_know_is_shown_as_itself_never_an_error(app: Flask) -> None:
    page = _render(app, "{{ 'mystery'|decision_label }}|{{ none|revision_kind_label }}|{{ 7|desk_status_label }}")
    assert page == "mystery||7"


def test_each_filter_reads_in_the_staff_members_language(app: Flask) -> None:
    source = "{{ 'withdrawal'|revision_kind_label }}|{{ 'stop'|severity_label }}|{{ 'phone'|withdrawal_method_label }}"
    assert _render(app, source) == "with the withdrawal of consent|Stop|By telephone"
    assert _render(app, source, "es") == "con la retirada del consentimiento|Bloqueo|Por teléfono"


def test_the_audit_log_names_each_action_in_words_and_still_filters_by_its_code(app, client, staff):  # noqa: ANN001
    session = app.extensions["kiosk_db"]()
    audit.record(session, audit.Who(actor="cli"), "export", target="CK-20261125-AAAA")
    session.close()
    staff_login(client, staff["admin"])
    page = client.get("/admin/audit?action=export").get_data(as_text=True)
    assert '<td data-label="Action">Exported</td>' in page and ">export</td>" not in page
    assert '<option selected value="export">Exported</option>' in page

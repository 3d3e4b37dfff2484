"""An answer in words: one function for the review page, the doctor's pages, the PDF and the FHIR export."""

from __future__ import annotations

from typing import Any

import pytest

from kiosk.documents.pdf.labels import LABELS
from kiosk.documents.pdf.text import format_date
from kiosk.documents.record import describe_answer


def words(answer: dict[str, Any], language: str = "en") -> Any:
    labels = LABELS[language]
    return describe_answer(answer, labels, day=lambda iso: format_date(iso, labels))


@pytest.mark.parametrize(("answer", "en", "es"), [
    ({"type": "bool", "value": True}, "Yes", "Sí"),
    ({"type": "bool", "value": False}, "No", "No"),
    ({"type": "bool", "value": None}, "Not answered", "Sin responder"),
    ({"type": "date", "value": None}, "Not in the last 12 months", "No en los últimos 12 meses"),
    ({"type": "date", "value": "2026-01-10"}, "Yes, last dose on 2026-01-10", "Sí, última dosis el 10/01/2026"),
])
def test_each_answer_reads_the_same_wherever_it_is_printed(answer: dict[str, Any], en: str, es: str) -> None:
    assert (words(answer), words(answer, "es")) == (en, es)


def test_a_check_in_answer_without_a_type_still_reads_yes_or_no() -> None:
    assert (words({"value": True}), words({"value": False})) == ("Yes", "No")

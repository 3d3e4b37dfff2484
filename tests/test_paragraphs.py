"""Paragraphs: a blank line starts one, on the tablet's pages and in the PDF alike (consent_texts/README.md)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from kiosk.documents.pdf.style import STYLES
from kiosk.documents.pdf.text import blocks
from kiosk.documents.paragraphs import paragraphs

TEXTS = Path(__file__).resolve().parent.parent / "consent_texts"


@pytest.mark.parametrize(("text", "expected"), [
    ("One.\n\nTwo.", ["One.", "Two."]),
    ("One line\nand its next line.\n\nTwo.", ["One line\nand its next line.", "Two."]),
    ("One.\n   \nTwo.\n\n\n\nThree.\n", ["One.", "Two.", "Three."]),
    ("One.\r\n\r\nTwo.", ["One.", "Two."]),
    ("\n\nOne.\n\n", ["One."]),
    ("", []), (None, []), ("\n \n", []),
])
def test_a_blank_line_starts_a_paragraph_and_a_single_newline_does_not(text: str | None, expected: list[str]) -> None:
    assert paragraphs(text) == expected


def test_the_pdf_prints_the_paragraphs_the_tablet_shows() -> None:
    text = "First paragraph,\nstill the first.\n\nSecond."
    assert [block.text for block in blocks(text, STYLES["body"])] == paragraphs(text)


@pytest.mark.parametrize("language", ["en", "es"])
def test_the_check_in_texts_write_each_paragraph_after_a_blank_line(language: str) -> None:
    """The check-in pages once showed every line as a paragraph; the texts now say so with blank lines."""
    words = yaml.safe_load((TEXTS / language / "checkin.yaml").read_text(encoding="utf-8"))
    for key in ("intro", "statement", "flagged_notice", "clean_notice", "signature_meaning"):
        assert all("\n" not in paragraph for paragraph in paragraphs(words[key])), key

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
    ("One line\nand its next line.\n\nTwo.", ["One line and its next line.", "Two."]),
    ("Ragged   \n   edges\n\nTwo.", ["Ragged edges", "Two."]),
    ("A list:\n- first\n- second\nstill second.", ["A list:\n- first\n- second still second."]),
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


def test_a_typed_note_keeps_its_line_breaks_in_the_pdf() -> None:
    """A doctor's note or a withdrawal reason is what staff typed, not a clinic text: its lines stay as typed."""
    note = "Seen today.\nNo cold sore.\n\nCleared."
    assert [block.text for block in blocks(note, STYLES["body"], reflow=False)] == ["Seen today.\nNo cold sore.",
                                                                                   "Cleared."]


def _yaml_paragraphs(text: str) -> list[str]:
    """What the editor meant: paragraphs at blank lines, each one line with single spaces."""
    return [" ".join(block.split()) for block in text.split("\n\n") if block.strip()]


def test_a_line_break_in_the_yaml_is_a_space_on_the_tablet_and_in_the_pdf(app, wizard) -> None:  # noqa: ANN001
    """The explanation, the statements beside the signature and the PDF all reflow a paragraph the same way."""
    import html
    import re

    from kiosk.documents.pdf.text import TextBlock

    texts = app.extensions["kiosk_texts"]
    wizard.start()
    wizard.identity()
    wizard.treatment("co2_laser", areas=("abdomen", "other"), other="Lower back / flanks (love handles)")
    page = html.unescape(wizard.get("/consent/explanation").get_data(as_text=True))
    shown_paragraphs = [" ".join(p.split()) for p in re.findall(r"<p[^>]*>(.*?)</p>", page, re.S)]
    broken = [text for text in texts.modality("en", "co2_laser").sections.values()
              if any("\n" in block.strip() for block in text.split("\n\n"))]
    assert broken  # the YAML does break lines inside paragraphs
    for text in broken:
        for paragraph in _yaml_paragraphs(text):
            assert paragraph in shown_paragraphs
            assert paragraph in [block.text for block in blocks(text, STYLES["body"]) if isinstance(block, TextBlock)]
    wizard.explanation()
    wizard.risks(app, "co2_laser")
    wizard.comprehension(app, "co2_laser")
    wizard.screening(app, "co2_laser")
    review = html.unescape(wizard.get("/consent/review").get_data(as_text=True))
    for paragraph in _yaml_paragraphs(texts.language("en").common.esign_statement):
        assert f"<p>{paragraph}</p>" in review
    wizard.review()
    sign = " ".join(html.unescape(wizard.get("/consent/sign").get_data(as_text=True)).split())
    meaning = texts.language("en").common.signature_meaning.replace(
        "{treatment}", "ablative CO2 laser resurfacing")
    for paragraph in _yaml_paragraphs(meaning):
        assert f"<p>{paragraph}</p>" in sign

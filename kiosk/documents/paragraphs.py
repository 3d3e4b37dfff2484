"""Paragraphs of a clinic text: the tablet's pages and the PDF cut a text the same way (consent_texts/README.md)."""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t]*\n+")


def paragraphs(text: str | None) -> list[str]:
    """The text's paragraphs: a blank line (or one holding only spaces) starts a new one; a single newline does not.

    Each paragraph keeps its own line breaks and spacing, for a printer that shows text verbatim.
    """
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    return [block for block in _BLANK_LINE.split(text) if block.strip()]

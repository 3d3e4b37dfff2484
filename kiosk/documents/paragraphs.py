"""Paragraphs of a clinic text: the tablet's pages and the PDF cut and reflow a text the same way (consent_texts/README.md).

In consent_texts/ a blank line starts a new paragraph and a single line break is only where the editor's line
ended: it reads as a space, so both the page and the PDF fill their own line width. A line that starts a list
item ("- ", "• ", "1. ") keeps its own line.
"""

from __future__ import annotations

import re

_BLANK_LINE = re.compile(r"\n[ \t]*\n+")
_LIST_ITEM = re.compile(r"^\s*(?:[\u2022\u2023\u25e6\u2043\u2219*\-\u2013]|\d{1,2}[.)])\s+")


def paragraphs(text: str | None, *, reflow: bool = True) -> list[str]:
    """The text's paragraphs: a blank line (or one holding only spaces) starts a new one; a single newline does not.

    reflow (clinic texts): each paragraph's lines are joined by one space, except before a list item.
    reflow=False (what staff typed, such as a doctor's note): each paragraph keeps its own line breaks.
    """
    if not text:
        return []
    text = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n")
    found = [block for block in _BLANK_LINE.split(text) if block.strip()]
    return [_reflowed(block) for block in found] if reflow else found


def _reflowed(block: str) -> str:
    """One paragraph as one line (list items each on their own line), spaces around the joins collapsed."""
    lines: list[str] = []
    for line in (part.strip() for part in block.split("\n")):
        if not line:
            continue
        if lines and not _LIST_ITEM.match(line):
            lines[-1] = f"{lines[-1]} {line}"
        else:
            lines.append(line)
    return "\n".join(lines)

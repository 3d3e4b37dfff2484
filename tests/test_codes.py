"""Codes read aloud and typed: the tablet's one-time codes and the verification codes printed on PDFs share one home."""

from __future__ import annotations

import re
from datetime import datetime

import pytest

from kiosk.consent.submission import new_document_id
from kiosk.desk import sessions as desk
from kiosk.documents import codes


def test_no_code_uses_a_character_that_can_be_misread_aloud() -> None:
    made = [codes.random_code(6) for _ in range(50)] + [codes.verification_code() for _ in range(50)]
    made += [new_document_id(datetime(2026, 3, 10)).rsplit("-", 1)[1] for _ in range(50)]
    assert not any(ch in code for code in made for ch in "0O1IL")


def test_every_letter_and_digit_but_the_five_misread_ones_is_read_back() -> None:
    for character in "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ":
        expected = None if character in "0O1IL" else character * 6
        assert codes.normalize(character.lower() * 6, 6) == expected, character


def test_a_verification_code_is_three_groups_of_four() -> None:
    assert re.fullmatch(r"([23456789A-HJKMNP-Z]{4}-){2}[23456789A-HJKMNP-Z]{4}", codes.verification_code())


@pytest.mark.parametrize(("typed", "expected"), [
    ("k7pm 2qxr 9tab", "K7PM-2QXR-9TAB"), ("K7PM–2QXR–9TAB", "K7PM-2QXR-9TAB"), ("K7PM/2QXR/9TAB", "K7PM-2QXR-9TAB"),
    ("KLPM-2QXR-9TAB", "KLPM-2QXR-9TAB"),  # codes printed before the alphabet was shared may hold an L
    ("K7PM-2QXR-9TA", None), ("K7PM-2QXR-9TABX", None), ("O0I1-2QXR-9TAB", None), ("", None), (None, None),
])
def test_a_typed_verification_code_is_read_as_printed(typed: str | None, expected: str | None) -> None:
    assert codes.normalize_verification_code(typed) == expected


def test_the_tablet_and_the_verification_page_read_typed_codes_the_same_way() -> None:
    assert desk.normalize_code("k7p–m2q") == codes.normalize("k7p–m2q", 6) == "K7PM2Q"
    assert desk.normalize_code("K7P/M2Q") == "K7PM2Q"
    assert desk.normalize_code("L7P-M2Q") is None  # a tablet code never had an L
    assert desk.format_code("K7PM2Q") == "K7P-M2Q"

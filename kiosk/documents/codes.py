"""Codes people read aloud and type: the tablet's one-time codes, the verification codes and document ids on PDFs.

One alphabet, one way to make a random code and one way to read back what someone typed, so a code printed
or said by one part of the clinic is understood by every other.
"""

from __future__ import annotations

import secrets

ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"  # no 0/O, 1/I/L: nothing to mix up when read aloud
# Verification codes and document ids made before the alphabet was shared also used L; they stay valid.
LEGACY_ALPHABET = ALPHABET + "L"


def random_code(length: int) -> str:
    """`length` characters from the alphabet, from the system's cryptographic random source."""
    return "".join(secrets.choice(ALPHABET) for _ in range(length))


def grouped(code: str, size: int) -> str:
    """The code in dash-separated groups ("K7P-M2Q", "K7PM-2QXR-9TAB"), easier to read aloud and type."""
    return "-".join(code[i:i + size] for i in range(0, len(code), size))


def normalize(typed: str | None, length: int, alphabet: str = ALPHABET) -> str | None:
    """The bare code whatever the case, spaces, dashes or other marks typed; None when it cannot be a code."""
    code = "".join(ch for ch in (typed or "").upper() if ch.isalnum())
    if len(code) != length or any(ch not in alphabet for ch in code):
        return None
    return code


VERIFICATION_CODE_LENGTH = 12  # about 59 random bits, printed on every page of a consent PDF


def verification_code() -> str:
    """A new code for a consent's PDF, XXXX-XXXX-XXXX, which anyone may type on /verify."""
    return grouped(random_code(VERIFICATION_CODE_LENGTH), 4)


def normalize_verification_code(typed: str | None) -> str | None:
    """A typed verification code as stored (XXXX-XXXX-XXXX); None when it cannot be one."""
    code = normalize(typed, VERIFICATION_CODE_LENGTH, LEGACY_ALPHABET)
    return None if code is None else grouped(code, 4)

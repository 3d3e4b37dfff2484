"""Initials against the name they stand for: proposed from the name, and checked loosely (any order, no particles).

A patient adopts initials once, at the first risk; the proposal is the first letter of each word of the name
(words split at spaces and hyphens, particles such as "de" or "van" left out). Initials fit the name when each
of their letters starts a different word of it, in any order, accents and case folded, particles optional.
"""

from __future__ import annotations

import re
from collections import Counter

from kiosk.core.folding import fold_name

PARTICLES = frozenset({"de", "del", "la", "las", "los", "y", "e", "van", "von", "der", "den", "da", "das", "do",
                       "dos", "di", "du", "le"})
_WORDS = re.compile(r"[\s\-]+")


def _words(name: str) -> list[str]:
    return [w for w in (fold_name(part) for part in _WORDS.split(name)) if w]


MAX_LETTERS = 8  # a long Spanish name (Inmaculada Concepción … y Figueroa) has seven; the form accepts this many


def propose(name: str) -> str:
    """The first letter of each word of the name that is not a particle, as the patient would write them."""
    letters = [part[0] for part in _WORDS.split(name.strip()) if part and part[0].isalpha()
               and fold_name(part) not in PARTICLES]  # a number in a name ("Patient 3") is no initial
    return "".join(letters).upper()[:MAX_LETTERS]


def fit(initials: str, name: str) -> bool:
    """True when every letter of the initials starts a different word of the name (any order, particles optional)."""
    letters = Counter(fold_name(initials))
    if not letters:
        return False
    starts = Counter(word[0] for word in _words(name))
    return all(starts[letter] >= count for letter, count in letters.items())

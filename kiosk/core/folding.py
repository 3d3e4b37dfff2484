"""One way to fold a name for search, used when a name is stored and when a name is searched.

A Spanish desk types "fernandez" for Fernández, "maria jose" for María-José and "oconnor" for O'Connor.
Folding removes what a typist leaves out: case, accents and other marks, and every character that is not
a letter or a digit (spaces, hyphens, apostrophes, dots). Letters with no decomposition get their usual
Latin spelling (Ł -> l, Ø -> o, Đ -> d, Æ -> ae). Other scripts keep their letters, case-folded and
without marks (Παπαδοπούλου -> παπαδοπουλου). Pure: the stored column and the searched text fold alike on
SQLite and PostgreSQL because Python folds both.
"""

from __future__ import annotations

import unicodedata

# letters NFKD leaves whole, spelled as a Spanish or English desk would type them
_LATIN = str.maketrans({"ł": "l", "ø": "o", "đ": "d", "ð": "d", "þ": "th", "æ": "ae", "œ": "oe", "ı": "i",
                        "ŀ": "l", "ħ": "h", "ŧ": "t"})
FOLDED_MAX = 200  # a folded name is never longer than the 200 characters of the name (ß -> ss aside, cut)


def fold_name(text: str) -> str:
    """The searchable form of a name: lower case, no accents, letters and digits only ("O'Connor" -> "oconnor")."""
    decomposed = unicodedata.normalize("NFKD", text.casefold().translate(_LATIN))
    kept = "".join(ch for ch in decomposed if ch.isalnum() and not unicodedata.combining(ch))
    return unicodedata.normalize("NFC", kept.translate(_LATIN))[:FOLDED_MAX]

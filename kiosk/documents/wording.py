"""How a treatment's title and the areas a patient chose read inside a sentence, the same on screen and on paper.

One home for it: the sign page, the review pages and the PDF all name the areas this way, so "Somewhere else"
never wraps the patient's own words in a second pair of brackets, and a title keeps no capital mid-sentence.
"""

from __future__ import annotations

from collections.abc import Iterable

from babel.lists import format_list

AREAS_SLOT = "{areas}"  # left in the consent statement by the texts, filled with one patient's areas
OTHER_AREA = "other"  # the area id whose place the patient's own description takes


def in_a_sentence(words: str) -> str:
    """A title or label mid-sentence: first letter in lower case, unless the first word is an acronym (CO2, UV)."""
    first = words.split(" ", 1)[0]
    if len(first) > 1 and (first[1].isupper() or first[1].isdigit()):
        return words
    return words[:1].lower() + words[1:]


def chosen_areas(areas: Iterable[tuple[str, str]], other: str | None) -> list[str]:
    """Each area chosen (id, label) as the patient reads it: "somewhere else" replaced by the patient's own words.

    A record whose description has no "other" area to stand in for (an older or hand-made one) lists it last.
    """
    names, placed = [], False
    for area_id, label in areas:
        if area_id == OTHER_AREA and other:
            names.append(other)
            placed = True
        else:
            names.append(label)
    return names if placed or not other else [*names, other]


def areas_in_words(areas: Iterable[tuple[str, str]], other: str | None, language: str) -> str:
    """The areas chosen as one list in the language's own way: "belly (abdomen), arms and lower back"."""
    names = [in_a_sentence(name) for name in chosen_areas(areas, other)]
    return format_list(names, locale=language) if names else ""


def statement_with_areas(statement: str, areas: Iterable[tuple[str, str]], other: str | None, language: str) -> str:
    """The consent statement naming this patient's areas, as shown beside the signature and printed."""
    return statement.replace(AREAS_SLOT, areas_in_words(areas, other, language))

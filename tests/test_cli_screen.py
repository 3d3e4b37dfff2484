"""`flask --app app screen MODALITY ANSWERS.json [--as-of YYYY-MM-DD]`, run as a real subprocess.

This is how the medical director dry-runs the rules after editing them, so the
output must be exact JSON on success and one readable line (no traceback) on
any mistake in the answers file.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# The questions the spec (screening-rules.md) asks for co2_laser; every one answered "no".
CO2_NO: dict[str, Any] = {
    "pregnant": False, "breastfeeding": False, "skin_disease_in_area": False, "wounds_or_burns_in_area": False,
    "skin_cancer": False, "keloids": False, "skin_tumours": False, "anaesthetic_allergy": False,
    "circulation_problems": False, "heart_disease": False, "heart_rhythm_medicine": False, "systemic_disease": False,
    "immunosuppressed": False, "recent_skin_treatment": False, "g6pd_deficiency": False, "blood_thinners": False,
    "bleeding_disorder": False, "koebner_conditions": False, "isotretinoin_last_dose": None, "cold_sores": False,
    "recent_tan": False, "photosensitising_medication": False, "retinoid_use": False, "skin_type": "II",
    "pigment_marks": False,
}
ADULT = {"date_of_birth": "1980-05-17"}


def run_screen(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite3'}",
        "KIOSK_SECRET_KEY": "test",
    }
    env.pop("KIOSK_CONSENT_TEXTS_DIR", None)
    env.pop("FLASK_APP", None)
    return subprocess.run(
        [sys.executable, "-m", "flask", "--app", "app", "screen", *args],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )


def write(tmp_path: Path, body: Any, name: str = "answers.json") -> Path:
    path = tmp_path / name
    path.write_text(body if isinstance(body, str) else json.dumps(body), encoding="utf-8")
    return path


def assert_one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> str:
    assert result.returncode == 2, f"expected exit 2, got {result.returncode}; stderr={result.stderr!r}"
    assert "Traceback" not in result.stderr, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, f"expected exactly one line on stderr, got {lines!r}"
    for needle in needles:
        assert needle in lines[0], f"{needle!r} not named in {lines[0]!r}"
    assert result.stdout.strip() == "", f"nothing should go to stdout on error, got {result.stdout!r}"
    return lines[0]


def test_clean_answers_give_no_flags(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"modality": "co2_laser", "flags": []}


def test_flagged_answers_give_exact_flags(tmp_path: Path) -> None:
    answers = {**CO2_NO, "date_of_birth": "2008-06-16", "pregnant": True, "isotretinoin_last_dose": "2026-03-02",
               "pigment_marks": True}
    path = write(tmp_path, answers)
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert set(out) == {"modality", "flags"}
    assert out["modality"] == "co2_laser"
    for flag in out["flags"]:
        assert set(flag) == {"question", "severity", "reason"}, flag
        assert isinstance(flag["reason"], str) and flag["reason"].strip(), flag
    got = sorted((f["question"], f["severity"]) for f in out["flags"])
    assert got == [
        ("isotretinoin_last_dose", "stop"),
        ("pigment_marks", "review"),
        ("pregnant", "stop"),
        ("under_18", "review"),
    ]
    iso = next(f for f in out["flags"] if f["question"] == "isotretinoin_last_dose")
    assert "2026-03-02" in iso["reason"], iso["reason"]


def test_as_of_moves_the_isotretinoin_window(tmp_path: Path) -> None:
    # The same file judged on two visit dates: inside the 6 months, then exactly 6 months after the dose.
    path = write(tmp_path, {**ADULT, **CO2_NO, "isotretinoin_last_dose": "2025-12-15"})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-14")
    assert result.returncode == 0, result.stderr
    assert [f["question"] for f in json.loads(result.stdout)["flags"]] == ["isotretinoin_last_dose"]
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["flags"] == []


def test_without_as_of_today_is_used(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO})
    result = run_screen(tmp_path, "co2_laser", str(path))
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"modality": "co2_laser", "flags": []}


def test_known_questions_not_asked_for_the_modality_are_ignored(tmp_path: Path) -> None:
    answers = {**ADULT, **CO2_NO, "peel_allergy": True, "vitamin_c_allergy": True}
    path = write(tmp_path, answers)
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"modality": "co2_laser", "flags": []}


def test_unknown_modality(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO})
    result = run_screen(tmp_path, "laser_tag", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "modality", "laser_tag")


def test_unknown_question_id(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "smoker": "sometimes"})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "smoker", "sometimes")


def test_missing_answer(tmp_path: Path) -> None:
    answers = {**ADULT, **CO2_NO}
    del answers["keloids"]
    path = write(tmp_path, answers)
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "keloids", "missing")


def test_wrong_type(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "heart_disease": "yes"})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "heart_disease", "yes")


def test_wrong_date_format(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "isotretinoin_last_dose": "2026/01/01"})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "isotretinoin_last_dose", "2026/01/01")


def test_date_of_birth_missing(tmp_path: Path) -> None:
    path = write(tmp_path, dict(CO2_NO))
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "date_of_birth")


def test_invalid_json_file(tmp_path: Path) -> None:
    path = write(tmp_path, '{"date_of_birth": "1980-05-17",\n "pregnant": no}\n', name="broken.json")
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "broken.json", "JSON")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.json"
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert_one_line_error(result, "nowhere.json")


def test_bad_as_of(tmp_path: Path) -> None:
    as_of = "2026-13-01"
    path = write(tmp_path, {**ADULT, **CO2_NO})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", as_of)
    assert_one_line_error(result, "--as-of", as_of)


# --------------------------------------------------------------------------
# Version 2 input: option ids as strings, a follow-up only when asked, an optional planned_modality

# The example in screening-rules.md ("The screen command's input"), with the questions its "..." stands for
# (those fractional_laser asks, every one answered no).
SPEC_EXAMPLE = '{"date_of_birth": "1990-05-17", "planned_modality": "fractional_laser", "pregnant": false, ' \
    '"skin_type": "IV", "cold_sores": true, "cold_sores_now": false'
FRACTIONAL_REST = {k: v for k, v in CO2_NO.items() if k not in ("pregnant", "skin_type", "cold_sores")}


def test_the_spec_example_runs(tmp_path: Path) -> None:
    body = SPEC_EXAMPLE + "".join(f", {json.dumps(k)}: {json.dumps(v)}" for k, v in FRACTIONAL_REST.items()) + "}"
    path = write(tmp_path, body)
    result = run_screen(tmp_path, "fractional_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert [(f["question"], f["severity"]) for f in out["flags"]] == [("cold_sores", "review"), ("skin_type", "review")]
    # the same answers for another treatment than the one planned: the plan differs, and skin type IV on CO2 is review
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    got = [(f["question"], f["severity"]) for f in json.loads(result.stdout)["flags"]]
    assert got == [("cold_sores", "review"), ("skin_type", "review"), ("treatment_differs_from_plan", "review")]


def test_skin_type_v_and_a_cold_sore_now_on_co2_are_stops(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "skin_type": "V", "cold_sores": True, "cold_sores_now": True})
    result = run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15")
    assert result.returncode == 0, result.stderr
    got = [(f["question"], f["severity"]) for f in json.loads(result.stdout)["flags"]]
    assert got == [("cold_sores", "review"), ("cold_sores_now", "stop"), ("skin_type", "stop")]


def test_unknown_option(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "skin_type": "VII"})
    assert_one_line_error(run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15"), "skin_type", "VII")


def test_option_given_as_a_number(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "skin_type": 4})
    assert_one_line_error(run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15"), "skin_type", "4")


def test_follow_up_answered_when_not_asked(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "cold_sores_now": False})
    assert_one_line_error(run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15"),
                          "cold_sores_now", "false", "not asked")


def test_follow_up_missing_when_asked(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "cold_sores": True})
    assert_one_line_error(run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15"),
                          "cold_sores_now", "missing")


def test_unknown_planned_modality(tmp_path: Path) -> None:
    path = write(tmp_path, {**ADULT, **CO2_NO, "planned_modality": "laser_tag"})
    assert_one_line_error(run_screen(tmp_path, "co2_laser", str(path), "--as-of", "2026-06-15"),
                          "planned_modality", "laser_tag")


def test_the_director_reads_the_reasons_as_a_spanish_consent_would(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**CO2_NO, "pregnant": True, **ADULT}), encoding="utf-8")
    english = json.loads(run_screen(tmp_path, "co2_laser", str(answers)).stdout)
    result = run_screen(tmp_path, "co2_laser", str(answers), "--language", "es")
    assert result.returncode == 0, result.stderr
    spanish = json.loads(result.stdout)
    assert [f["question"] for f in spanish["flags"]] == [f["question"] for f in english["flags"]] == ["pregnant"]
    assert spanish["flags"][0]["reason"] != english["flags"][0]["reason"]
    assert "embaraz" in spanish["flags"][0]["reason"].lower()


def test_a_language_without_texts_is_one_readable_line(tmp_path: Path) -> None:
    answers = tmp_path / "a.json"
    answers.write_text(json.dumps({**CO2_NO, **ADULT}), encoding="utf-8")
    result = run_screen(tmp_path, "co2_laser", str(answers), "--language", "xx")
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert "--language xx: no consent texts in that language (there are: en, es)" in result.stderr

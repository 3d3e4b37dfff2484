"""The screening engine and the shipped rules.yaml, checked against the specification.

The expectations below are a transcription of the table in
the shared docs' screening-rules.md, version 2 ("Questions (stable ids), type, and
severity per modality", the `skin_type` table and "Rules derived from more than one answer"). They are written out here on purpose and NOT read from
consent_texts/rules.yaml: the point is to catch a shipped rule that drifted from
the spec (a "stop" quietly turned into "review", a question no longer asked for
a treatment, ...). If the medical director deliberately changes a default, this
table must be updated together with the spec.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from kiosk.rules.screening import Facts, ScreeningError, derived_flags, screen, screen_checkin
from kiosk.texts.loader import load_rules
from kiosk.texts.model import Rules

ROOT = Path(__file__).resolve().parent.parent
TEXTS_DIR = ROOT / "consent_texts"

# --------------------------------------------------------------------------
# The spec table, transcribed by hand.

MODALITIES = ("co2_laser", "fractional_laser", "microdermabrasion", "chemical_peel", "vitamin_c_injection")

_ALL_STOP = ("stop", "stop", "stop", "stop", "stop")
_ALL_REVIEW = ("review", "review", "review", "review", "review")

# id: (type, (co2_laser, fractional_laser, microdermabrasion, chemical_peel, vitamin_c_injection))
# None stands for "-" in the spec: the question is not asked for that treatment.
SPEC: dict[str, tuple[str, tuple[str | None, ...]]] = {
    "pregnant": ("bool", _ALL_STOP),
    "breastfeeding": ("bool", _ALL_STOP),
    "skin_disease_in_area": ("bool", _ALL_STOP),
    "wounds_or_burns_in_area": ("bool", _ALL_STOP),
    "skin_cancer": ("bool", _ALL_STOP),
    "keloids": ("bool", _ALL_STOP),
    "skin_tumours": ("bool", _ALL_STOP),
    "anaesthetic_allergy": ("bool", _ALL_STOP),
    "circulation_problems": ("bool", _ALL_REVIEW),
    "heart_disease": ("bool", _ALL_REVIEW),
    "systemic_disease": ("bool", _ALL_REVIEW),
    "immunosuppressed": ("bool", _ALL_REVIEW),
    "recent_skin_treatment": ("bool", _ALL_REVIEW),
    "heart_rhythm_medicine": ("bool", _ALL_REVIEW),
    "g6pd_deficiency": ("bool", _ALL_REVIEW),
    "blood_thinners": ("bool", ("review", "review", "review", "info", "review")),
    "bleeding_disorder": ("bool", ("review", "review", "review", "review", "stop")),
    "koebner_conditions": ("bool", ("review", "review", "review", "review", None)),
    "isotretinoin_last_dose": ("date", ("stop", "review", "review", "review", None)),
    "cold_sores": ("bool", ("review", "review", "info", "review", None)),
    "cold_sores_now": ("bool", ("stop", "stop", "stop", "stop", None)),
    "recent_tan": ("bool", ("stop", "stop", "review", "stop", None)),
    "photosensitising_medication": ("bool", ("review", "review", None, "review", None)),
    "retinoid_use": ("bool", ("review", "review", "review", "review", None)),
    "recent_hair_removal": ("bool", (None, None, "review", "review", None)),
    "skin_type": ("choice", ("asked", "asked", "asked", "asked", None)),
    "pigment_marks": ("bool", ("review", "review", "info", "review", None)),
    "peel_allergy": ("bool", (None, None, None, "stop", None)),
    "vitamin_c_allergy": ("bool", (None, None, None, None, "stop")),
}
# follow-up: the yes/no question whose yes asks it
FOLLOW_UPS = {"cold_sores_now": "cold_sores"}
# skin_type option: (co2_laser, fractional_laser, microdermabrasion, chemical_peel); vitamin C does not ask it
SKIN_TYPE: dict[str, tuple[str | None, ...]] = {
    "I": (None, None, None, None),
    "II": (None, None, None, None),
    "III": (None, None, None, None),
    "IV": ("review", "review", "info", "review"),
    "V": ("stop", "review", "info", "review"),
    "VI": ("stop", "review", "info", "review"),
    "unsure": ("review", "review", None, "review"),
}
ISOTRETINOIN_MONTHS = 6
UNDER_18_SEVERITY = "review"
PLAN_SEVERITY = "review"

CELLS = [
    (qid, modality, severities[i])
    for qid, (qtype, severities) in SPEC.items() if qtype != "choice"
    for i, modality in enumerate(MODALITIES)
]
SKIN_CELLS = [
    (option, modality, SKIN_TYPE[option][i] if i < 4 else None)
    for option in SKIN_TYPE
    for i, modality in enumerate(MODALITIES)
]

AS_OF = date(2026, 6, 15)
ADULT_DOB = "1980-05-17"


@pytest.fixture(scope="module")
def rules() -> Rules:
    return load_rules(TEXTS_DIR)


def severity(qid: str, modality: str) -> str | None:
    return SPEC[qid][1][MODALITIES.index(modality)]


def asked(modality: str) -> list[str]:
    return [qid for qid in SPEC if severity(qid, modality) is not None]


NO_VALUE = {"bool": False, "date": None, "choice": "I"}


def all_no(modality: str) -> dict[str, Any]:
    """Every question the spec asks for this treatment, answered no / never / skin type I; follow-ups not asked."""
    return {qid: NO_VALUE[SPEC[qid][0]] for qid in asked(modality) if qid not in FOLLOW_UPS}


def yes_value(qid: str, as_of: date = AS_OF) -> Any:
    """A "yes": true; for the date question a dose 1 day before the visit; for skin type VI."""
    return {"date": (as_of - timedelta(days=1)).isoformat(), "choice": "VI"}.get(SPEC[qid][0], True)


def all_yes(modality: str) -> tuple[dict[str, Any], list[tuple[str, str]]]:
    """Every asked question answered yes (follow-ups too, skin type VI), with the flags the spec expects, sorted."""
    answers = {qid: yes_value(qid) for qid in asked(modality)}
    expected = [(qid, severity(qid, modality)) for qid in asked(modality) if SPEC[qid][0] != "choice"]
    if "skin_type" in answers:
        sev = SKIN_TYPE["VI"][MODALITIES.index(modality)]
        expected += [("skin_type", sev)] if sev else []
    return answers, sorted(expected)  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# The shipped rules.yaml holds exactly the spec's treatments and questions


def test_rules_list_exactly_the_spec_modalities(rules: Rules) -> None:
    assert list(rules.modalities) == list(MODALITIES), "rules.yaml treatments differ from the spec's five stable ids"


def test_rules_hold_exactly_the_spec_questions_with_their_types(rules: Rules) -> None:
    shipped = {q.id: q.type for q in rules.questions}
    expected = {qid: qtype for qid, (qtype, _) in SPEC.items()}
    assert shipped == expected, "rules.yaml questions or answer types differ from the spec table"


def test_isotretinoin_window_is_six_months(rules: Rules) -> None:
    question = rules.question("isotretinoin_last_dose")
    assert question is not None
    assert question.within_months == ISOTRETINOIN_MONTHS, "spec: flag when the last dose is < 6 months before"


@pytest.mark.parametrize("modality", MODALITIES)
def test_questions_for_modality_are_the_spec_column(rules: Rules, modality: str) -> None:
    got = [q.id for q in rules.questions_for(modality)]
    assert sorted(got) == sorted(asked(modality)), f"questions asked for {modality} differ from the spec column"


# --------------------------------------------------------------------------
# One cell at a time: a single yes gives exactly one flag of the spec's severity


@pytest.mark.parametrize(("qid", "modality", "expected"), CELLS, ids=[f"{q}-{m}" for q, m, _ in CELLS])
def test_single_yes_gives_one_flag_of_spec_severity(rules: Rules, qid: str, modality: str, expected: str | None) -> None:
    answers = all_no(modality)
    parent = FOLLOW_UPS.get(qid)
    if parent is not None and expected is None:
        assert qid not in [q.id for q in rules.questions_for(modality)], f"spec: {modality} does not ask {qid}"
        return
    if parent is not None:  # a follow-up: its question answered yes, so it is asked; its own flag comes with the parent's
        answers[parent] = True
        answers[qid] = True
        flags = screen(rules, modality, answers, ADULT_DOB, AS_OF)
        assert sorted((f["question"], f["severity"]) for f in flags) == sorted(
            [(parent, severity(parent, modality)), (qid, expected)])
        return
    answers[qid] = yes_value(qid)
    answers.update({child: False for child, p in FOLLOW_UPS.items() if p == qid and severity(child, modality)})
    flags = screen(rules, modality, answers, ADULT_DOB, AS_OF)
    if expected is None:
        assert qid not in [q.id for q in rules.questions_for(modality)], (
            f"spec says {qid} is not asked for {modality} ('-'), but rules.yaml asks it"
        )
        assert flags == [], f"an answer to {qid}, which {modality} does not ask, must be ignored, got {flags}"
    else:
        assert [(f["question"], f["severity"]) for f in flags] == [(qid, expected)], (
            f"a yes to {qid} for {modality} must raise exactly one {expected!r} flag"
        )


@pytest.mark.parametrize("modality", MODALITIES)
def test_all_no_raises_nothing(rules: Rules, modality: str) -> None:
    assert screen(rules, modality, all_no(modality), ADULT_DOB, AS_OF) == []


@pytest.mark.parametrize("modality", [m for m in MODALITIES if severity("isotretinoin_last_dose", m)])
@pytest.mark.parametrize("empty", [None, ""])
def test_empty_date_raises_nothing(rules: Rules, modality: str, empty: Any) -> None:
    answers = all_no(modality)
    answers["isotretinoin_last_dose"] = empty
    assert screen(rules, modality, answers, ADULT_DOB, AS_OF) == []


def test_not_asked_question_answered_yes_is_ignored_even_with_other_flags(rules: Rules) -> None:
    answers = all_no("vitamin_c_injection")
    answers.update({"peel_allergy": True, "recent_tan": True, "isotretinoin_last_dose": "2026-06-01",
                    "pregnant": True})
    flags = screen(rules, "vitamin_c_injection", answers, ADULT_DOB, AS_OF)
    assert [f["question"] for f in flags] == ["pregnant"]


def test_every_yes_at_once_flags_every_asked_question(rules: Rules) -> None:
    for modality in MODALITIES:
        answers, expected = all_yes(modality)
        flags = screen(rules, modality, answers, ADULT_DOB, AS_OF)
        assert sorted((f["question"], f["severity"]) for f in flags) == expected, modality


# --------------------------------------------------------------------------
# Isotretinoin: "less than 6 calendar months before the visit"


def iso_flags(rules: Rules, last_dose: str, as_of: date, modality: str = "co2_laser") -> list[Any]:
    answers = all_no(modality)
    answers["isotretinoin_last_dose"] = last_dose
    return screen(rules, modality, answers, ADULT_DOB, as_of)


def test_isotretinoin_exactly_six_months_before_does_not_flag(rules: Rules) -> None:
    assert iso_flags(rules, "2025-12-15", date(2026, 6, 15)) == [], "6 months exactly is not < 6 months"


def test_isotretinoin_one_day_inside_six_months_flags(rules: Rules) -> None:
    flags = iso_flags(rules, "2025-12-16", date(2026, 6, 15))
    assert [(f["question"], f["severity"]) for f in flags] == [("isotretinoin_last_dose", "stop")]


def test_isotretinoin_six_months_counted_in_calendar_months_not_days(rules: Rules) -> None:
    # 2026-01-15 .. 2026-07-15 is 181 days; 2025-09-30 .. 2026-03-30 is 181 days too.
    assert iso_flags(rules, "2026-01-15", date(2026, 7, 15)) == []
    assert iso_flags(rules, "2026-01-16", date(2026, 7, 15)) != []
    assert iso_flags(rules, "2025-09-30", date(2026, 3, 30)) == []
    assert iso_flags(rules, "2025-10-01", date(2026, 3, 30)) != []


def test_isotretinoin_month_end_clamps_to_last_day_of_february(rules: Rules) -> None:
    as_of = date(2026, 8, 31)  # 6 months before: 2026-02-31 does not exist, so 2026-02-28
    assert iso_flags(rules, "2026-02-28", as_of) == [], "cutoff is 2026-02-28: a dose that day is not < 6 months"
    flags = iso_flags(rules, "2026-03-01", as_of)
    assert [f["question"] for f in flags] == ["isotretinoin_last_dose"], "2026-03-01 is < 6 months before 2026-08-31"


def test_isotretinoin_month_end_clamps_in_a_leap_year(rules: Rules) -> None:
    as_of = date(2028, 8, 31)  # cutoff 2028-02-29
    assert iso_flags(rules, "2028-02-29", as_of) == []
    assert iso_flags(rules, "2028-03-01", as_of) != []


def test_isotretinoin_window_across_a_year_boundary(rules: Rules) -> None:
    as_of = date(2026, 2, 10)  # cutoff 2025-08-10
    assert iso_flags(rules, "2025-08-10", as_of) == []
    assert iso_flags(rules, "2025-08-11", as_of) != []


def test_isotretinoin_dose_on_the_visit_day_flags(rules: Rules) -> None:
    assert iso_flags(rules, AS_OF.isoformat(), AS_OF) != []


def test_isotretinoin_long_ago_does_not_flag(rules: Rules) -> None:
    assert iso_flags(rules, "2020-01-01", AS_OF) == []


def test_isotretinoin_dose_after_the_visit_date_is_an_error(rules: Rules) -> None:
    with pytest.raises(ScreeningError) as info:
        iso_flags(rules, "2026-06-16", AS_OF)
    assert info.value.key == "isotretinoin_last_dose"
    assert info.value.value == "2026-06-16"
    assert "2026-06-16" in str(info.value)


@pytest.mark.parametrize(("modality", "expected"), [("co2_laser", "stop"), ("fractional_laser", "review"),
                                                    ("microdermabrasion", "review"), ("chemical_peel", "review")])
def test_isotretinoin_severity_per_modality_at_boundary(rules: Rules, modality: str, expected: str) -> None:
    assert iso_flags(rules, "2025-12-15", AS_OF, modality) == []
    flags = iso_flags(rules, "2025-12-16", AS_OF, modality)
    assert [(f["question"], f["severity"]) for f in flags] == [("isotretinoin_last_dose", expected)]


def test_isotretinoin_reason_names_the_dose_date(rules: Rules) -> None:
    (flag,) = iso_flags(rules, "2026-03-02", AS_OF)
    assert "2026-03-02" in flag["reason"], f"the doctor must read the dose date in the reason, got {flag['reason']!r}"
    assert "{" not in flag["reason"], f"unfilled placeholder in {flag['reason']!r}"


# --------------------------------------------------------------------------
# under_18, derived from the date of birth


def dob_flags(rules: Rules, dob: str, as_of: date, modality: str = "co2_laser") -> list[Any]:
    return screen(rules, modality, all_no(modality), dob, as_of)


@pytest.mark.parametrize("modality", MODALITIES)
def test_under_18_day_before_18th_birthday_is_stop(rules: Rules, modality: str) -> None:
    flags = dob_flags(rules, "2008-06-16", date(2026, 6, 15), modality)
    assert [(f["question"], f["severity"]) for f in flags] == [("under_18", UNDER_18_SEVERITY)], (
        f"a 17-year-old must get a stop for {modality}"
    )
    assert "17" in flags[0]["reason"], f"reason should give the age, got {flags[0]['reason']!r}"
    assert "{" not in flags[0]["reason"]


def test_under_18_on_the_18th_birthday_no_flag(rules: Rules) -> None:
    assert dob_flags(rules, "2008-06-15", date(2026, 6, 15)) == []


def test_under_18_young_child_flags(rules: Rules) -> None:
    flags = dob_flags(rules, "2020-01-01", date(2026, 6, 15))
    assert [f["question"] for f in flags] == ["under_18"]


def test_under_18_born_29_february(rules: Rules) -> None:
    # 2026 has no 29 February: on 28 February she is still 17 (never let a minor
    # through); by 1 March she has turned 18.
    assert [f["question"] for f in dob_flags(rules, "2008-02-29", date(2026, 2, 28))] == ["under_18"]
    assert dob_flags(rules, "2008-02-29", date(2026, 3, 1)) == []
    assert [f["question"] for f in dob_flags(rules, "2008-02-29", date(2025, 3, 1))] == ["under_18"]


def test_under_18_together_with_a_question_flag(rules: Rules) -> None:
    answers = all_no("chemical_peel")
    answers["peel_allergy"] = True
    flags = screen(rules, "chemical_peel", answers, "2010-01-01", AS_OF)
    assert sorted((f["question"], f["severity"]) for f in flags) == [("peel_allergy", "stop"), ("under_18", "review")]


def test_date_of_birth_as_date_object_is_accepted(rules: Rules) -> None:
    assert dob_flags(rules, date(2008, 6, 16), date(2026, 6, 15))[0]["question"] == "under_18"  # type: ignore[arg-type]


# --------------------------------------------------------------------------
# Errors: never silently ignored, and they name the id and the value


def error_of(rules: Rules, modality: str, answers: dict[str, Any], dob: Any = ADULT_DOB) -> ScreeningError:
    with pytest.raises(ScreeningError) as info:
        screen(rules, modality, answers, dob, AS_OF)
    return info.value


def assert_names(exc: ScreeningError, key: str, value: Any, shown: str) -> None:
    assert exc.key == key, f"error should name {key!r}, named {exc.key!r}"
    assert exc.value == value and type(exc.value) is type(value), f"error should carry {value!r}, got {exc.value!r}"
    assert key in str(exc) and shown in str(exc), f"message should name {key} and {shown}: {exc}"


@pytest.mark.parametrize("modality", ["laser_tag", "CO2_LASER", "", "co2 laser"])
def test_unknown_modality(rules: Rules, modality: str) -> None:
    exc = error_of(rules, modality, all_no("co2_laser"))
    assert_names(exc, "modality", modality, repr(modality))


def test_unknown_question_id(rules: Rules) -> None:
    answers = all_no("co2_laser")
    answers["smoker"] = True
    assert_names(error_of(rules, "co2_laser", answers), "smoker", True, "true")


def test_unknown_question_id_with_a_no_answer_is_still_an_error(rules: Rules) -> None:
    answers = all_no("microdermabrasion")
    answers["pregnnat"] = False
    assert_names(error_of(rules, "microdermabrasion", answers), "pregnnat", False, "false")


@pytest.mark.parametrize("modality", MODALITIES)
def test_missing_answer_for_each_asked_question(rules: Rules, modality: str) -> None:
    for qid in all_no(modality):
        answers = all_no(modality)
        del answers[qid]
        exc = error_of(rules, modality, answers)
        assert exc.key == qid, f"dropping {qid} for {modality} must be an error naming it, named {exc.key!r}"
        assert "missing" in str(exc)


@pytest.mark.parametrize("value", ["yes", "no", "true", 1, 0, None, "", [True]], ids=repr)
def test_wrong_type_for_a_bool(rules: Rules, value: Any) -> None:
    answers = all_no("co2_laser")
    answers["pregnant"] = value
    exc = error_of(rules, "co2_laser", answers)
    assert exc.key == "pregnant"
    assert exc.value == value and type(exc.value) is type(value)
    assert "pregnant" in str(exc) and repr(value) in str(exc), str(exc)


@pytest.mark.parametrize("value", ["2026/01/01", "2026-13-01", "2026-02-30", "26-01-01", "2026-1-1",
                                   "2026-01-01T00:00", " 2026-01-01", 20260101, True, False, 0],
                         ids=repr)
def test_wrong_type_for_a_date(rules: Rules, value: Any) -> None:
    answers = all_no("chemical_peel")
    answers["isotretinoin_last_dose"] = value
    exc = error_of(rules, "chemical_peel", answers)
    assert exc.key == "isotretinoin_last_dose"
    assert exc.value == value and type(exc.value) is type(value)
    shown = repr(value) if isinstance(value, str) else str(value).lower()
    assert shown in str(exc), str(exc)


@pytest.mark.parametrize("dob", ["1990/05/17", "17-05-1990", "1990-02-30", 19900517, None, "", True],
                         ids=repr)
def test_bad_date_of_birth(rules: Rules, dob: Any) -> None:
    exc = error_of(rules, "co2_laser", all_no("co2_laser"), dob)
    assert exc.key == "date_of_birth"
    assert exc.value == dob and type(exc.value) is type(dob)


def test_date_of_birth_after_the_visit_is_an_error(rules: Rules) -> None:
    exc = error_of(rules, "co2_laser", all_no("co2_laser"), "2026-06-16")
    assert_names(exc, "date_of_birth", "2026-06-16", "'2026-06-16'")


def test_wrong_type_for_a_question_another_modality_asks_but_this_one_does_not(rules: Rules) -> None:
    # A known question that the treatment does not ask is ignored, whatever its value.
    answers = all_no("vitamin_c_injection")
    answers["peel_allergy"] = "maybe"
    assert screen(rules, "vitamin_c_injection", answers, ADULT_DOB, AS_OF) == []


# --------------------------------------------------------------------------
# Determinism and reasons


def test_same_answers_twice_give_identical_flags(rules: Rules) -> None:
    answers, expected = all_yes("co2_laser")
    first = screen(rules, "co2_laser", answers, "2009-01-01", AS_OF, "fractional_laser")
    second = screen(rules, "co2_laser", dict(answers), "2009-01-01", AS_OF, "fractional_laser")
    assert first == second
    assert len(first) == len(expected) + 2  # under_18 and treatment_differs_from_plan


def test_answer_order_does_not_change_the_flags(rules: Rules) -> None:
    answers, _ = all_yes("chemical_peel")
    reversed_answers = dict(reversed(list(answers.items())))
    assert screen(rules, "chemical_peel", answers, ADULT_DOB, AS_OF) == screen(
        rules, "chemical_peel", reversed_answers, ADULT_DOB, AS_OF)


def test_screen_does_not_change_the_answers(rules: Rules) -> None:
    answers, _ = all_yes("fractional_laser")
    before = dict(answers)
    screen(rules, "fractional_laser", answers, ADULT_DOB, AS_OF)
    assert answers == before


def test_a_fresh_load_of_the_rules_gives_the_same_flags(rules: Rules) -> None:
    answers, _ = all_yes("microdermabrasion")
    assert screen(rules, "microdermabrasion", answers, ADULT_DOB, AS_OF) == screen(
        load_rules(TEXTS_DIR), "microdermabrasion", answers, ADULT_DOB, AS_OF)


@pytest.mark.parametrize("modality", MODALITIES)
def test_every_flag_has_exactly_question_severity_and_a_non_empty_reason(rules: Rules, modality: str) -> None:
    answers, _ = all_yes(modality)
    flags = screen(rules, modality, answers, "2015-01-01", AS_OF, "co2_laser" if modality != "co2_laser" else None)
    assert flags, modality
    for flag in flags:
        assert set(flag) == {"question", "severity", "reason"}, flag
        assert flag["severity"] in ("stop", "review", "info")
        assert isinstance(flag["reason"], str) and flag["reason"].strip(), f"{flag['question']} has no reason"
        assert "{" not in flag["reason"] and "}" not in flag["reason"], f"unfilled placeholder: {flag['reason']!r}"


def test_reasons_differ_between_questions(rules: Rules) -> None:
    answers, _ = all_yes("co2_laser")
    reasons = [f["reason"] for f in screen(rules, "co2_laser", answers, ADULT_DOB, AS_OF)]
    assert len(set(reasons)) == len(reasons), "two rules give the doctor the same reason"


# --------------------------------------------------------------------------
# skin_type: every option against every treatment


def test_skin_type_offers_exactly_the_spec_options_in_order(rules: Rules) -> None:
    question = rules.question("skin_type")
    assert question is not None and question.type == "choice"
    assert question.options == tuple(SKIN_TYPE), "skin_type options differ from the spec's table"


@pytest.mark.parametrize(("option", "modality", "expected"), SKIN_CELLS, ids=[f"{o}-{m}" for o, m, _ in SKIN_CELLS])
def test_each_skin_type_option_gives_the_spec_severity(rules: Rules, option: str, modality: str,
                                                       expected: str | None) -> None:
    answers = all_no(modality)
    answers["skin_type"] = option
    flags = screen(rules, modality, answers, ADULT_DOB, AS_OF)
    if expected is None:
        assert flags == [], f"skin type {option} for {modality} raises nothing in the spec, got {flags}"
        return
    assert [(f["question"], f["severity"]) for f in flags] == [("skin_type", expected)]
    assert f"type {option} " in flags[0]["reason"], f"the reason must name the option chosen: {flags[0]['reason']!r}"


@pytest.mark.parametrize("value", ["iv", "VII", "", None, True, 4, ["IV"]], ids=repr)
def test_an_unknown_option_is_an_error_naming_it(rules: Rules, value: Any) -> None:
    answers = all_no("co2_laser")
    answers["skin_type"] = value
    exc = error_of(rules, "co2_laser", answers)
    assert exc.key == "skin_type" and exc.value == value and type(exc.value) is type(value)
    assert "skin_type" in str(exc) and "unknown option" in str(exc), str(exc)


def test_skin_type_for_a_treatment_that_does_not_ask_it_is_ignored(rules: Rules) -> None:
    answers = all_no("vitamin_c_injection")
    answers["skin_type"] = "VI"
    assert screen(rules, "vitamin_c_injection", answers, ADULT_DOB, AS_OF) == []


# --------------------------------------------------------------------------
# Follow-ups: present when asked, absent when not, and never the other way round


def test_follow_ups_are_asked_right_after_their_question(rules: Rules) -> None:
    for modality in MODALITIES:
        order = [q.id for q in rules.questions_for(modality)]
        for child, parent in FOLLOW_UPS.items():
            if child in order:
                assert order.index(child) == order.index(parent) + 1, (modality, order)


@pytest.mark.parametrize("modality", [m for m in MODALITIES if severity("cold_sores_now", m)])
def test_follow_up_present_after_a_yes(rules: Rules, modality: str) -> None:
    answers = {**all_no(modality), "cold_sores": True, "cold_sores_now": False}
    assert [f["question"] for f in screen(rules, modality, answers, ADULT_DOB, AS_OF)] == ["cold_sores"]
    answers["cold_sores_now"] = True
    flags = screen(rules, modality, answers, ADULT_DOB, AS_OF)
    assert ("cold_sores_now", "stop") in [(f["question"], f["severity"]) for f in flags]


@pytest.mark.parametrize("modality", [m for m in MODALITIES if severity("cold_sores_now", m)])
def test_follow_up_missing_after_a_yes_is_an_error(rules: Rules, modality: str) -> None:
    exc = error_of(rules, modality, {**all_no(modality), "cold_sores": True})
    assert exc.key == "cold_sores_now" and "missing" in str(exc), str(exc)


@pytest.mark.parametrize("value", [True, False])
@pytest.mark.parametrize("modality", MODALITIES)
def test_follow_up_present_after_a_no_is_an_error(rules: Rules, modality: str, value: bool) -> None:
    answers = {**all_no(modality), "cold_sores_now": value}
    exc = error_of(rules, modality, answers)
    assert exc.key == "cold_sores_now" and exc.value is value
    assert "not asked" in str(exc), str(exc)


def test_an_unasked_follow_up_error_says_which_question_was_not_answered_yes(rules: Rules) -> None:
    """The medical director reads this sentence from `screen`: it names the parent question, whole."""
    exc = error_of(rules, "co2_laser", {**all_no("co2_laser"), "cold_sores_now": True})
    assert str(exc) == ("cold_sores_now: a follow-up answered when it was not asked "
                        "(cold_sores was not answered yes) (got true)")


def test_an_unknown_option_error_lists_the_options_whole(rules: Rules) -> None:
    answers = {**all_no("co2_laser"), "skin_type": "VII"}
    assert str(error_of(rules, "co2_laser", answers)) == (
        "skin_type: unknown option (options: I, II, III, IV, V, VI, unsure) (got 'VII')")


def test_follow_up_absent_after_a_no_raises_nothing(rules: Rules) -> None:
    assert screen(rules, "co2_laser", all_no("co2_laser"), ADULT_DOB, AS_OF) == []


def test_follow_up_of_the_wrong_type_is_an_error(rules: Rules) -> None:
    answers = {**all_no("co2_laser"), "cold_sores": True, "cold_sores_now": "yes"}
    exc = error_of(rules, "co2_laser", answers)
    assert exc.key == "cold_sores_now" and "'yes'" in str(exc)


# --------------------------------------------------------------------------
# Derived rules: age and the planned treatment


def test_derived_rules_are_the_spec_rows(rules: Rules) -> None:
    got = {r.id: r.severity for r in rules.derived if r.id in ("under_18", "treatment_differs_from_plan")}
    assert got == {"under_18": UNDER_18_SEVERITY, "treatment_differs_from_plan": PLAN_SEVERITY}
    (under_18,) = [r for r in rules.derived if r.id == "under_18"]
    assert under_18.params == {"min_age": 18}


def test_under_18_reason_tells_the_doctor_a_representative_must_consent(rules: Rules) -> None:
    (flag,) = dob_flags(rules, "2010-01-01", AS_OF)
    assert "representative" in flag["reason"] and ("parent" in flag["reason"] or "guardian" in flag["reason"])


@pytest.mark.parametrize("modality", MODALITIES)
def test_18th_birthday_on_the_visit_day_raises_nothing_and_the_day_before_does(rules: Rules, modality: str) -> None:
    assert dob_flags(rules, "2008-06-15", date(2026, 6, 15), modality) == []
    assert [f["question"] for f in dob_flags(rules, "2008-06-15", date(2026, 6, 14), modality)] == ["under_18"]


@pytest.mark.parametrize("planned", MODALITIES)
@pytest.mark.parametrize("chosen", MODALITIES)
def test_treatment_differs_from_plan_for_every_pair(rules: Rules, planned: str, chosen: str) -> None:
    flags = screen(rules, chosen, all_no(chosen), ADULT_DOB, AS_OF, planned)
    if planned == chosen:
        assert flags == [], "the treatment planned was chosen: nothing to review"
        return
    assert [(f["question"], f["severity"]) for f in flags] == [("treatment_differs_from_plan", PLAN_SEVERITY)]
    assert planned in flags[0]["reason"] and chosen in flags[0]["reason"], flags[0]["reason"]


def test_no_plan_recorded_raises_nothing(rules: Rules) -> None:
    assert screen(rules, "co2_laser", all_no("co2_laser"), ADULT_DOB, AS_OF, None) == []


@pytest.mark.parametrize("planned", ["laser_tag", "CO2_LASER", "", 3, True], ids=repr)
def test_an_unknown_planned_treatment_is_an_error_naming_it(rules: Rules, planned: Any) -> None:
    with pytest.raises(ScreeningError) as info:
        screen(rules, "co2_laser", all_no("co2_laser"), ADULT_DOB, AS_OF, planned)
    assert info.value.key == "planned_modality" and info.value.value == planned
    assert "planned_modality" in str(info.value)


# --------------------------------------------------------------------------
# Check-in questions take the same three kinds, judged by the same engine


CHECKIN_EXTRA = """    - id: checkin_skin_now
      type: choice
      options: [same, darker, lighter]
      reason: "Since the last session the skin on the area is {value}."
      severity: {co2_laser: {darker: stop, lighter: review}, chemical_peel: {darker: review}}
    - id: checkin_cold_sore
      type: bool
      reason: "A cold sore since the last session."
      severity: {co2_laser: review, chemical_peel: review}
    - id: checkin_cold_sore_now
      type: bool
      asked_if: checkin_cold_sore
      reason: "A cold sore now, on or near the area."
      severity: {co2_laser: stop, chemical_peel: stop}
"""


@pytest.fixture(scope="module")
def checkin_rules(tmp_path_factory: pytest.TempPathFactory) -> Rules:
    folder = tmp_path_factory.mktemp("texts")
    (folder / "rules.yaml").write_text((TEXTS_DIR / "rules.yaml").read_text(encoding="utf-8") + CHECKIN_EXTRA,
                                       encoding="utf-8")
    return load_rules(folder)


def checkin_no(rules: Rules, modality: str) -> dict[str, Any]:
    return {q.id: ("same" if q.type == "choice" else False) for q in rules.checkin_for(modality) if not q.asked_if}


@pytest.mark.parametrize(("option", "expected"), [("same", None), ("darker", "stop"), ("lighter", "review")])
def test_a_check_in_choice_gives_its_options_severity(checkin_rules: Rules, option: str, expected: str | None) -> None:
    answers = {**checkin_no(checkin_rules, "co2_laser"), "checkin_skin_now": option}
    flags = screen_checkin(checkin_rules, "co2_laser", answers, AS_OF)
    assert [(f["question"], f["severity"]) for f in flags] == ([("checkin_skin_now", expected)] if expected else [])


def test_a_check_in_follow_up_is_asked_after_a_yes_only(checkin_rules: Rules) -> None:
    order = [q.id for q in checkin_rules.checkin_for("chemical_peel")]
    assert order.index("checkin_cold_sore_now") == order.index("checkin_cold_sore") + 1
    answers = {**checkin_no(checkin_rules, "chemical_peel"), "checkin_cold_sore": True, "checkin_cold_sore_now": True}
    flags = screen_checkin(checkin_rules, "chemical_peel", answers, AS_OF)
    assert [(f["question"], f["severity"]) for f in flags] == [("checkin_cold_sore", "review"),
                                                               ("checkin_cold_sore_now", "stop")]
    with pytest.raises(ScreeningError) as info:
        screen_checkin(checkin_rules, "chemical_peel", {**checkin_no(checkin_rules, "chemical_peel"),
                                                        "checkin_cold_sore_now": False}, AS_OF)
    assert info.value.key == "checkin_cold_sore_now" and "not asked" in str(info.value)
    with pytest.raises(ScreeningError) as info:
        screen_checkin(checkin_rules, "chemical_peel", {**checkin_no(checkin_rules, "chemical_peel"),
                                                        "checkin_cold_sore": True}, AS_OF)
    assert info.value.key == "checkin_cold_sore_now" and "missing" in str(info.value)


def test_check_in_answers_are_judged_by_the_engine(rules: Rules) -> None:
    answers = {q.id: False for q in rules.checkin_for("vitamin_c_injection")}
    assert screen_checkin(rules, "vitamin_c_injection", answers, date(2026, 5, 1)) == []
    flags = screen_checkin(rules, "vitamin_c_injection", {**answers, "checkin_sun": True}, date(2026, 5, 1))
    assert [(f["question"], f["severity"]) for f in flags] == [("checkin_sun", "info")]
    with pytest.raises(ScreeningError, match="missing answer"):
        screen_checkin(rules, "co2_laser", {}, date(2026, 5, 1))
    with pytest.raises(ScreeningError, match="unknown check-in question id"):
        screen_checkin(rules, "co2_laser", {**answers, "pregnant": True}, date(2026, 5, 1))


KNOWN = "co2_laser, fractional_laser, microdermabrasion, chemical_peel, vitamin_c_injection"


@pytest.mark.parametrize(("modality", "change", "dob", "key", "problem", "shown"), [
    ("laser_tag", {}, ADULT_DOB, "modality", f"unknown treatment (known: {KNOWN})", "'laser_tag'"),
    ("co2_laser", {"smoker": True}, ADULT_DOB, "smoker", "unknown question id", "true"),
    ("co2_laser", {}, "2026-06-16", "date_of_birth", f"is after the visit date {AS_OF.isoformat()}", "'2026-06-16'"),
    ("co2_laser", {}, date(2026, 6, 16), "date_of_birth", f"is after the visit date {AS_OF.isoformat()}",
     "'2026-06-16'"),
    ("co2_laser", {}, "2026-13-01", "date_of_birth", "expected a date as YYYY-MM-DD", "'2026-13-01'"),
    ("co2_laser", {}, 19900101, "date_of_birth", "expected a date as YYYY-MM-DD", "19900101"),
    ("co2_laser", {"pregnant": "yes"}, ADULT_DOB, "pregnant", "expected true or false", "'yes'"),
    ("co2_laser", {"pregnant": None}, ADULT_DOB, "pregnant", "expected true or false", "None"),
    ("co2_laser", {"isotretinoin_last_dose": (AS_OF + timedelta(days=1)).isoformat()}, ADULT_DOB,
     "isotretinoin_last_dose", f"is after the visit date {AS_OF.isoformat()}", f"'{AS_OF + timedelta(days=1)}'"),
])
def test_each_error_says_which_answer_what_is_wrong_and_what_was_given(
        rules: Rules, modality: str, change: dict[str, Any], dob: Any, key: str, problem: str, shown: str) -> None:
    exc = error_of(rules, modality, {**all_no("co2_laser"), **change}, dob)
    assert (exc.key, exc.problem) == (key, problem)
    assert str(exc) == f"{key}: {problem} (got {shown})"


def test_a_missing_answer_names_the_question(rules: Rules) -> None:
    answers = all_no("co2_laser")
    del answers["pregnant"]
    exc = error_of(rules, "co2_laser", answers)
    assert str(exc) == "pregnant: missing answer to a question this treatment asks (got None)"


def test_a_patient_born_on_the_visit_day_is_judged_not_refused(rules: Rules) -> None:
    flags = screen(rules, "co2_laser", all_no("co2_laser"), AS_OF, AS_OF)
    assert [flag["question"] for flag in flags] == ["under_18"]


def test_a_check_in_for_an_unknown_treatment_is_an_error(rules: Rules) -> None:
    with pytest.raises(ScreeningError) as info:
        screen_checkin(rules, "laser_tag", {}, AS_OF)
    assert str(info.value) == f"modality: unknown treatment (known: {KNOWN}) (got 'laser_tag')"


# --------------------------------------------------------------------------
# Derived rules judged on their facts directly (the mutation run's survivors after version 2)


def _derived(rules: Rules, **facts: Any) -> dict[str, str]:
    return {f["question"]: f["reason"] for f in derived_flags(rules, Facts(**facts))}


def test_each_derived_kind_in_the_rules_is_judged(rules: Rules) -> None:
    """Every kind rules.yaml uses reaches its judge: a misspelt kind in the engine's table would fail here."""
    flags = _derived(rules, modality="co2_laser", as_of=AS_OF, date_of_birth=date(AS_OF.year - 17, 1, 1),
                     planned_modality="microdermabrasion", checked="Ana Ruiz, born 1990-01-01",
                     how="Passport shown at the front desk", signed="Ana Ruis, born 1990-01-01")
    assert set(flags) == {"under_18", "treatment_differs_from_plan", "identity_changed_after_check"}
    assert "Patient is 17 on" in flags["under_18"]
    assert "microdermabrasion" in flags["treatment_differs_from_plan"] and "co2_laser" in flags[
        "treatment_differs_from_plan"]
    identity = flags["identity_changed_after_check"]
    assert "Ana Ruiz, born 1990-01-01" in identity and "Passport shown at the front desk" in identity
    assert "Ana Ruis, born 1990-01-01" in identity


@pytest.mark.parametrize("missing", ["checked", "how", "signed"])
def test_the_identity_rule_needs_all_three_facts(rules: Rules, missing: str) -> None:
    facts = {"checked": "Ana Ruiz, born 1990-01-01", "how": "Passport shown at the front desk",
             "signed": "Ana Ruis, born 1990-01-01"}
    facts[missing] = None  # type: ignore[assignment]
    assert "identity_changed_after_check" not in _derived(rules, **facts)


@pytest.mark.parametrize("known", ["date_of_birth", "as_of"])
def test_the_age_rule_needs_both_the_birth_date_and_the_visit_date(rules: Rules, known: str) -> None:
    """With one of the two dates unknown the age is not judged (and nothing raises): no under_18 on half the facts."""
    facts: dict[str, Any] = {"date_of_birth": date(AS_OF.year - 17, 1, 1), "as_of": AS_OF}
    facts = {known: facts[known]}
    assert "under_18" not in _derived(rules, modality="co2_laser", **facts)

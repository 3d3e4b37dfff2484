"""Load and validate the clinic-editable consent texts and screening rules.

The medical director edits YAML files in ``consent_texts/``; a typo there must
never reach a patient, so every problem is collected and reported with the file,
line and field before the app serves anything. No Flask here: the CLI, the
engine and the tests use it directly.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kiosk.documents.record import SEVERITY_ORDER, Severity
from kiosk.texts.parity import check_parity
from kiosk.texts.reasons import load_reasons
from kiosk.texts.checkin import is_checkin_only, load_checkin_texts
from kiosk.texts.people import load_people_texts
from kiosk.texts.aftercare import load_aftercare_texts
from kiosk.texts.model import (ANSWER_TYPES, PHOTO_USES, CHECK_OPTIONS, CHECK_QUESTIONS, DERIVED_KINDS, REPRESENTED_PLACEHOLDERS,
                               SECTION_IDS, SEVERITIES, AnswerType, CheckOption, CheckQuestion, CommonText,
                               DerivedRule, LanguageTexts, ModalityText, PhotoConsentText,
                               Question, QuestionText, Renewal, RiskText, Rules, Texts, TextsError)
from kiosk.texts.questions import question_texts
from kiosk.texts.yaml_doc import ID, OPTION_ID, Path_, YamlDoc, check_language

_CHECK_ID_MAX = 40  # a wrong answer's flag is stored as "comprehension.<id>" in a 64-character column


# --------------------------------------------------------------------------
# Loading with located errors (the YAML reader is kiosk/yaml_doc.py)


def load_texts(directory: str | Path) -> Texts:
    """Load every language and the rules, or raise TextsError listing every problem."""
    root = Path(directory)
    errors: list[str] = []
    if not root.is_dir():
        raise TextsError([f"{root}: consent texts folder not found"])
    rules = _load_rules(YamlDoc(root / "rules.yaml", root, errors))
    lang_dirs = sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    if not any(p.name == "en" for p in lang_dirs):
        errors.append(f"{root.name}/en: the English texts folder is missing")

    languages: dict[str, LanguageTexts] = {}
    docs: dict[str, dict[str, YamlDoc]] = {}
    for lang_dir in lang_dirs:
        if is_checkin_only(lang_dir):
            continue
        docs[lang_dir.name] = {}
        lang = _load_language(lang_dir, root, rules, errors, docs[lang_dir.name])
        if lang is not None:
            languages[lang.language] = lang
    check_parity(docs, errors)
    checkin = load_checkin_texts(lang_dirs, root, rules, errors)
    consent_dirs = [p for p in lang_dirs if p.name in languages or not is_checkin_only(p)]
    people = load_people_texts(consent_dirs, root, errors)
    aftercare = load_aftercare_texts(consent_dirs, root, errors)
    worded = {lang_dir.name: load_reasons(lang_dir, root, rules, errors) for lang_dir in lang_dirs
              if rules is not None and lang_dir.name in languages}
    if errors:
        raise TextsError(errors)
    assert rules is not None
    return Texts(rules=rules, languages=languages, source=str(root), checkin=checkin, people=people,
                 aftercare=aftercare,
                 worded_rules={language: found for language, found in worded.items()
                               if found is not None and found is not rules})


def load_rules(directory: str | Path) -> Rules:
    """Only the rules, for dry-running the engine without any language's texts."""
    root = Path(directory)
    errors: list[str] = []
    rules = _load_rules(YamlDoc(root / "rules.yaml", root, errors))
    if errors or rules is None:
        raise TextsError(errors)
    return rules


def _load_rules(doc: YamlDoc) -> Rules | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    version = doc.text(data, "version", ())
    raw_mods = data.get("modalities")
    modalities: list[str] = []
    if not isinstance(raw_mods, list) or not raw_mods:
        doc.error(("modalities",) if "modalities" in data else (), 'missing field "modalities" (a list of treatment ids)')
    else:
        for i, mod in enumerate(raw_mods):
            if not isinstance(mod, str) or not ID.match(mod):
                doc.error(("modalities", i), f"invalid treatment id {mod!r}")
            elif mod in modalities:
                doc.error(("modalities", i), f"treatment {mod} is listed twice")
            else:
                modalities.append(mod)
    questions = _questions(doc, data, (), modalities)
    derived = _derived(doc, data)
    comprehension_reason = doc.text(data, "comprehension_reason", (), placeholders=("question", "chosen", "answer"))
    checkin_questions, renewal = _checkin_rules(doc, data, modalities, {q.id for q in questions})
    return Rules(str(version), tuple(modalities), tuple(questions), tuple(derived), comprehension_reason,
                 checkin_questions, renewal)


def _derived(doc: YamlDoc, data: dict[str, Any]) -> list[DerivedRule]:
    """The `derived` list: rules computed from the patient's details, each of a known kind with its parameters."""
    derived: list[DerivedRule] = []
    raw_derived = data.get("derived") or []
    if not isinstance(raw_derived, list):
        doc.error(("derived",), "should be a list")
        raw_derived = []
    for i, raw in enumerate(raw_derived):
        path: Path_ = ("derived", i)
        d = doc.mapping(raw, path)
        did = doc.ident(d, "id", path)
        if did and any(other.id == did for other in derived):
            doc.error(path + ("id",), f"derived rule {did} is defined twice")
        kind_name = d.get("kind")
        kind = DERIVED_KINDS.get(kind_name) if isinstance(kind_name, str) else None
        if kind is None:
            doc.error(path + ("kind",) if "kind" in d else path,
                      f"unknown kind {kind_name!r} of derived rule (known: {', '.join(DERIVED_KINDS)})")
            continue
        raw_params = d.get("params") or {}
        if not isinstance(raw_params, dict):
            doc.error(path + ("params",), "should map each parameter's name to a whole number")
            raw_params = {}
        params: dict[str, int] = {}
        for name in raw_params:
            if name not in kind.params:
                doc.error(path + ("params", str(name)), f"unknown parameter {name!r} for a rule of kind {kind_name} "
                          f"(it takes: {', '.join(kind.params) or 'none'})")
        for name in kind.params:
            value = raw_params.get(name)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 < value <= kind.maximum:
                doc.error(path + ("params", name) if name in raw_params else path + ("params",),
                          f"{name} must be a whole number from 1 to {kind.maximum}")
            else:
                params[name] = value
        severity = d.get("severity")
        if severity not in SEVERITY_ORDER:
            doc.error(path + ("severity",) if "severity" in d else path,
                      f"severity must be one of {', '.join(SEVERITY_ORDER)}, not {severity!r}")
        reason = doc.text(d, "reason", path, placeholders=kind.placeholders)
        represented = ""
        if "reason_represented" in d:
            if kind_name != "age_below":
                doc.error(path + ("reason_represented",), "only a rule of kind age_below has a reason_represented")
            represented = doc.text(d, "reason_represented", path,
                                   placeholders=kind.placeholders + REPRESENTED_PLACEHOLDERS)
        checked: Severity = severity if severity in SEVERITIES else "info"  # a wrong one stops the load
        derived.append(DerivedRule(did, str(kind_name), checked, reason, params, represented))
    return derived


def _checkin_rules(doc: YamlDoc, data: dict[str, Any], modalities: list[str],
                   screening_ids: set[str]) -> tuple[tuple[Question, ...], Renewal | None]:
    """The `checkin` section: questions judged like the screening ones, and the renewal flag."""
    if "checkin" not in data:
        doc.error((), 'missing section "checkin" (the questions asked before each later session)')
        return (), None
    section = doc.mapping(data.get("checkin"), ("checkin",))
    questions = _questions(doc, section, ("checkin",), modalities)
    for i, q in enumerate(questions):
        if q.id in screening_ids:
            doc.error(("checkin", "questions", i, "id"), f"{q.id} is already a screening question; use another id")
    path: Path_ = ("checkin", "renewal")
    raw = doc.mapping(section.get("renewal"), path)
    severity = raw.get("severity")
    if severity not in SEVERITY_ORDER:
        doc.error(path + ("severity",) if "severity" in raw else path,
                  f"severity must be one of {', '.join(SEVERITY_ORDER)}, not {severity!r}")
    names = ("previous", "signed_on", "old_version", "new_version")
    checked: Severity = severity if severity in SEVERITIES else "info"  # a wrong one stops the load
    renewal = Renewal(checked, doc.text(raw, "reason_new_version", path, placeholders=names),
                      doc.text(raw, "reason_expired", path, placeholders=names))
    return tuple(questions), renewal


def _questions(doc: YamlDoc, data: dict[str, Any], prefix: Path_, modalities: list[str]) -> list[Question]:
    """A `questions` list: each with id, type, reason and a severity per treatment (per option for a choice)."""
    questions: list[Question] = []
    raw_questions = data.get("questions")
    if not isinstance(raw_questions, list) or not raw_questions:
        doc.error(prefix + ("questions",) if "questions" in data else prefix, 'missing field "questions" (a list)')
        raw_questions = []
    for i, raw in enumerate(raw_questions):
        path: Path_ = prefix + ("questions", i)
        q = doc.mapping(raw, path)
        qid = doc.ident(q, "id", path)
        if qid and any(other.id == qid for other in questions):
            doc.error(path + ("id",), f"question {qid} is defined twice")
        qtype = q.get("type")
        if qtype not in ANSWER_TYPES:
            doc.error(path + ("type",) if "type" in q else path, f"type must be one of {', '.join(ANSWER_TYPES)}, not {qtype!r}")
        within = q.get("within_months")
        if qtype == "date" and (not isinstance(within, int) or isinstance(within, bool) or not 1 <= within <= 120):
            doc.error(path + ("within_months",) if "within_months" in q else path,
                      "a date question needs within_months: a whole number of months from 1 to 120")
        placeholders = {"date": ("value", "as_of", "within_months"), "choice": ("value",)}.get(str(qtype), ())
        reason = doc.text(q, "reason", path, placeholders=placeholders)
        answer_type: AnswerType = qtype if qtype in ANSWER_TYPES else "bool"  # a wrong one stops the load
        asked_if = q.get("asked_if")
        if asked_if is not None and (not isinstance(asked_if, str) or not ID.match(asked_if)):
            doc.error(path + ("asked_if",), "asked_if must name a yes/no question by its id")
            asked_if = None
        if answer_type == "choice":
            options = _options(doc, q, path)
            option_severity = _option_severity_map(doc, q, path, modalities, options)
            questions.append(Question(qid, answer_type, reason, {}, None, options, option_severity, asked_if))
        else:
            if "options" in q:
                doc.error(path + ("options",), "only a choice question (type: choice) has options")
            severity = _severity_map(doc, q, path, modalities)
            questions.append(Question(qid, answer_type, reason, severity, within if qtype == "date" else None,
                                      asked_if=asked_if))
    _check_follow_ups(doc, prefix, questions)
    return questions


def _severity_map(doc: YamlDoc, q: dict[str, Any], path: Path_, modalities: list[str]) -> dict[str, Severity]:
    raw = q.get("severity")
    if not isinstance(raw, dict) or not raw:
        doc.error(path + ("severity",) if "severity" in q else path,
                  'missing field "severity" (a map from treatment id to stop, review or info)')
        return {}
    out: dict[str, Severity] = {}
    for mod, sev in raw.items():
        where = path + ("severity", str(mod))
        if mod not in modalities:
            doc.error(where, f"unknown treatment {mod!r} (known: {', '.join(modalities)})")
        elif sev not in SEVERITY_ORDER:
            doc.error(where, f"severity must be one of {', '.join(SEVERITY_ORDER)}, not {sev!r}")
        else:
            out[mod] = sev
    return out


def _options(doc: YamlDoc, q: dict[str, Any], path: Path_) -> tuple[str, ...]:
    """A choice question's option ids, in the order the patient sees them."""
    raw = q.get("options")
    if not isinstance(raw, list) or len(raw) < 2:
        doc.error(path + ("options",) if "options" in q else path,
                  'a choice question needs "options": a list of at least 2 option ids')
        return ()
    options: list[str] = []
    for j, option in enumerate(raw):
        if not isinstance(option, str) or not OPTION_ID.match(option):
            doc.error(path + ("options", j), f"invalid option id {option!r} (letters, digits and _)")
        elif option in options:
            doc.error(path + ("options", j), f"option {option} is listed twice")
        else:
            options.append(option)
    return tuple(options)


def _option_severity_map(doc: YamlDoc, q: dict[str, Any], path: Path_, modalities: list[str],
                         options: tuple[str, ...]) -> dict[str, dict[str, Severity]]:
    """A choice's `severity`: treatment id to a map of option id to severity; an option left out raises nothing."""
    raw = q.get("severity")
    if not isinstance(raw, dict) or not raw:
        doc.error(path + ("severity",) if "severity" in q else path,
                  'missing field "severity" (a map from treatment id to a map from option id to stop, review or info)')
        return {}
    out: dict[str, dict[str, Severity]] = {}
    for mod, per_option in raw.items():
        where = path + ("severity", str(mod))
        if mod not in modalities:
            doc.error(where, f"unknown treatment {mod!r} (known: {', '.join(modalities)})")
            continue
        if per_option is None:
            per_option = {}  # asked for this treatment, and no option raises anything
        if not isinstance(per_option, dict):
            doc.error(where, "should map option ids to stop, review or info ({} when no option raises anything)")
            continue
        out[mod] = {}
        for option, sev in per_option.items():
            if option not in options:
                doc.error(where + (str(option),),
                          f"severity for option {option!r}, which the question does not offer (options: {', '.join(options)})")
            elif sev not in SEVERITY_ORDER:
                doc.error(where + (str(option),), f"severity must be one of {', '.join(SEVERITY_ORDER)}, not {sev!r}")
            else:
                out[mod][str(option)] = sev
    return out


def _check_follow_ups(doc: YamlDoc, prefix: Path_, questions: list[Question]) -> None:
    """Each follow-up names a yes/no question of the same list, asked for its treatments, and no chain loops."""
    by_id = {q.id: q for q in questions}
    for i, q in enumerate(questions):
        if q.asked_if is None:
            continue
        where = prefix + ("questions", i, "asked_if")
        parent = by_id.get(q.asked_if)
        if parent is None:
            doc.error(where, f"asked_if names {q.asked_if!r}, which is not a question in this list")
        elif parent.type != "bool":
            doc.error(where, f"asked_if names {q.asked_if!r}, a {parent.type} question; a follow-up follows a yes/no question")
        else:
            missing = [m for m in (*q.severity, *q.option_severity) if not parent.applies_to(m)]
            if missing:
                doc.error(where, f"{q.id} is asked for {', '.join(missing)}, where {q.asked_if} is not asked")
        seen = [q.id]
        step = parent
        while step is not None and step.asked_if is not None:
            if step.id in seen:
                doc.error(where, f"follow-ups go round in a circle: {' -> '.join([*seen, step.id])}")
                break
            seen.append(step.id)
            step = by_id.get(step.asked_if)


def _load_language(lang_dir: Path, root: Path, rules: Rules | None, errors: list[str],
                   docs: dict[str, YamlDoc]) -> LanguageTexts | None:
    """One language's files; `docs` receives each parsed file, by its path inside the language folder."""
    language = lang_dir.name
    before = len(errors)
    docs["common.yaml"] = YamlDoc(lang_dir / "common.yaml", root, errors)
    docs["questions.yaml"] = YamlDoc(lang_dir / "questions.yaml", root, errors)
    common = _load_common(docs["common.yaml"], language)
    questions = _load_questions(docs["questions.yaml"], language, rules)
    modalities: dict[str, ModalityText] = {}
    mod_dir = lang_dir / "modalities"
    files = sorted(mod_dir.glob("*.yaml")) if mod_dir.is_dir() else []
    known = rules.modalities if rules else ()
    for path in files:
        doc = docs[f"modalities/{path.name}"] = YamlDoc(path, root, errors)
        if rules and path.stem not in known:
            errors.append(f"{doc.name}: unknown treatment {path.stem!r}: rules.yaml lists {', '.join(known)}")
            continue
        mod = _load_modality(doc, path.stem)
        if mod is not None:
            modalities[mod.id] = mod
    for mod_id in known:
        if not (mod_dir / f"{mod_id}.yaml").exists():
            errors.append(f"{root.name}/{language}/modalities/{mod_id}.yaml: file is missing (rules.yaml lists {mod_id})")
    if len(errors) > before or common is None or questions is None:
        return None
    return LanguageTexts(language, common, questions, modalities)


def _load_common(doc: YamlDoc, language: str) -> CommonText | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    check_language(doc, data, language)
    areas_raw = doc.mapping(data.get("areas"), ("areas",))
    areas: dict[str, str] = {}
    for key in areas_raw:
        if not ID.match(str(key)):
            doc.error(("areas", str(key)), "area ids use lowercase letters, digits and _")
        areas[str(key)] = doc.text(areas_raw, str(key), ("areas",))
    if not areas and "areas" in data:
        doc.error(("areas",), "list at least one treatment area")
    titles_raw = doc.mapping(data.get("section_titles"), ("section_titles",))
    titles = {sid: doc.text(titles_raw, sid, ("section_titles",)) for sid in SECTION_IDS}
    for extra in set(titles_raw) - set(SECTION_IDS):
        doc.error(("section_titles", extra), f"unknown section {extra!r} (known: {', '.join(SECTION_IDS)})")
    return CommonText(
        version=doc.text(data, "version", ()),
        areas=areas,
        section_titles=titles,
        esign_statement=doc.text(data, "esign_statement", ()),
        consent_statement=doc.text(data, "consent_statement", (), placeholders=("treatment", "areas")),
        signature_meaning=doc.text(data, "signature_meaning", (), placeholders=("treatment",)),
        flagged_notice=doc.text(data, "flagged_notice", ()),
        photo_consent=_load_photo_consent(doc, data),
    )


def _load_photo_consent(doc: YamlDoc, data: dict[str, Any]) -> PhotoConsentText:
    """The photo consent's words: a title, an introduction, one tick per use (all three) and how to change it."""
    raw = doc.mapping(data.get("photo_consent"), ("photo_consent",))
    uses_raw = doc.mapping(raw.get("uses"), ("photo_consent", "uses"))
    for extra in set(uses_raw) - set(PHOTO_USES):
        doc.error(("photo_consent", "uses", str(extra)), f"unknown photo use {extra!r} (known: {', '.join(PHOTO_USES)})")
    return PhotoConsentText(
        title=doc.text(raw, "title", ("photo_consent",)),
        intro=doc.text(raw, "intro", ("photo_consent",)),
        uses={use: doc.text(uses_raw, use, ("photo_consent", "uses")) for use in PHOTO_USES},
        change=doc.text(raw, "change", ("photo_consent",)),
    )


def _load_questions(doc: YamlDoc, language: str, rules: Rules | None) -> dict[str, QuestionText] | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    check_language(doc, data, language)
    return question_texts(doc, data, {q.id: q.options for q in rules.questions} if rules else None, "question", "rules.yaml")


def _load_modality(doc: YamlDoc, stem: str) -> ModalityText | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    mod_id = doc.ident(data, "id", ())
    if mod_id and mod_id != stem:
        doc.error(("id",), f"id {mod_id!r} does not match the file name {stem!r}")
    planned = data.get("planned_sessions")
    if not isinstance(planned, int) or isinstance(planned, bool) or not 1 <= planned <= 50:
        doc.error(("planned_sessions",) if "planned_sessions" in data else (),
                  'missing or invalid "planned_sessions" (a whole number from 1 to 50)')
        planned = 1
    sections_raw = doc.mapping(data.get("sections"), ("sections",))
    sections = {sid: doc.text(sections_raw, sid, ("sections",)) for sid in SECTION_IDS}
    for extra in set(sections_raw) - set(SECTION_IDS):
        doc.error(("sections", extra), f"unknown section {extra!r} (known: {', '.join(SECTION_IDS)})")
    risks: list[RiskText] = []
    raw_risks = data.get("risks")
    if not isinstance(raw_risks, list) or not raw_risks:
        doc.error(("risks",) if "risks" in data else (), 'missing field "risks" (a list with at least one risk)')
        raw_risks = []
    for i, raw in enumerate(raw_risks):
        path: Path_ = ("risks", i)
        item = doc.mapping(raw, path)
        rid = doc.ident(item, "id", path)
        if rid and any(r.id == rid for r in risks):
            doc.error(path + ("id",), f"risk {rid} appears twice")
        risks.append(RiskText(rid, doc.text(item, "title", path), doc.text(item, "text", path)))
    comprehension = _load_comprehension(doc, data)
    return ModalityText(
        id=stem,
        version=doc.text(data, "version", ()),
        title=doc.text(data, "title", ()),
        summary=doc.text(data, "summary", ()),
        planned_sessions=planned,
        sections=sections,
        risks=tuple(risks),
        comprehension=comprehension,
    )


def _load_comprehension(doc: YamlDoc, data: dict[str, Any]) -> tuple[CheckQuestion, ...]:
    """The questions asked after the risks: each with its options, exactly one right, and an explanation."""
    low, high = CHECK_QUESTIONS
    raw = data.get("comprehension")
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        doc.error(("comprehension",) if "comprehension" in data else (),
                  f'"comprehension" must be a list of {low} or {high} questions about the risks')
        raw = raw if isinstance(raw, list) else []
    questions: list[CheckQuestion] = []
    for i, entry in enumerate(raw):
        path: Path_ = ("comprehension", i)
        item = doc.mapping(entry, path)
        qid = doc.ident(item, "id", path)
        if len(qid) > _CHECK_ID_MAX:
            doc.error(path + ("id",), f"use at most {_CHECK_ID_MAX} characters")
        if qid and any(q.id == qid for q in questions):
            doc.error(path + ("id",), f"comprehension question {qid} appears twice")
        options, answer = _load_options(doc, item, path)
        questions.append(CheckQuestion(qid, doc.text(item, "text", path), options, answer,
                                       doc.text(item, "explanation", path)))
    return tuple(questions)


def _load_options(doc: YamlDoc, item: dict[str, Any], path: Path_) -> tuple[tuple[CheckOption, ...], str]:
    low, high = CHECK_OPTIONS
    raw = item.get("options")
    if not isinstance(raw, list) or not low <= len(raw) <= high:
        doc.error(path + ("options",) if "options" in item else path,
                  f'"options" must be a list of {low} to {high} answers')
        raw = raw if isinstance(raw, list) else []
    options: list[CheckOption] = []
    right: list[str] = []
    for j, entry in enumerate(raw):
        where: Path_ = path + ("options", j)
        option = doc.mapping(entry, where)
        oid = doc.ident(option, "id", where)
        if oid and any(o.id == oid for o in options):
            doc.error(where + ("id",), f"option {oid} appears twice")
        correct = option.get("correct", False)
        if not isinstance(correct, bool):
            doc.error(where + ("correct",), "correct must be true or false")
        elif correct:
            right.append(oid)
        options.append(CheckOption(oid, doc.text(option, "text", where)))
    if raw and len(right) != 1:
        doc.error(path + ("options",), "mark exactly one option with `correct: true`"
                  + (f" (now {len(right)} are)" if right else " (now none is)"))
    return tuple(options), right[0] if len(right) == 1 else ""


# --------------------------------------------------------------------------
# Every language says the same things

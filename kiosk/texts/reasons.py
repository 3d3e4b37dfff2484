"""The reasons a doctor reads, in each language: rules.yaml holds them in English, `<lang>/reasons.yaml` in any
other language, with every rule's id and the same {placeholders}, so a Spanish consent's flags read in Spanish."""

from __future__ import annotations

import string
from dataclasses import replace
from pathlib import Path
from typing import Any

from kiosk.texts.model import Question, Rules
from kiosk.texts.parity import REFERENCE_LANGUAGE
from kiosk.texts.yaml_doc import Path_, YamlDoc

FILE = "reasons.yaml"


def _names(text: str) -> set[str]:
    try:
        return {n for _, n, _, _ in string.Formatter().parse(text) if n is not None}
    except ValueError:
        return set()


def _texts(doc: YamlDoc, data: Any, path: Path_, expected: dict[str, str]) -> dict[str, str]:
    """One text per id in `expected` (id: the English reason), with the English reason's placeholders."""
    section = doc.mapping(data if data is not None else {}, path)
    found: dict[str, str] = {}
    for rule_id, english in expected.items():
        if rule_id not in section:
            doc.error(path, f"missing the reason for {rule_id!r} (rules.yaml has one)")
            continue
        text = doc.text(section, rule_id, path, placeholders=tuple(sorted(_names(english))))
        if text and _names(text) != _names(english):
            missing = ", ".join("{" + n + "}" for n in sorted(_names(english) - _names(text)))
            doc.error(path + (rule_id,), f"should name {missing} as the English reason in rules.yaml does")
        found[rule_id] = text
    for extra in sorted(set(section) - set(expected)):
        doc.error(path + (str(extra),), f"{extra!r} is not a rule in rules.yaml")
    return found


def load_reasons(lang_dir: Path, root: Path, rules: Rules, errors: list[str]) -> Rules | None:
    """The rules with their reasons in this language (English: rules.yaml as it is); None when the file is wrong."""
    if lang_dir.name == REFERENCE_LANGUAGE:
        return rules
    path = lang_dir / FILE
    if not path.exists():
        errors.append(f"{root.name}/{lang_dir.name}/{FILE}: file is missing (every rule's reason, in this language)")
        return None
    before = len(errors)
    doc = YamlDoc(path, root, errors)
    data = doc.mapping(doc.data, ()) if doc.ok else {}
    checkin = doc.mapping(data.get("checkin") or {}, ("checkin",))
    questions = _texts(doc, data.get("questions"), ("questions",), {q.id: q.reason for q in rules.questions})
    derived = _texts(doc, data.get("derived"), ("derived",), {d.id: d.reason for d in rules.derived})
    represented = _texts(doc, data.get("derived_represented"), ("derived_represented",),
                         {d.id: d.reason_represented for d in rules.derived if d.reason_represented})
    comprehension = doc.text(data, "comprehension_reason", (), placeholders=("question", "chosen", "answer"))
    checkin_questions = _texts(doc, checkin.get("questions"), ("checkin", "questions"),
                               {q.id: q.reason for q in rules.checkin_questions})
    renewal = rules.renewal
    if renewal is not None:
        words = _texts(doc, checkin.get("renewal"), ("checkin", "renewal"),
                       {"reason_new_version": renewal.reason_new_version, "reason_expired": renewal.reason_expired})
        renewal = replace(renewal, reason_new_version=words.get("reason_new_version", ""),
                          reason_expired=words.get("reason_expired", ""))
    if len(errors) > before:
        return None
    return replace(rules, questions=_worded(rules.questions, questions), comprehension_reason=comprehension,
                   derived=tuple(replace(d, reason=derived[d.id],
                                         reason_represented=represented.get(d.id, d.reason_represented))
                                 for d in rules.derived),
                   checkin_questions=_worded(rules.checkin_questions, checkin_questions), renewal=renewal)


def _worded(questions: tuple[Question, ...], reasons: dict[str, str]) -> tuple[Question, ...]:
    return tuple(replace(q, reason=reasons[q.id]) for q in questions)

"""The words of the pre-session check-in, per language (`<language>/checkin.yaml`), validated with the texts.

Like the rest of ``consent_texts/``, a mistake is reported with file, line and
field before the app serves anything. No Flask here.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.texts.model import CheckinText, Rules
from kiosk.texts.questions import question_texts
from kiosk.texts.yaml_doc import YamlDoc, check_language

CHECKIN_FILE = "checkin.yaml"
_LANGUAGE_FILES = ("common.yaml", "questions.yaml", "modalities")


def is_checkin_only(lang_dir: Path) -> bool:
    """A folder holding only check-in words (a language whose consent texts are still being translated)."""
    return (lang_dir / CHECKIN_FILE).exists() and not any((lang_dir / name).exists() for name in _LANGUAGE_FILES)


def load_checkin_texts(lang_dirs: list[Path], root: Path, rules: Rules | None,
                       errors: list[str]) -> dict[str, CheckinText]:
    """Every language's checkin.yaml; each language folder needs one, so a patient never meets a gap."""
    out: dict[str, CheckinText] = {}
    for lang_dir in lang_dirs:
        loaded = _load(YamlDoc(lang_dir / CHECKIN_FILE, root, errors), lang_dir.name, rules)
        if loaded is not None:
            out[loaded.language] = loaded
    return out


def _load(doc: YamlDoc, language: str, rules: Rules | None) -> CheckinText | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    check_language(doc, data, language)
    known = {q.id: q.options for q in rules.checkin_questions} if rules else None
    questions = question_texts(doc, data, known, "check-in question", "rules.yaml under checkin")
    return CheckinText(
        language=language,
        version=doc.text(data, "version", ()),
        title=doc.text(data, "title", ()),
        intro=doc.text(data, "intro", ()),
        questions=questions,
        statement=doc.text(data, "statement", ()),
        signature_meaning=doc.text(data, "signature_meaning", ()),
        flagged_notice=doc.text(data, "flagged_notice", ()),
        clean_notice=doc.text(data, "clean_notice", ()),
    )

"""The words a representative, an interpreter and a witness read and sign (`<language>/people.yaml`), validated with the texts.

Like the rest of ``consent_texts/``, a mistake is reported with file, line and field before the app serves
anything. No Flask here.
"""

from __future__ import annotations

from pathlib import Path

from kiosk.texts.model import PeopleText
from kiosk.texts.yaml_doc import YamlDoc, check_language, load_each_language

PEOPLE_FILE = "people.yaml"


def load_people_texts(lang_dirs: list[Path], root: Path, errors: list[str]) -> dict[str, PeopleText]:
    """Every consent language's people.yaml; each needs one, so no one who signs for a patient meets a gap."""
    return load_each_language(lang_dirs, root, errors, PEOPLE_FILE, _load)


def _load(doc: YamlDoc, language: str) -> PeopleText | None:
    if not doc.ok:
        return None
    data = doc.mapping(doc.data, ())
    check_language(doc, data, language)
    return PeopleText(
        language=language,
        version=doc.text(data, "version", ()),
        representative_statement=doc.text(data, "representative_statement", (),
                                          placeholders=("patient", "treatment")),
        interpreter_statement=doc.text(data, "interpreter_statement", (), placeholders=("language",)),
        witness_statement=doc.text(data, "witness_statement", (), placeholders=("patient",)),
        assent_note=doc.text(data, "assent_note", ()),
    )
